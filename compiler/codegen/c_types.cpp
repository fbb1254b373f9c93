#include "compiler/codegen/c_types.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/base/check.h"

namespace asthra {

std::string CTypes::int_suffix(const Type* t) {
  static const char* kSuffix[] = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "i64", "u64"};
  return kSuffix[static_cast<int>(t->int_kind)];
}

std::string CTypes::name(const Type* t) {
  switch (t->kind) {
    case TypeKind::Void: case TypeKind::Never: return "void";
    case TypeKind::Bool: return "bool";
    case TypeKind::Char: return "uint32_t";
    case TypeKind::Int: {
      static const char* kNames[] = {"int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
                                     "uint32_t", "uint64_t", "ptrdiff_t", "size_t"};
      return kNames[static_cast<int>(t->int_kind)];
    }
    case TypeKind::Float: return t->float_bits == 32 ? "float" : "double";
    case TypeKind::String: return "asthra_string";
    case TypeKind::Slice: return "asthra_slice";
    case TypeKind::Handle: return "asthra_handle";
    case TypeKind::Ptr: return name(t->elem) + "*";
    case TypeKind::Error: ASTHRA_UNREACHABLE("error type reached codegen");
    case TypeKind::Struct:
      return t->strukt->c_name;
    case TypeKind::Enum:
      return t->enm->c_name;
    default:
      break;
  }
  auto it = names_.find(t);
  if (it != names_.end()) return it->second;
  // `at_` names are the compiler's: user names all start with `as_`/`ap_`.
  const char* prefix = t->kind == TypeKind::Array ? "at_arr" : t->kind == TypeKind::Tuple ? "at_tup"
                     : t->kind == TypeKind::Func ? "at_fn" : t->kind == TypeKind::Option ? "at_opt" : "at_res";
  std::string n = fmt::format("{}{}", prefix, next_id_++);
  names_[t] = n;
  return n;
}

bool CTypes::is_nullable_pointer(const Type* t) {
  return t->kind == TypeKind::Option && prog_.types.variants(t)[0].any_boxed();
}

std::string CTypes::variant_test(const Type* t, const std::string& v, size_t index) {
  if (is_nullable_pointer(t)) return fmt::format("({}.u.v0 {} NULL)", v, index == 0 ? "!=" : "==");
  return fmt::format("({}.tag == {})", v, index);
}

bool CTypes::has_pointers(const Type* t) {
  switch (t->kind) {
    case TypeKind::String: case TypeKind::Slice: case TypeKind::Ptr: case TypeKind::Func:
    case TypeKind::Handle:
      return true;
    case TypeKind::Array: return has_pointers(t->elem);
    case TypeKind::Tuple:
      for (const Type* e : t->elems)
        if (has_pointers(e)) return true;
      return false;
    case TypeKind::Struct:
      for (const FieldInfo& f : t->strukt->fields)
        if (has_pointers(f.type)) return true;
      return false;
    case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result:
      for (const VariantInfo& v : prog_.types.variants(t))
        for (size_t i = 0; i < v.payload.size(); ++i)
          if (v.boxed[i] || has_pointers(v.payload[i])) return true;
      return false;
    default:
      return false;
  }
}

static bool is_aggregate(const Type* t) {
  switch (t->kind) {
    case TypeKind::Array: case TypeKind::Tuple: case TypeKind::Struct: case TypeKind::Enum:
    case TypeKind::Option: case TypeKind::Result: case TypeKind::Func:
      return true;
    default:
      return false;
  }
}

