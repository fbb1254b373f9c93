#include "compiler/sema/types.h"

#include <fmt/format.h>

#include "compiler/base/check.h"

namespace asthra {

int Type::int_bits() const {
  switch (int_kind) {
    case IntKind::I8: case IntKind::U8: return 8;
    case IntKind::I16: case IntKind::U16: return 16;
    case IntKind::I32: case IntKind::U32: return 32;
    default: return 64;
  }
}

static const char* kIntNames[] = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize"};

TypeContext::TypeContext() {
  auto simple = [&](TypeKind k, const char* name) {
    Type t;
    t.kind = k;
    t.name = name;
    return intern(t);
  };
  error_ = simple(TypeKind::Error, "{error}");
  void_t_ = simple(TypeKind::Void, "void");
  never_ = simple(TypeKind::Never, "Never");
  bool_t_ = simple(TypeKind::Bool, "bool");
  char_t_ = simple(TypeKind::Char, "char");
  string_t_ = simple(TypeKind::String, "string");
  for (int i = 0; i < 10; ++i) {
    Type t;
    t.kind = TypeKind::Int;
    t.int_kind = static_cast<IntKind>(i);
    t.name = kIntNames[i];
    ints_[i] = intern(t);
  }
  Type f;
  f.kind = TypeKind::Float;
  f.float_bits = 32;
  f.name = "f32";
  f32_ = intern(f);
  f.float_bits = 64;
  f.name = "f64";
  f64_ = intern(f);
}

const Type* TypeContext::intern(Type t) {
  std::string shape = fmt::format("{}/{}/{}/{}/{}/{}/{}/{}", static_cast<int>(t.kind), static_cast<int>(t.int_kind),
                                  t.float_bits, t.is_mut, t.count, static_cast<const void*>(t.elem),
                                  static_cast<const void*>(t.strukt), static_cast<const void*>(t.enm));
  for (const Type* e : t.elems) shape += fmt::format("/{}", static_cast<const void*>(e));
  auto [it, added] = by_shape_.emplace(std::move(shape), nullptr);
  if (added) {
    types_.push_back(std::make_unique<Type>(std::move(t)));
    it->second = types_.back().get();
  }
  return it->second;
}

const Type* TypeContext::primitive(const std::string& n) const {
  if (n == "int") return int_(IntKind::I64);
  if (n == "float") return f64_;
  for (int i = 0; i < 10; ++i)
    if (n == kIntNames[i]) return ints_[i];
  if (n == "f32") return f32_;
  if (n == "f64") return f64_;
  if (n == "bool") return bool_t_;
  if (n == "char") return char_t_;
  if (n == "string") return string_t_;
  if (n == "void") return void_t_;
  if (n == "Never") return never_;
  return nullptr;
}

const Type* TypeContext::ptr(const Type* elem, bool is_mut) {
  Type t;
  t.kind = TypeKind::Ptr;
  t.elem = elem;
  t.is_mut = is_mut;
  t.name = fmt::format("*{} {}", is_mut ? "mut" : "const", elem->name);
  return intern(t);
}

const Type* TypeContext::slice(const Type* elem) {
  Type t;
  t.kind = TypeKind::Slice;
  t.elem = elem;
  t.name = "[]" + elem->name;
  return intern(t);
}

const Type* TypeContext::array(const Type* elem, uint64_t count) {
  Type t;
  t.kind = TypeKind::Array;
  t.elem = elem;
  t.count = count;
  t.name = fmt::format("[{}]{}", count, elem->name);
  return intern(t);
}

static std::string join_names(const std::vector<const Type*>& ts) {
  std::string out;
  for (size_t i = 0; i < ts.size(); ++i) out += (i ? ", " : "") + ts[i]->name;
  return out;
}

const Type* TypeContext::tuple(std::vector<const Type*> elems) {
  Type t;
  t.kind = TypeKind::Tuple;
  t.name = "(" + join_names(elems) + (elems.size() == 1 ? ",)" : ")");  // `(T,)`: `(T)` is T
  t.elems = std::move(elems);
  return intern(t);
}

const Type* TypeContext::func(std::vector<const Type*> params, const Type* ret) {
  Type t;
  t.kind = TypeKind::Func;
  t.name = fmt::format("fn({}) -> {}", join_names(params), ret->name);
  t.elems = std::move(params);
  t.elem = ret;
  return intern(t);
}

const Type* TypeContext::option(const Type* inner) {
  Type t;
  t.kind = TypeKind::Option;
  t.elems = {inner};
  t.name = "Option<" + inner->name + ">";
  const Type* r = intern(t);
  if (!builtin_variants_.count(r)) {
    builtin_variants_[r] = {VariantInfo{"Some", {inner}, {false}}, VariantInfo{"None", {}, {}}};
  }
  return r;
}

const Type* TypeContext::result(const Type* ok, const Type* err) {
  Type t;
  t.kind = TypeKind::Result;
  t.elems = {ok, err};
  t.name = "Result<" + ok->name + ", " + err->name + ">";
  const Type* r = intern(t);
  if (!builtin_variants_.count(r)) {
    builtin_variants_[r] = {VariantInfo{"Ok", {ok}, {false}}, VariantInfo{"Err", {err}, {false}}};
  }
  return r;
}

const Type* TypeContext::handle(const Type* result) {
  Type t;
  t.kind = TypeKind::Handle;
  t.elem = result;
  t.name = "Handle<" + result->name + ">";
  return intern(t);
}

const Type* TypeContext::strukt(StructInfo* info) {
  Type t;
  t.kind = TypeKind::Struct;
  t.strukt = info;
  t.name = info->name;
  return intern(t);
}

const Type* TypeContext::enm(EnumInfo* info) {
  Type t;
  t.kind = TypeKind::Enum;
  t.enm = info;
  t.name = info->name;
  return intern(t);
}

std::vector<const Type*> TypeContext::all() const {
  std::vector<const Type*> out;
  for (const auto& t : types_) out.push_back(t.get());
  return out;
}

std::vector<VariantInfo>& TypeContext::variants(const Type* t) {
  if (t->kind == TypeKind::Enum) return t->enm->variants;
  auto it = builtin_variants_.find(t);
  ASTHRA_CHECK(it != builtin_variants_.end());
  return it->second;
}

}  // namespace asthra
