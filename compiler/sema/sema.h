// Semantic analysis: parsed modules -> a checked Program.
//
// Collects declarations, resolves every name and type, checks types,
// mutability, `unsafe`, match exhaustiveness and returns, and records the
// results in the AST's reserved slots (Expr::type, Symbol pointers).  The
// Program it returns is everything codegen needs; codegen never reports a
// user error.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/sema/symbols.h"
#include "compiler/sema/types.h"

namespace asthra {

// A package: the files given on the command line (the entry package), or
// the files one `import` names (a file, or every source in a folder).
struct Package {
  std::string name = "main";  // from `package NAME;`
  std::string path;           // as imported; empty for the entry package
  std::vector<Module*> modules;
  bool is_entry = false;
  std::string c_prefix;       // prefix of its C names ("" for the entry package)
};

struct Program {
  std::vector<Module*> modules;           // every module, entry package's first
  std::deque<Package> packages;           // entry package first
  std::map<const Module*, Package*> module_package;
  std::map<const ImportDecl*, Package*> imports;  // resolved by the driver
  std::unique_ptr<Module> libc_module;    // the predeclared `libc` package
  TypeContext types;
  std::deque<Symbol> symbols;             // owns every Symbol
  std::vector<FnDecl*> functions;         // Asthra functions with bodies
  std::vector<FnDecl*> externs;           // foreign functions that are declared
  std::vector<const Type*> nominal_types; // structs and enums, in declaration order
  FnDecl* main = nullptr;
  bool main_returns_status = false;
  StructInfo gc_stats_info;               // Asthra_runtime.gc_stats() result
  std::deque<StructInfo> struct_infos;
  std::deque<EnumInfo> enum_infos;
  Arena generated;                        // instantiated copies of generic code
  // Wall time of each phase in seconds, in order (`asthra --time-phases`).
  std::vector<std::pair<std::string, double>> phase_seconds;
};

// Returns false when errors were reported.
bool analyze(Program& program, Diagnostics& diags);

// The source text of the `libc` package (Asthra extern declarations).
const char* libc_package_source();

}  // namespace asthra