void CTypes::define(const Type* t, std::string& out) {
  if (!is_aggregate(t) || defined_.count(t)) return;
  if (t->kind == TypeKind::Struct && !t->strukt->decl) return;  // runtime struct (GcStats)
  defined_.insert(t);
  std::string n = name(t);
  switch (t->kind) {
    case TypeKind::Func: {
      // (Component function types need no definition first: the typedefs
      // name them only through pointers and parameters.)
      // A function value is code plus an environment (null for top-level
      // functions, the captured copies for closures); a function passed to
      // C is a plain C function pointer (the `_c` type).
      std::string params;
      for (const Type* p : t->elems) params += ", " + name(p);
      out += fmt::format("typedef {} (*{}_code)(void*{});\n", name(t->elem), n, params);
      out += fmt::format("typedef {} (*{}_c)({});\n", name(t->elem), n,
                         params.empty() ? std::string("void") : params.substr(2));
      out += fmt::format("struct {0} {{ {0}_code code; void* env; }};\n", n);
      return;
    }
    case TypeKind::Array:
      define(t->elem, out);
      out += fmt::format("struct {} {{ {} a[{}]; }};\n", n, name(t->elem), t->count == 0 ? 1 : t->count);
      return;
    case TypeKind::Tuple: {
      for (const Type* e : t->elems) define(e, out);
      std::string body;
      for (size_t i = 0; i < t->elems.size(); ++i) body += fmt::format(" {} f{};", name(t->elems[i]), i);
      out += fmt::format("struct {} {{{} }};\n", n, body);
      return;
    }
    case TypeKind::Struct: {
      std::string body;
      for (const FieldInfo& f : t->strukt->fields) {
        define(f.type, out);
        body += fmt::format(" {} {};", name(f.type), field(f.name));
      }
      if (body.empty()) body = " char unused_;";
      out += fmt::format("struct {} {{{} }};\n", n, body);
      return;
    }
    default: {  // Enum, Option, Result
      // A variant with a recursive payload holds a pointer to a GC-managed
      // struct of its whole payload (`struct N_vK`), defined after the enum.
      auto& variants = prog_.types.variants(t);
      std::string unions, boxed_payloads;
      for (size_t v = 0; v < variants.size(); ++v) {
        std::string fields;
        for (size_t i = 0; i < variants[v].payload.size(); ++i) {
          const Type* p = variants[v].payload[i];
          if (p->kind == TypeKind::Void) continue;
          if (!variants[v].any_boxed()) define(p, out);
          fields += fmt::format(" {} f{};", name(p), i);
        }
        if (fields.empty()) continue;
        if (variants[v].any_boxed()) {
          unions += fmt::format(" struct {}_v{}* v{};", n, v, v);
          boxed_payloads += fmt::format("struct {}_v{} {{{} }};\n", n, v, fields);
        } else {
          unions += fmt::format(" struct {{{} }} v{};", fields, v);
        }
      }
      if (is_nullable_pointer(t)) out += fmt::format("struct {} {{ struct {{{} }} u; }};\n", n, unions);
      else if (unions.empty()) out += fmt::format("struct {} {{ int32_t tag; }};\n", n);
      else out += fmt::format("struct {} {{ int32_t tag; union {{{} }} u; }};\n", n, unions);
      // The payload structs hold the enum by value: they go after every
      // other definition.
      boxed_payloads_ += boxed_payloads;
      return;
    }
  }
}

// Whether `t` is made of the error type: such types are made only while
// checking a generic function no use instantiated (sema/generics.cpp), and
// no compiled code has them.
static bool mentions_error(const Type* t) {
  if (t->is_error()) return true;
  if (t->elem && mentions_error(t->elem)) return true;
  return std::any_of(t->elems.begin(), t->elems.end(), mentions_error);
}

std::string CTypes::definitions() {
  std::vector<const Type*> all = prog_.types.all();
  std::erase_if(all, mentions_error);
  std::string forward, out;
  for (const Type* t : all) {
    if (!is_aggregate(t)) continue;
    if (t->kind == TypeKind::Struct && !t->strukt->decl) continue;
    forward += fmt::format("typedef struct {0} {0};\n", name(t));
  }
  // Function types first: they only mention other types by name.
  for (const Type* t : all)
    if (t->kind == TypeKind::Func) define(t, out);
  for (const Type* t : all) define(t, out);
  return forward + out + boxed_payloads_;
}

// Layout words (runtime.h, "Layouts") mark the 8-byte words of an object
// that may hold a pointer.  The compiler lists the members that do, as C
// member designators (`u.v1.f0.ptr`, `a[2].f_next`), and the C compiler turns
// them into word indices with offsetof: the type definitions above stay the
// only place that decides where a field lies.  Members of different variants
// may share a word, which is then a pointer word.  A type wider than
// ASTHRA_GC_MAX_PERIOD words is scanned conservatively; so is one with more
// than kMaxLayoutMembers pointer members (many pointers make it that wide
// anyway, but for unions), which also bounds the work on large arrays.
namespace {
constexpr size_t kMaxLayoutMembers = 256;
}

