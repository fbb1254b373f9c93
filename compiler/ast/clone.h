// Deep copies of AST subtrees, for the phases that check one piece of
// source more than once: generic functions and methods are checked once per
// instantiation, and each instantiation needs its own type slots.
// A clone carries no sema results (types and symbols are left empty).
#pragma once
#include "compiler/ast/ast.h"

namespace asthra {

FnDecl* clone_fn(Arena& arena, const FnDecl* f);

}  // namespace asthra
