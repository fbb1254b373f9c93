// Declarations: the universe scope (predeclared names), each module's
// top-level names, the `libc` package, struct and enum bodies, function
// signatures, constants, and the layout facts codegen relies on (no type
// contains itself by value; recursive enum payloads are boxed).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>

#include "compiler/base/check.h"
#include "compiler/lex/lexer.h"
#include "compiler/parse/parser.h"
#include "compiler/base/spelling.h"
#include "compiler/sema/checker.h"
#include "compiler/sema/ownership.h"

namespace asthra {

const char* libc_package_source() {
  return R"(// The predeclared `libc` package (language.md), with ownership annotations.
#[ownership(c)] extern "libc" fn malloc(size: usize) -> #[transfer_full] *mut void;
#[ownership(c)] extern "libc" fn calloc(count: usize, size: usize) -> #[transfer_full] *mut void;
#[ownership(c)] extern "libc" fn realloc(#[transfer_full] ptr: *mut void, size: usize) -> #[transfer_full] *mut void;
#[ownership(c)] extern "libc" fn free(#[transfer_full] ptr: *mut void);
extern "libc" fn memcpy(#[borrowed] dst: *mut void, #[borrowed] src: *const void, n: usize) -> #[transfer_none] *mut void;
extern "libc" fn memmove(#[borrowed] dst: *mut void, #[borrowed] src: *const void, n: usize) -> #[transfer_none] *mut void;
extern "libc" fn memset(#[borrowed] s: *mut void, c: i32, n: usize) -> #[transfer_none] *mut void;
extern "libc" fn memcmp(#[borrowed] a: *const void, #[borrowed] b: *const void, n: usize) -> i32;
extern "libc" fn strlen(#[borrowed] s: *const u8) -> usize;
extern "libc" fn strcmp(#[borrowed] a: *const u8, #[borrowed] b: *const u8) -> i32;
extern "libc" fn strncmp(#[borrowed] a: *const u8, #[borrowed] b: *const u8, n: usize) -> i32;
#[ownership(c)] extern "libc" fn strdup(#[borrowed] s: *const u8) -> #[transfer_full] *mut u8;
extern "libc" fn getenv(#[borrowed] name: *const u8) -> #[transfer_none] *mut u8;
extern "libc" fn abort() -> Never;
extern "libc" fn exit(code: i32) -> Never;
extern "libc" fn getpid() -> i32;
extern "libc" fn sleep(seconds: u32) -> u32;
extern "libc" fn usleep(usec: u32) -> i32;
extern "libc" fn write(fd: i32, #[borrowed] buf: *const void, n: usize) -> isize;
extern "libc" fn read(fd: i32, #[borrowed] buf: *mut void, n: usize) -> isize;
extern "libc" fn puts(#[borrowed] s: *const u8) -> i32;
extern "libc" fn putchar(c: i32) -> i32;
extern "libc" fn atoi(#[borrowed] s: *const u8) -> i32;
extern "libc" fn rand() -> i32;
extern "libc" fn srand(seed: u32);
)";
}

Symbol* Checker::new_symbol(SymbolKind kind, std::string name, Span span, const Type* type) {
  Symbol& s = prog_.symbols.emplace_back();
  s.kind = kind;
  s.name = std::move(name);
  s.span = span;
  s.type = type;
  s.id = next_id_++;
  return &s;
}

Symbol* Checker::lookup(const std::string& name) const {
  for (size_t i = scopes_.size(); i-- > 1;) {
    auto found = scopes_[i].find(name);
    if (found != scopes_[i].end()) return found->second;
  }
  if (package_scope_) {
    auto found = package_scope_->find(name);
    if (found != package_scope_->end()) return found->second;
  }
  auto found = scopes_[0].find(name);
  return found == scopes_[0].end() ? nullptr : found->second;
}

Symbol* Checker::resolve_qualified(const std::string& alias, const std::string& member, Span span) {
  Symbol* p = lookup(alias);
  if (!p || p->kind != SymbolKind::Package || !p->pkg) {
    diags_.report(DiagCode::E0101, span, fmt::format("cannot find package `{}`", alias))
        .help(fmt::format("import it: `import \"path\" as {};`", alias));
    return nullptr;
  }
  auto& scope = package_scopes_[p->pkg];
  auto it = scope.find(member);
  if (it == scope.end() || it->second->kind == SymbolKind::Package) {
    auto d = diags_.report(DiagCode::E0120, span, fmt::format("package `{}` has no member `{}`", alias, member));
    if (std::string best = closest_key(scope, member); !best.empty()) d.help(fmt::format("did you mean `{}.{}`?", alias, best));
    return nullptr;
  }
  if (!it->second->is_pub) {
    diags_.report(DiagCode::E0129, span, fmt::format("`{}` is private to package `{}`", member, p->pkg->name))
        .note(it->second->span, "declared here without `pub`")
        .help(fmt::format("mark it `pub` in package `{}` to use it here", p->pkg->name));
  }
  return it->second;
}

Symbol* Checker::lookup_path(const std::string& name, Span span) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return lookup(name);
  return resolve_qualified(name.substr(0, dot), name.substr(dot + 1), span);
}

Symbol* Checker::package_member(FieldExpr* f) {
  if (f->object->kind != ExprKind::Name) return nullptr;
  auto* on = static_cast<NameExpr*>(f->object);
  Symbol* os = lookup(on->name);
  if (!os || os->kind != SymbolKind::Package || !os->pkg) return nullptr;
  on->symbol = os;
  return resolve_qualified(on->name, f->field, f->field_span);
}

void Checker::check_visible_field(const Type* t, const std::string& field, Span span) {
  if (t->kind != TypeKind::Struct || !t->strukt->decl) return;
  auto it = decl_package_.find(t->strukt->decl);
  if (it == decl_package_.end() || it->second == cur_package_) return;
  for (const FieldDecl& f : t->strukt->decl->fields) {
    if (f.name == field && !f.is_pub) {
      diags_.report(DiagCode::E0129, span, fmt::format("field `{}` of `{}` is private to package `{}`", field, t->name, it->second->name))
          .note(f.span, "declared here without `pub`")
          .help("mark the field `pub`, or use a function of that package");
    }
  }
}

Symbol* Checker::declare_local(const std::string& name, Span span, const Type* type, bool is_mut,
                               Symbol::Binding binding) {
  Symbol* s = new_symbol(SymbolKind::Local, name, span, type);
  s->is_mut = is_mut;
  s->binding = binding;
  s->owner = cur_owner_;
  if (name != "_") scopes_.back()[name] = s;
  return s;
}

void Checker::declare_universe() {
  scopes_.emplace_back();
  auto& u = scopes_.back();
  struct B { const char* name; Builtin b; };
  for (B b : {B{"log", Builtin::Log}, B{"panic", Builtin::Panic}, B{"exit", Builtin::Exit},
              B{"args", Builtin::Args}, B{"len", Builtin::Len}, B{"range", Builtin::Range},
              B{"allocate_slice", Builtin::AllocateSlice},
              B{"allocate_secure_slice", Builtin::AllocateSecureSlice},
              B{"allocate_secure_buffer", Builtin::AllocateSecureBuffer}}) {
    Symbol* s = new_symbol(SymbolKind::Builtin, b.name, Span{}, nullptr);
    s->builtin = b.b;
    u[b.name] = s;
  }
  int value = 0;
  for (const char* n : {"ownership_gc", "ownership_c", "ownership_pinned"}) {
    Symbol* s = new_symbol(SymbolKind::OwnershipConst, n, Span{}, types_.int_(IntKind::I32));
    s->ownership_value = value++;
    u[n] = s;
  }
  for (const char* n : {"libc", "Asthra_runtime"}) {
    Symbol* s = new_symbol(SymbolKind::Package, n, Span{}, nullptr);
    s->package = n;
    u[n] = s;
  }
  for (const char* n : {"int", "float", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64",
                        "isize", "usize", "f32", "f64", "bool", "char", "string"}) {
    u[n] = new_symbol(SymbolKind::Type, n, Span{}, types_.primitive(n));
  }
  // `Result` and `Option` name the built-in generic enums; their Symbol has
  // no type of its own (it is instantiated where used).
  u["Result"] = new_symbol(SymbolKind::Type, "Result", Span{}, nullptr);
  u["Option"] = new_symbol(SymbolKind::Type, "Option", Span{}, nullptr);

  StructInfo& gs = prog_.gc_stats_info;
  gs.name = "GcStats";
  gs.c_name = "asthra_gc_stats";
  for (const char* f : {"collections", "heap_bytes", "live_bytes", "allocated_bytes", "peak_heap_bytes",
                        "total_pause_ns", "max_pause_ns", "p50_pause_ns", "p99_pause_ns", "total_mark_ns",
                        "total_sweep_ns", "elapsed_ns"})
    gs.fields.push_back(FieldInfo{f, types_.int_(IntKind::U64), true, Span{}});
  u["GcStats"] = new_symbol(SymbolKind::Type, "GcStats", Span{}, types_.strukt(&gs));

  runtime_members_ = {
      {"secure_zero", Builtin::SecureZero},       {"secure_free", Builtin::SecureFree},
      {"slice_from_raw_parts", Builtin::SliceFromRawParts}, {"to_c", Builtin::ToC},
      {"string_to_cstr", Builtin::StringToCstr},  {"cstr_to_string", Builtin::CstrToString},
      {"pin", Builtin::Pin},                      {"unpin", Builtin::Unpin},
      {"gc_collect", Builtin::GcCollect},         {"gc_stats", Builtin::GcStats},
      {"fill_random", Builtin::FillRandom},
  };
}

void Checker::declare_libc() {
  // The libc package is Asthra source compiled with the program; its lexer
  // and parser cannot fail on it (a failure is a compiler bug).
  Module* m = prog_.libc_module.get();
  for (Decl* d : m->decls) {
    auto* f = static_cast<FnDecl*>(d);
    Symbol* s = new_symbol(SymbolKind::Extern, f->name, f->name_span, nullptr);
    s->fn = f;
    f->symbol = s;
    libc_members_[f->name] = s;
  }
}

// Display names of types: qualified outside the entry package, so two
// packages' `Point`s are different types.
static std::string qualified(const Package* pkg, const std::string& name) {
  return pkg->is_entry ? name : pkg->name + "." + name;
}

// A struct or enum: a generic one is a template (instantiated on use);
// otherwise its info and type are made now and filled later.
template <typename DeclT, typename InfoT, typename AddFn>
void Checker::declare_nominal(DeclT* decl, std::deque<InfoT>& infos, const Package* pkg, AddFn& add) {
  Symbol* s;
  if (!decl->generics.empty()) {
    s = new_symbol(SymbolKind::Type, decl->name, decl->name_span, nullptr);
    s->generic = decl;
  } else {
    InfoT& info = infos.emplace_back();
    info.name = qualified(pkg, decl->name);
    info.c_name = (pkg->is_entry ? "as_" : "ap_") + pkg->c_prefix + decl->name;
    info.decl = decl;
    const Type* t = make_nominal_type(&info);
    prog_.nominal_types.push_back(t);
    s = new_symbol(SymbolKind::Type, decl->name, decl->name_span, t);
  }
  s->is_pub = decl->is_pub;
  add(decl->name, decl->name_span, s);
}

const Type* Checker::make_nominal_type(StructInfo* info) { return types_.strukt(info); }
const Type* Checker::make_nominal_type(EnumInfo* info) { return types_.enm(info); }

void Checker::check_not_builtin_type_name(const std::string& name, Span span, const char* what,
                                          const std::string& owner) {
  // The built-in types are the universe's types, and `void` and `Never`
  // (which resolve_type knows by name).
  auto it = scopes_[0].find(name);
  bool builtin = name == "void" || name == "Never" || (it != scopes_[0].end() && it->second->kind == SymbolKind::Type);
  if (!builtin) return;
  std::string subject = owner.empty() ? fmt::format("{} `{}`", what, name)
                                      : fmt::format("{} `{}` of `{}`", what, name, owner);
  diags_.report(DiagCode::E0102, span, fmt::format("{} is named like the built-in type `{}`", subject, name))
      .help("built-in type names cannot be redefined; choose another name");
}

void Checker::declare_module(Module* m) {
  const Package* pkg = prog_.module_package.at(m);
  auto& scope = package_scopes_[pkg];
  const std::string& prefix = pkg->c_prefix;
  auto add = [&](const std::string& name, Span span, Symbol* s) {
    s->home = pkg;
    auto it = scope.find(name);
    if (it != scope.end()) {
      diags_.report(DiagCode::E0102, span, fmt::format("`{}` is defined more than once", name))
          .note(it->second->span, "first defined here")
          .help("rename one of them");
      return;
    }
    scope[name] = s;
  };
  auto check_params = [&](const std::vector<std::string>& generics, const Decl* owner) {
    for (const std::string& g : generics) check_not_builtin_type_name(g, owner->name_span, "type parameter", owner->name);
  };
  for (Decl* d : m->decls) {
    decl_package_[d] = pkg;
    switch (d->kind) {
      case DeclKind::Fn: check_params(static_cast<FnDecl*>(d)->generics, d); break;
      case DeclKind::Struct:
        check_not_builtin_type_name(d->name, d->name_span, "struct");
        check_params(static_cast<StructDecl*>(d)->generics, d);
        break;
      case DeclKind::Enum:
        check_not_builtin_type_name(d->name, d->name_span, "enum");
        check_params(static_cast<EnumDecl*>(d)->generics, d);
        break;
      case DeclKind::Trait:
        check_not_builtin_type_name(d->name, d->name_span, "trait");
        for (FnDecl* f : static_cast<TraitDecl*>(d)->methods) check_params(f->generics, f);
        break;
      case DeclKind::Impl:
        for (const std::string& g : static_cast<ImplDecl*>(d)->generics)
          check_not_builtin_type_name(g, static_cast<ImplDecl*>(d)->self_type ? static_cast<ImplDecl*>(d)->self_type->span : d->span,
                                      "type parameter", "impl");
        for (FnDecl* f : static_cast<ImplDecl*>(d)->methods) check_params(f->generics, f);
        break;
      default: break;
    }
    switch (d->kind) {
      case DeclKind::Fn: {
        auto* f = static_cast<FnDecl*>(d);
        Symbol* s = new_symbol(f->is_extern ? SymbolKind::Extern : SymbolKind::Fn, f->name,
                               f->name_span, nullptr);
        s->fn = f;
        s->is_pub = f->is_pub;
        if (!f->generics.empty()) {
          s->generic = f;  // instantiated on use
        } else {
          f->symbol = s;
          // C names by origin, so no two can meet: `as_NAME` in the entry
          // package, `ap_<pkg><n>_NAME` in imported ones, and a private
          // `asthra_ext`/`asthra_extp` name for foreign functions.
          s->c_name = (f->is_extern ? (pkg->is_entry ? "asthra_ext_" : "asthra_extp_") : (pkg->is_entry ? "as_" : "ap_")) +
                      prefix + f->name;
        }
        add(f->name, f->name_span, s);
        break;
      }
      case DeclKind::Struct:
        declare_nominal(static_cast<StructDecl*>(d), prog_.struct_infos, pkg, add);
        break;
      case DeclKind::Enum:
        declare_nominal(static_cast<EnumDecl*>(d), prog_.enum_infos, pkg, add);
        break;
      case DeclKind::Const: {
        auto* c = static_cast<ConstDecl*>(d);
        Symbol* s = new_symbol(SymbolKind::Const, c->name, c->name_span, nullptr);
        s->const_decl = c;
        s->is_pub = c->is_pub;
        c->symbol = s;
        add(c->name, c->name_span, s);
        break;
      }
      case DeclKind::Impl:
        impls_.push_back(static_cast<ImplDecl*>(d));
        for (FnDecl* m2 : static_cast<ImplDecl*>(d)->methods) decl_package_[m2] = pkg;
        break;
      case DeclKind::Trait: {
        auto* t = static_cast<TraitDecl*>(d);
        Symbol* s = new_symbol(SymbolKind::Trait, t->name, t->name_span, nullptr);
        s->trait = t;
        s->is_pub = t->is_pub;
        add(t->name, t->name_span, s);
        for (FnDecl* m2 : t->methods) decl_package_[m2] = pkg;
        break;
      }
      case DeclKind::Import: {
        auto it = prog_.imports.find(static_cast<ImportDecl*>(d));
        if (it == prog_.imports.end()) break;  // reported by the driver
        Symbol* s = new_symbol(SymbolKind::Package, d->name, d->name_span, nullptr);
        s->pkg = it->second;
        s->is_pub = false;
        add(d->name, d->name_span, s);
        break;
      }
    }
  }
}

static Zone zone_of(const Annotations& annotations) {
  for (const Annotation& a : annotations) {
    if (a.name == "ownership" && a.args.size() == 1) {
      if (a.args[0].value == "c") return Zone::C;
      if (a.args[0].value == "pinned") return Zone::Pinned;
    }
  }
  return Zone::Gc;
}

void Checker::fill(StructInfo& info) {
  InPackage in(*this, info.decl);
  std::set<std::string> seen;
  info.zone = zone_of(info.decl->annotations);
  for (FieldDecl& f : info.decl->fields) {
    if (!seen.insert(f.name).second) {
      diags_.report(DiagCode::E0102, f.span,
                    fmt::format("field `{}` is declared more than once in `{}`", f.name, info.name));
      continue;
    }
    const Type* t = resolve_type(f.type);
    if (t->kind == TypeKind::Void || t->kind == TypeKind::Never) {
      diags_.report(DiagCode::E0103, f.type->span, fmt::format("a field cannot have type `{}`", t->name));
      t = types_.error();
    }
    info.fields.push_back(FieldInfo{f.name, t, f.is_pub, f.span});
  }
}

void Checker::fill(EnumInfo& info) {
  InPackage in(*this, info.decl);
  info.zone = zone_of(info.decl->annotations);
  std::set<std::string> seen;
  for (VariantDecl& v : info.decl->variants) {
    if (!seen.insert(v.name).second) {
      diags_.report(DiagCode::E0102, v.span,
                    fmt::format("variant `{}` is declared more than once in `{}`", v.name, info.name));
      continue;
    }
    VariantInfo vi;
    vi.name = v.name;
    for (TypeExpr* te : v.payload) {
      const Type* t = resolve_type(te);
      if (t->kind == TypeKind::Void && v.payload.size() == 1) continue;  // `V(void)` is `V`
      vi.payload.push_back(t);
      vi.boxed.push_back(false);
    }
    info.variants.push_back(std::move(vi));
  }
}

// Bodies of the non-generic structs and enums (instances of generic ones
// fill themselves when made).
void Checker::resolve_nominal_bodies() {
  size_t structs = prog_.struct_infos.size(), enums = prog_.enum_infos.size();
  for (size_t i = 0; i < structs; ++i) fill(prog_.struct_infos[i]);
  for (size_t i = 0; i < enums; ++i) fill(prog_.enum_infos[i]);
}

const Type* Checker::resolve_type(TypeExpr* t) {
  switch (t->kind) {
    case TypeExprKind::Ptr: {
      // `*mut Result` without type arguments (the seed's foreign signature
      // `-> #[transfer_full] *mut Result`) points to an opaque foreign value:
      // the same type as `*mut void`.
      if (t->inner->kind == TypeExprKind::Named && t->inner->name == "Result" && t->inner->args.empty())
        return types_.ptr(types_.void_(), t->is_mut);
      const Type* inner = resolve_type(t->inner);
      if (inner->kind == TypeKind::Never) inner = types_.void_();
      return types_.ptr(inner, t->is_mut);
    }
    case TypeExprKind::Slice: {
      const Type* inner = resolve_type(t->inner);
      if (inner->kind == TypeKind::Void || inner->kind == TypeKind::Never) {
        diags_.report(DiagCode::E0103, t->inner->span, fmt::format("slice of `{}` is not allowed", inner->name));
        return types_.error();
      }
      return types_.slice(inner);
    }
    case TypeExprKind::Array: {
      const Type* inner = resolve_type(t->inner);
      check(t->size, types_.int_(IntKind::USize));
      bool failed = false;
      std::optional<int64_t> n = const_int(t->size, &failed);
      if (failed) return types_.error();
      if (!n) {
        diags_.report(DiagCode::E0118, t->size->span, "array length must be a constant integer")
            .help("use a literal or a `const`, or a slice (`[]T`) for a length known at run time");
        return types_.error();
      }
      if (*n < 0 || *n > (int64_t{1} << 32)) {
        diags_.report(DiagCode::E0111, t->size->span, fmt::format("array length {} is out of range", *n));
        return types_.error();
      }
      if (inner->kind == TypeKind::Void || inner->kind == TypeKind::Never) {
        // fuzz_frontend: unreported, the error type reached codegen.
        diags_.report(DiagCode::E0103, t->inner->span, fmt::format("array of `{}` is not allowed", inner->name));
        return types_.error();
      }
      return types_.array(inner, static_cast<uint64_t>(*n));
    }
    case TypeExprKind::Tuple: {
      std::vector<const Type*> elems;
      for (TypeExpr* e : t->args) elems.push_back(resolve_type(e));
      return types_.tuple(std::move(elems));
    }
    case TypeExprKind::Func: {
      std::vector<const Type*> params;
      for (TypeExpr* e : t->args) params.push_back(resolve_type(e));
      return types_.func(std::move(params), t->inner ? resolve_type(t->inner) : types_.void_());
    }
    case TypeExprKind::Named:
      break;
  }
  for (auto it = type_params_.rbegin(); it != type_params_.rend(); ++it) {
    if (auto found = it->find(t->name); found != it->end() && t->args.empty()) return found->second;
  }
  if (t->name == "Self") {
    diags_.report(DiagCode::E0104, t->span, "`Self` is only meaningful inside an `impl` or `trait`");
    return types_.error();
  }
  if (t->name == "void" || t->name == "Never") {
    if (!t->args.empty()) diags_.report(DiagCode::E0104, t->span, fmt::format("`{}` takes no type arguments", t->name));
    return types_.primitive(t->name);
  }
  if (t->name == "Handle" && t->args.size() == 1 && !lookup("Handle")) {
    const Type* r = resolve_type(t->args[0]);
    return r->is_error() ? r : types_.handle(r);
  }
  if (t->name == "Result" || t->name == "Option") {
    size_t want = t->name == "Result" ? 2 : 1;
    if (t->args.size() != want) {
      diags_.report(DiagCode::E0104, t->span,
                    fmt::format("`{}` needs {} type argument{}", t->name, want, want == 1 ? "" : "s"))
          .help(t->name == "Result" ? "write `Result<T, E>` (a bare `*mut Result` is a pointer to an opaque foreign value)" : "write `Option<T>`");
      return types_.error();
    }
    const Type* a = resolve_type(t->args[0]);
    if (t->name == "Option") return a->is_error() ? a : types_.option(a);
    const Type* b = resolve_type(t->args[1]);
    if (a->is_error() || b->is_error()) return types_.error();
    return types_.result(a, b);
  }
  Symbol* s = lookup_path(t->name, t->span);
  if (!s && t->name.find('.') != std::string::npos) return types_.error();
  if (s && s->kind == SymbolKind::Type && s->generic) {
    std::vector<const Type*> args;
    for (TypeExpr* a : t->args) args.push_back(resolve_type(a));
    return instantiate_nominal(s, std::move(args), t->span);
  }
  if (!s || s->kind != SymbolKind::Type || !s->type) {
    if (s && s->kind != SymbolKind::Type) {
      auto d = diags_.report(DiagCode::E0123, t->span, fmt::format("`{}` is not a type", t->name));
      if (s->kind == SymbolKind::Trait)
        d.help(fmt::format("`{0}` is a trait: take a type parameter bound by it, `fn f<T: {0}>(x: T)`", t->name));
    } else {
      auto d = diags_.report(DiagCode::E0104, t->span, fmt::format("unknown type `{}`", t->name));
      std::string best = closest_name(t->name, true);
      if (t->name == "String" || t->name == "str") d.help("the string type is `string`");
      else if (t->name == "Vec") d.help("use a slice type `[]T`");
      else if (!best.empty()) d.help(fmt::format("did you mean `{}`?", best));
    }
    return types_.error();
  }
  if (!t->args.empty()) {
    diags_.report(DiagCode::E0104, t->span, fmt::format("`{}` takes no type arguments", t->name));
  }
  return s->type;
}

namespace {

std::string int128_str(__int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string out;
  for (; u; u /= 10) out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
  return neg ? "-" + out : out;
}

__int128 int_min(const Type* t) { return t->is_signed() ? -(static_cast<__int128>(1) << (t->int_bits() - 1)) : 0; }
__int128 int_max(const Type* t) {
  return t->is_signed() ? (static_cast<__int128>(1) << (t->int_bits() - 1)) - 1
                        : (static_cast<__int128>(1) << t->int_bits()) - 1;
}
// Two's complement truncation to `t`, as a C cast or a wrapping operation does.
__int128 wrap_to(const Type* t, __int128 v) {
  int bits = t->int_bits();
  auto u = static_cast<unsigned __int128>(v) & ((static_cast<unsigned __int128>(1) << bits) - 1);
  if (t->is_signed() && (u >> (bits - 1)) != 0) return static_cast<__int128>(u) - (static_cast<__int128>(1) << bits);
  return static_cast<__int128>(u);
}
const char* op_text(Tok op) {
  switch (op) {
    case Tok::Plus: return "+"; case Tok::Minus: return "-"; case Tok::Star: return "*";
    case Tok::Slash: return "/"; case Tok::Percent: return "%"; case Tok::Shl: return "<<";
    case Tok::Shr: return ">>"; default: return "?";
  }
}

}  // namespace

Checker::ConstValue Checker::eval_const(Expr* e, bool report) {
  using S = ConstValue::Status;
  const Type* t = e->type;
  if (t && t->is_error()) return {S::Failed, 0};  // reported already
  bool integer = t && t->is_integer();
  switch (e->kind) {
    case ExprKind::IntLit: {
      auto* lit = static_cast<IntLit*>(e);
      if (lit->overflowed) return {S::Failed, 0};
      return integer ? ConstValue{S::Ok, static_cast<__int128>(lit->value)} : ConstValue{};
    }
    case ExprKind::BoolLit:
      return {S::Ok, static_cast<BoolLit*>(e)->value ? 1 : 0};
    case ExprKind::CharLit:
      return {S::Ok, static_cast<CharLit*>(e)->value};
    case ExprKind::Sizeof: {
      // The sizes the C ABI gives the scalar types and the two-word headers
      // of strings and slices (x86-64 and AArch64 alike); other types'
      // sizes are C's to decide, so they are not constants here.
      const Type* target = static_cast<SizeofExpr*>(e)->target_type;
      if (!target || !integer) return {};
      switch (target->kind) {
        case TypeKind::Int: return {S::Ok, target->int_bits() / 8};
        case TypeKind::Float: return {S::Ok, target->float_bits / 8};
        case TypeKind::Bool: return {S::Ok, 1};
        case TypeKind::Char: return {S::Ok, 4};
        case TypeKind::Ptr: return {S::Ok, 8};
        case TypeKind::String: case TypeKind::Slice: return {S::Ok, 16};
        default: return {};
      }
    }
    case ExprKind::Name:
    case ExprKind::Field: {
      Symbol* s = e->kind == ExprKind::Name ? static_cast<NameExpr*>(e)->symbol : static_cast<FieldExpr*>(e)->symbol;
      if (!s || s->kind != SymbolKind::Const) return {};
      if (auto it = const_values_.find(s->const_decl); it != const_values_.end())
        return it->second.status == S::Failed || integer ? it->second : ConstValue{};
      // Being checked: a cycle, reported by const_type.
      return consts_checked_.count(s->const_decl) ? ConstValue{S::Failed, 0} : ConstValue{};
    }
    case ExprKind::Unary: {
      auto* u = static_cast<UnaryExpr*>(e);
      if (u->op != Tok::Minus && u->op != Tok::Tilde) return {};
      ConstValue v = eval_const(u->operand, report);
      if (v.status != S::Ok || !integer) return v.status == S::Failed ? v : ConstValue{};
      if (u->op == Tok::Tilde) return {S::Ok, wrap_to(t, ~v.value)};
      __int128 r = -v.value;
      if (r < int_min(t) || r > int_max(t)) {
        if (report && const_eval_reported_.insert({e->span.file, e->span.begin}).second)
          diags_.report(DiagCode::E0132, e->span,
                        fmt::format("this negation will overflow: -({}) is {}, outside the range of `{}` ({} to {})",
                                    int128_str(v.value), int128_str(r), t->name, int128_str(int_min(t)),
                                    int128_str(int_max(t))))
              .help("constants are computed at compile time, where overflow and division by zero are errors");
        return {S::Failed, 0};
      }
      return {S::Ok, r};
    }
    case ExprKind::Cast: {
      ConstValue v = eval_const(static_cast<CastExpr*>(e)->operand, report);
      if (v.status != S::Ok || !integer) return v.status == S::Failed ? v : ConstValue{};
      return {S::Ok, wrap_to(t, v.value)};
    }
    case ExprKind::Binary: {
      auto* b = static_cast<BinaryExpr*>(e);
      ConstValue l = eval_const(b->lhs, report), r = eval_const(b->rhs, report);
      if (l.status == S::Failed || r.status == S::Failed) return {S::Failed, 0};
      if (l.status != S::Ok || r.status != S::Ok || !integer) return {};
      return eval_const_op(e, b->op, l, r, report);
    }
    default:
      return {};
  }
}

Checker::ConstValue Checker::eval_const_op(Expr* e, Tok op, ConstValue lv, ConstValue rv, bool report) {
  using S = ConstValue::Status;
  const Type* t = e->type;
  __int128 l = lv.value, r = rv.value, out = 0;
  auto fail = [&](std::string message) -> ConstValue {
    // Once per expression: a generic instance resolves its array types again.
    if (report && const_eval_reported_.insert({e->span.file, e->span.begin}).second)
      diags_.report(DiagCode::E0132, e->span, std::move(message))
          .help("constants are computed at compile time, where overflow and division by zero are errors");
    return {S::Failed, 0};
  };
  std::string expr = fmt::format("{} {} {}", int128_str(l), op_text(op), int128_str(r));
  switch (op) {
    case Tok::Plus: out = l + r; break;
    case Tok::Minus: out = l - r; break;
    case Tok::Star:
      if (__builtin_mul_overflow(l, r, &out))  // beyond even 128 bits
        return fail(fmt::format("this arithmetic operation will overflow: {} does not fit in `{}` ({} to {})", expr,
                                t->name, int128_str(int_min(t)), int128_str(int_max(t))));
      break;
    case Tok::Slash: case Tok::Percent:
      if (r == 0)
        return fail(fmt::format("this {} divides by zero: {}", op == Tok::Slash ? "division" : "remainder", expr));
      if (t->is_signed() && l == int_min(t) && r == -1)
        return fail(fmt::format("this {} will overflow: {} in `{}`", op == Tok::Slash ? "division" : "remainder",
                                expr, t->name));
      out = op == Tok::Slash ? l / r : l % r;
      break;
    case Tok::Amp: return {S::Ok, l & r};
    case Tok::Pipe: return {S::Ok, l | r};
    case Tok::Caret: return {S::Ok, l ^ r};
    case Tok::Shl: case Tok::Shr:
      if (r < 0 || r >= t->int_bits())
        return fail(fmt::format("this shift will overflow: {}, but a `{}` can only be shifted by 0 to {} bits", expr,
                                t->name, t->int_bits() - 1));
      // `<<` drops the bits shifted out (as at run time); `>>` of a negative
      // value is arithmetic.
      return {S::Ok, op == Tok::Shl ? wrap_to(t, static_cast<__int128>(static_cast<unsigned __int128>(l) << r)) : l >> r};
    default:
      return {};
  }
  if (out < int_min(t) || out > int_max(t))
    return fail(fmt::format("this arithmetic operation will overflow: {} is {}, outside the range of `{}` ({} to {})",
                            expr, int128_str(out), t->name, int128_str(int_min(t)), int128_str(int_max(t))));
  return {S::Ok, out};
}

std::optional<int64_t> Checker::const_int(Expr* e, bool* failed) {
  ConstValue v = eval_const(e, /*report=*/true);
  if (failed) *failed = v.status == ConstValue::Failed;
  if (v.status != ConstValue::Ok || v.value < INT64_MIN || v.value > INT64_MAX) return std::nullopt;
  return static_cast<int64_t>(v.value);
}

void Checker::resolve_signature(FnDecl* f) {
  InPackage in(*this, f);
  std::vector<const Type*> params;
  for (Param& p : f->params) {
    if (p.is_self) {
      const Type* self = nullptr;
      for (auto it = type_params_.rbegin(); it != type_params_.rend() && !self; ++it)
        if (auto found = it->find("Self"); found != it->end()) self = found->second;
      if (!self) {
        diags_.report(DiagCode::E0123, p.span, "`self` is only allowed in a method inside an `impl`");
        self = types_.error();
      }
      params.push_back(self);
      continue;
    }
    const Type* t = resolve_type(p.type);
    if (t->kind == TypeKind::Void || t->kind == TypeKind::Never) {
      diags_.report(DiagCode::E0103, p.type->span, fmt::format("a parameter cannot have type `{}`", t->name));
      t = types_.error();
    }
    params.push_back(t);
  }
  const Type* ret = f->ret ? resolve_type(f->ret) : types_.void_();
  f->symbol->type = types_.func(std::move(params), ret);
}

const Type* Checker::const_type(Symbol* s, Span use) {
  ConstDecl* c = s->const_decl;
  auto index = const_open_index_.find(c);
  if (index != const_open_index_.end()) {
    auto open = consts_in_progress_.begin() + static_cast<std::ptrdiff_t>(index->second);
    // `use` closes a cycle: the constants from `open` on each use the next.
    std::string chain;
    for (auto it = open + 1; it != consts_in_progress_.end(); ++it)
      chain += fmt::format("{}`{}`", it == open + 1 ? ": `" + c->name + "` uses " : ", which uses ", it->decl->name);
    if (!chain.empty()) chain += fmt::format(", which uses `{}`", c->name);
    auto d = diags_.report(DiagCode::E0118, use,
                           fmt::format("constant `{}` is defined in terms of itself{}", c->name, chain));
    for (auto it = open + 1; it != consts_in_progress_.end(); ++it)
      d.note(it->use, fmt::format("`{}` uses `{}` here", (it - 1)->decl->name, it->decl->name));
    d.help(chain.empty() ? fmt::format("give `{}` a value that does not name `{}`", c->name, c->name)
                         : "give one of these constants a value that does not depend on the others");
    return types_.error();
  }
  if (!consts_checked_.count(c)) {
    if (consts_in_progress_.size() >= kMaxConstNesting) {
      if (!const_nesting_reported_)
        diags_.report(DiagCode::E0118, use,
                      fmt::format("constant `{}` is named at the end of a chain of more than {} constants, each "
                                  "naming one declared after it",
                                  c->name, kMaxConstNesting))
            .help("declare constants before the constants that use them");
      const_nesting_reported_ = true;
      return types_.error();
    }
    check_const(c, use);
  }
  return s->type ? s->type : types_.error();
}

void Checker::check_const(ConstDecl* c, Span use) {
  if (!consts_checked_.insert(c).second) return;
  const_open_index_[c] = consts_in_progress_.size();
  consts_in_progress_.push_back({c, use});
  struct Pop {
    Checker& c;
    ~Pop() {
      c.const_open_index_.erase(c.consts_in_progress_.back().decl);
      c.consts_in_progress_.pop_back();
    }
  } pop{*this};
  InPackage in(*this, c);
  const Type* declared = c->type ? resolve_type(c->type) : nullptr;
  const Type* t = declared ? expect_type(c->value, declared, "constant") : check(c->value, nullptr);
  c->symbol->type = declared ? declared : t;
  // A constant is made of literals, other constants, operators, casts and sizeof.
  std::function<bool(Expr*)> is_const = [&](Expr* e) -> bool {
    switch (e->kind) {
      case ExprKind::IntLit: case ExprKind::FloatLit: case ExprKind::StringLit:
      case ExprKind::CharLit: case ExprKind::BoolLit: case ExprKind::Sizeof:
        return true;
      case ExprKind::Name: {
        Symbol* s = static_cast<NameExpr*>(e)->symbol;
        return s && (s->kind == SymbolKind::Const || s->kind == SymbolKind::OwnershipConst);
      }
      case ExprKind::Unary:
        return static_cast<UnaryExpr*>(e)->op != Tok::Star && static_cast<UnaryExpr*>(e)->op != Tok::Amp &&
               is_const(static_cast<UnaryExpr*>(e)->operand);
      case ExprKind::Binary:
        return is_const(static_cast<BinaryExpr*>(e)->lhs) && is_const(static_cast<BinaryExpr*>(e)->rhs) &&
               !static_cast<BinaryExpr*>(e)->type->is(TypeKind::String);
      case ExprKind::Cast:
        return is_const(static_cast<CastExpr*>(e)->operand);
      default:
        return false;
    }
  };
  if (t->is_error()) {
    const_values_[c] = {ConstValue::Failed, 0};
  } else if (!is_const(c->value)) {
    diags_.report(DiagCode::E0118, c->value->span,
                  fmt::format("the value of constant `{}` is not a constant expression", c->name))
        .help("constants are built from literals, other constants, operators, casts and `sizeof`");
    const_values_[c] = {ConstValue::Failed, 0};
  } else {
    ConstValue v = eval_const(c->value, /*report=*/true);
    const_values_[c] = v;
    if (v.status == ConstValue::Ok && c->symbol->type->is_integer())
      c->int_value = static_cast<int64_t>(static_cast<uint64_t>(static_cast<unsigned __int128>(v.value)));
  }
}

// A struct, array or tuple that contains itself by value would be infinitely
// large (a recursive enum payload is boxed and breaks the cycle).
void Checker::check_infinite_size() {
  // One depth-first walk over "contains by value" (struct fields, through
  // arrays and tuples): a field that leads back to a struct still on the
  // walk's path closes a cycle.  Linear in the number of fields.
  std::map<const Type*, int> state;  // 1: on the path, 2: done
  std::function<void(const Type*, std::vector<const Type*>&)> structs_in =
      [&](const Type* u, std::vector<const Type*>& out) {
        if (u->kind == TypeKind::Struct) out.push_back(u);
        else if (u->kind == TypeKind::Array) structs_in(u->elem, out);
        else if (u->kind == TypeKind::Tuple)
          for (const Type* e : u->elems) structs_in(e, out);
      };
  // The fields being explored, one per struct on the path: a cycle is
  // reported at the field through which its first struct was left.
  std::vector<std::pair<const Type*, FieldInfo*>> path;
  std::function<void(const Type*)> visit = [&](const Type* t) {
    state[t] = 1;
    path.emplace_back(t, nullptr);
    for (FieldInfo& f : t->strukt->fields) {
      path.back().second = &f;
      std::vector<const Type*> inner;
      structs_in(f.type, inner);
      for (const Type* s : inner) {
        if (state[s] == 1) {
          auto entry = std::find_if(path.begin(), path.end(), [&](const auto& p) { return p.first == s; });
          FieldInfo* at = entry->second;
          if (!at->type->is_error()) {
            diags_.report(DiagCode::E0119, at->span,
                          fmt::format("struct `{}` contains itself through field `{}`", s->name, at->name))
                .help("hold it through an `Option<...>`, an enum payload, a slice or a pointer");
            at->type = types_.error();
          }
          break;
        }
        if (state[s] == 0) visit(s);
      }
    }
    path.pop_back();
    state[t] = 2;
  };
  for (const Type* t : prog_.nominal_types)
    if (t->kind == TypeKind::Struct && state[t] == 0) visit(t);
}

// Marks the enum payloads that contain their own enum by value: those are
// stored as pointers to GC-managed copies.
void Checker::compute_boxing() {
  std::function<bool(const Type*, const Type*, std::set<const Type*>&)> contains =
      [&](const Type* u, const Type* target, std::set<const Type*>& seen) -> bool {
    if (u == target) return true;
    if (!seen.insert(u).second) return false;
    switch (u->kind) {
      case TypeKind::Struct:
        for (const FieldInfo& f : u->strukt->fields)
          if (contains(f.type, target, seen)) return true;
        return false;
      case TypeKind::Array:
        return contains(u->elem, target, seen);
      case TypeKind::Tuple:
        for (const Type* e : u->elems)
          if (contains(e, target, seen)) return true;
        return false;
      case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result:
        for (const VariantInfo& v : types_.variants(u))
          for (size_t i = 0; i < v.payload.size(); ++i)
            if (!v.boxed[i] && contains(v.payload[i], target, seen)) return true;
        return false;
      default:
        return false;
    }
  };
  // Iterate until stable: boxing one payload can break another cycle.
  std::vector<const Type*> sums;
  for (const Type* t : prog_.nominal_types)
    if (t->is_sum()) sums.push_back(t);
  for (const Type* t : prog_.types.all())
    if (t->kind == TypeKind::Option || t->kind == TypeKind::Result) sums.push_back(t);
  for (const Type* t : sums) {
    for (VariantInfo& v : types_.variants(t)) {
      for (size_t i = 0; i < v.payload.size(); ++i) {
        std::set<const Type*> seen;
        if (contains(v.payload[i], t, seen)) v.boxed[i] = true;
      }
    }
  }
}

void Checker::check_main() {
  Module* entry = prog_.modules.front();
  for (Decl* d : entry->decls) {
    if (d->kind == DeclKind::Fn && d->name == "main" && !static_cast<FnDecl*>(d)->is_extern) {
      auto* f = static_cast<FnDecl*>(d);
      if (!f->generics.empty()) {
        diags_.report(DiagCode::E0121, f->name_span, "`main` cannot be generic")
            .help("remove its type parameters: `fn main() -> void`");
        return;
      }
      if (!f->symbol || !f->symbol->type) return;
      const Type* ft = f->symbol->type;
      const Type* ret = ft->elem;
      if (!ft->elems.empty() ||
          !(ret->kind == TypeKind::Void || ret == types_.int_(IntKind::I32) || ret->is_error())) {
        diags_.report(DiagCode::E0121, f->name_span,
                      fmt::format("`main` has the wrong signature `{}`", ft->name))
            .help("write `fn main() -> void` or `fn main() -> i32` (the exit status)");
        return;
      }
      prog_.main = f;
      prog_.main_returns_status = ret->kind == TypeKind::Int;
      return;
    }
  }
  Span top{entry->file, 0, 0};
  diags_.report(DiagCode::E0121, top, "no `main` function in the program")
      .help("add `pub fn main() -> void { ... }`");
}

bool Checker::run() {
  int errors_before = diags_.error_mark();
  declare_universe();
  declare_libc();
  for (Module* m : prog_.modules) declare_module(m);
  cur_package_ = &prog_.packages.front();
  package_scope_ = &package_scopes_[cur_package_];
  resolve_nominal_bodies();
  for (Decl* d : prog_.libc_module->decls) resolve_signature(static_cast<FnDecl*>(d));
  std::vector<FnDecl*> plain;
  for (Module* m : prog_.modules) {
    for (Decl* d : m->decls) {
      if (d->kind == DeclKind::Fn && static_cast<FnDecl*>(d)->symbol) {
        auto* f = static_cast<FnDecl*>(d);
        resolve_signature(f);
        (f->is_extern ? prog_.externs : prog_.functions).push_back(f);
        if (!f->is_extern) plain.push_back(f);
      }
    }
  }
  register_impls();
  for (Module* m : prog_.modules)
    for (Decl* d : m->decls)
      if (d->kind == DeclKind::Const) check_const(static_cast<ConstDecl*>(d));
  check_main();
  for (FnDecl* f : plain)
    if (!f->body_has_syntax_errors) check_fn_body(f);
  check_pending_bodies();
  check_uninstantiated_generics();
  check_pending_bodies();
  check_infinite_size();
  compute_boxing();
  return diags_.error_mark() - errors_before == body_errors_;
}

bool analyze(Program& program, Diagnostics& diags) {
  {
    // The libc package is parsed from its source text (a synthetic file).
    static SourceManager libc_sources;
    static const uint32_t libc_file = libc_sources.add("<libc>", libc_package_source());
    Diagnostics libc_diags(libc_sources);
    program.libc_module = parse(lex(libc_sources, libc_file, libc_diags), libc_file, libc_diags);
    ASTHRA_CHECK(libc_diags.error_count() == 0);
  }
  auto time = [&](const char* phase, auto&& work) {
    auto start = std::chrono::steady_clock::now();
    work();
    program.phase_seconds.emplace_back(
        phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  // Errors inside function bodies only leave the declarations sound, so the
  // later passes still check the other bodies: independent errors are all
  // reported, and a body with errors is skipped to avoid follow-ons.
  bool declarations_sound = false;
  time("types", [&] { declarations_sound = Checker(program, diags).run(); });
  if (!declarations_sound) return false;
  time("annotations", [&] { check_annotations(program, diags); });
  time("ownership", [&] { check_ownership(program, diags); });
  time("constant-time", [&] { check_constant_time(program, diags); });
  return diags.error_count() == 0;
}

}  // namespace asthra