// Appends the designators of the pointer members of `t`, which lies at
// member `prefix` of the allocated object (empty: it is the object); false
// once there are too many.
bool CTypes::pointer_members(const Type* t, const std::string& prefix, std::vector<std::string>& out) {
  auto member = [&](const std::string& m) { return prefix.empty() ? m : prefix + "." + m; };
  auto add = [&](const std::string& m) {
    out.push_back(m);
    return out.size() <= kMaxLayoutMembers;
  };
  switch (t->kind) {
    case TypeKind::String: case TypeKind::Slice:
      return add(member("ptr"));
    case TypeKind::Ptr:
      return add(prefix);
    case TypeKind::Handle:
      return add(member("task")) && add(member("data"));
    case TypeKind::Func:  // code pointers are no GC references, but pointers all the same
      return add(member("code")) && add(member("env"));
    case TypeKind::Array:
      if (!has_pointers(t->elem)) return true;
      for (uint64_t i = 0; i < t->count; ++i)
        if (!pointer_members(t->elem, member(fmt::format("a[{}]", i)), out)) return false;
      return true;
    case TypeKind::Tuple:
      for (size_t i = 0; i < t->elems.size(); ++i)
        if (!pointer_members(t->elems[i], member(fmt::format("f{}", i)), out)) return false;
      return true;
    case TypeKind::Struct:
      for (const FieldInfo& f : t->strukt->fields)
        if (!pointer_members(f.type, member(t->strukt->decl ? field(f.name) : f.name), out)) return false;
      return true;
    case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      auto& variants = prog_.types.variants(t);
      for (size_t v = 0; v < variants.size(); ++v) {
        if (variants[v].any_boxed()) {  // the payload is a GC object of its own
          if (!add(member(fmt::format("u.v{}", v)))) return false;
          continue;
        }
        for (size_t i = 0; i < variants[v].payload.size(); ++i)
          if (!pointer_members(variants[v].payload[i], member(fmt::format("u.v{}.f{}", v, i)), out)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

std::string CTypes::define_layout(const std::string& c_type, const std::vector<std::string>& members, bool complete) {
  std::string n = "ac_layout_" + (c_type.rfind("struct ", 0) == 0 ? c_type.substr(7) : c_type);
  layout_names_[c_type] = n;
  if (layouts_.empty())  // `& 63`: no shift overflows, even in the branch a wide type does not take
    layouts_ = "#define ac_gc_word(T, m) ((uint64_t)1 << ((offsetof(T, m) / 8) & 63))\n";
  if (!complete) {
    layouts_ += fmt::format("#define {} ASTHRA_GC_CONSERVATIVE\n", n);
    return n;
  }
  std::string bits;
  for (const std::string& m : members) bits += fmt::format("{}ac_gc_word({}, {})", bits.empty() ? "" : " | ", c_type, m);
  layouts_ += fmt::format(
      "#define {0} (sizeof({1}) / 8 > ASTHRA_GC_MAX_PERIOD ? ASTHRA_GC_CONSERVATIVE \\\n"
      "  : ASTHRA_GC_LAYOUT(sizeof({1}) / 8, {2}))\n",
      n, c_type, bits);
  return n;
}

std::string CTypes::layout(const Type* t) {
  if (!has_pointers(t)) return "0";
  if (t->kind == TypeKind::Ptr) return "ASTHRA_GC_LAYOUT(1, 1)";
  std::string c_type = name(t);
  if (auto it = layout_names_.find(c_type); it != layout_names_.end()) return it->second;
  std::vector<std::string> members;
  bool complete = pointer_members(t, "", members);
  return define_layout(c_type, members, complete);
}

std::string CTypes::layout(const std::string& c_type, const Fields& fields) {
  if (auto it = layout_names_.find(c_type); it != layout_names_.end()) return it->second;
  std::vector<std::string> members;
  bool complete = true;
  for (const auto& [member, t] : fields)
    if (complete) complete = pointer_members(t, member, members);
  if (complete && members.empty()) return "0";
  return define_layout(c_type, members, complete);
}

}  // namespace asthra
