// The parser: tokens -> AST (ast/ast.h), for the whole grammar of
// language.md, including the parts whose semantics arrive later (generics,
// traits, closures, imports, spawn).
//
// Recursive descent; each parse function carries its grammar rule above it.
// On an error it reports one diagnostic and skips to a point where parsing
// can resume (the next `;` or `}` of a statement, the next declaration
// keyword at top level), so every independent syntax error in a file is
// reported.  Nesting deeper than kMaxNesting is an error, never a stack
// overflow.
#pragma once
#include <memory>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/lex/token.h"

namespace asthra {

constexpr int kMaxNesting = 200;
constexpr int kMaxChain = 4000;

std::unique_ptr<Module> parse(std::vector<Token> tokens, uint32_t file, Diagnostics& diags);

}  // namespace asthra
