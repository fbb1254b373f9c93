// Semantic types, interned: two equal types are the same pointer, so type
// equality is pointer equality everywhere after sema.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/base/source.h"

namespace asthra {

struct StructDecl;
struct EnumDecl;

enum class TypeKind {
  Error,  // poison: an error was already reported; suppresses follow-on errors
  Void, Never, Bool, Char, Int, Float, String,
  Ptr, Slice, Array, Tuple, Func, Struct, Enum, Option, Result,
  Handle,  // `Handle<T>`: a spawned task whose result is a T
};

enum class IntKind { I8, I16, I32, I64, U8, U16, U32, U64, ISize, USize };

struct Type;

struct FieldInfo {
  std::string name;
  const Type* type = nullptr;
  bool is_pub = false;
  Span span;
};

enum class Zone { Gc, C, Pinned };

struct StructInfo {
  std::string name;
  std::string c_name;
  StructDecl* decl = nullptr;  // null for runtime structs (GcStats)
  std::vector<const Type*> type_args;  // an instance of a generic struct: its arguments
  std::vector<FieldInfo> fields;
  Zone zone = Zone::Gc;
  const FieldInfo* field(const std::string& n) const {
    for (const auto& f : fields)
      if (f.name == n) return &f;
    return nullptr;
  }
};

struct VariantInfo {
  std::string name;
  std::vector<const Type*> payload;
  // Payloads that contain the enum itself are stored as a pointer to a
  // GC-managed copy (language.md: recursive types).
  std::vector<bool> boxed;
  // With any payload boxed, codegen boxes the variant's payload as a whole:
  // one allocation per value (`Node(Tree, Tree)` is one object, not two).
  bool any_boxed() const {
    for (bool b : boxed)
      if (b) return true;
    return false;
  }
};

struct EnumInfo {
  std::string name;
  std::string c_name;
  EnumDecl* decl = nullptr;
  std::vector<const Type*> type_args;  // an instance of a generic enum: its arguments
  std::vector<VariantInfo> variants;
  Zone zone = Zone::Gc;
  int variant_index(const std::string& n) const {
    for (size_t i = 0; i < variants.size(); ++i)
      if (variants[i].name == n) return static_cast<int>(i);
    return -1;
  }
};

struct Type {
  TypeKind kind = TypeKind::Error;
  IntKind int_kind = IntKind::I64;  // Int
  int float_bits = 64;              // Float
  bool is_mut = false;              // Ptr
  const Type* elem = nullptr;       // Ptr, Slice, Array; Func: return type
  uint64_t count = 0;               // Array
  std::vector<const Type*> elems;   // Tuple; Func params; Option {T}; Result {T, E}
  StructInfo* strukt = nullptr;     // Struct
  EnumInfo* enm = nullptr;          // Enum
  std::string name;                 // display name (two types may share one)

  bool is(TypeKind k) const { return kind == k; }
  bool is_error() const { return kind == TypeKind::Error; }
  bool is_integer() const { return kind == TypeKind::Int; }
  bool is_numeric() const { return kind == TypeKind::Int || kind == TypeKind::Float; }
  bool is_signed() const {
    return kind == TypeKind::Int && (int_kind <= IntKind::I64 || int_kind == IntKind::ISize);
  }
  int int_bits() const;
  // Enums, Option and Result share one shape: tagged variants.
  bool is_sum() const {
    return kind == TypeKind::Enum || kind == TypeKind::Option || kind == TypeKind::Result;
  }
};

class TypeContext {
 public:
  TypeContext();
  const Type* error() const { return error_; }
  const Type* void_() const { return void_t_; }
  const Type* never() const { return never_; }
  const Type* bool_() const { return bool_t_; }
  const Type* char_() const { return char_t_; }
  const Type* string() const { return string_t_; }
  const Type* int_(IntKind k) const { return ints_[static_cast<int>(k)]; }
  const Type* float_(int bits) const { return bits == 32 ? f32_ : f64_; }
  const Type* ptr(const Type* elem, bool is_mut);
  const Type* slice(const Type* elem);
  const Type* array(const Type* elem, uint64_t count);
  const Type* tuple(std::vector<const Type*> elems);
  const Type* func(std::vector<const Type*> params, const Type* ret);
  const Type* option(const Type* t);
  const Type* result(const Type* t, const Type* e);
  const Type* handle(const Type* result);
  const Type* strukt(StructInfo* info);
  const Type* enm(EnumInfo* info);
  // Primitive type by its source name (`i32`, `int`, `string`, ...), or null.
  const Type* primitive(const std::string& name) const;
  // The variants of an enum, Option or Result type.
  std::vector<VariantInfo>& variants(const Type* t);
  // Every type made so far, in the order made.
  std::vector<const Type*> all() const;

 private:
  // One Type per shape: what it is made of (component types, and for a
  // struct or enum its declaration's info), never its name, which two
  // packages of the same name would share.
  const Type* intern(Type t);
  std::vector<std::unique_ptr<Type>> types_;
  std::map<std::string, const Type*> by_shape_;
  std::map<const Type*, std::vector<VariantInfo>> builtin_variants_;
  const Type *error_, *void_t_, *never_, *bool_t_, *char_t_, *string_t_, *f32_, *f64_;
  const Type* ints_[10];
};

}  // namespace asthra
