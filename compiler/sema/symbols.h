// Symbols: what a name refers to after resolution.  Sema creates them; the
// AST's name, binding and pattern nodes point at them; codegen reads them.
#pragma once
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/sema/types.h"

namespace asthra {

enum class SymbolKind {
  Local,      // let binding, parameter, pattern binding, loop variable
  Fn,         // Asthra function
  Extern,     // foreign function
  Const,
  Type,       // struct, enum or primitive type name
  Package,    // `libc`, `Asthra_runtime`, an import alias
  Builtin,    // predeclared function (log, panic, len, ...)
  OwnershipConst,  // ownership_gc / ownership_c / ownership_pinned
  Trait,
};

enum class Builtin {
  None, Log, Panic, Exit, Args, Len, Range, AllocateSlice, AllocateSecureSlice,
  AllocateSecureBuffer,
  // Asthra_runtime.*
  SecureZero, SecureFree, SliceFromRawParts, ToC, StringToCstr, CstrToString, Pin, Unpin,
  GcCollect, GcStats, FillRandom,
};

struct Symbol {
  SymbolKind kind = SymbolKind::Local;
  std::string name;
  Span span;
  const Type* type = nullptr;   // value type (Local, Fn, Extern, Const) or the named type (Type)
  bool is_mut = false;          // Local
  // Local: what declared it (`let`, a parameter, `self`, a `for` variable,
  // a pattern, a spawn handle): what to suggest when it is assigned.
  enum class Binding : uint8_t { Let, Param, Self, Loop, Pattern, Handle } binding = Binding::Let;
  bool address_taken = false;   // Local: lives in a GC box (see codegen)
  uint32_t id = 0;              // unique per compilation: C names of locals
  FnDecl* fn = nullptr;         // Fn, Extern
  std::string c_name;           // Fn: the C function's name
  Decl* generic = nullptr;      // Fn, Type: a generic declaration (instantiated on use)
  const void* owner = nullptr;  // Local: the function or closure that declared it
  ConstDecl* const_decl = nullptr;
  TraitDecl* trait = nullptr;   // Trait
  Builtin builtin = Builtin::None;
  int ownership_value = 0;      // OwnershipConst
  std::string package;          // Package: "libc", "Asthra_runtime" (predeclared ones)
  const struct Package* pkg = nullptr;   // Package: an imported package
  const struct Package* home = nullptr;  // where a top-level name is declared
  bool is_pub = true;           // top-level names: visible to other packages
};

// How to make a change to the local `s` possible (E0108, E0307): `let mut`
// for a `let`, a mutable copy for the bindings that cannot be `mut`.
std::string make_mutable_help(const Symbol* s);

}  // namespace asthra
