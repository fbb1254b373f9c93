// Codegen: a checked Program -> one C11 translation unit.
//
// The C it writes includes only <asthra/runtime.h> (and <math.h>), so
// foreign declarations can never clash with system headers: every extern
// function is declared under a private C name bound to its real symbol with
// an asm label.  Expressions are lowered to C expressions over temporaries:
// anything with an effect (calls, allocation, block-like expressions) is
// hoisted into a temporary in source order, so C's unspecified evaluation
// order never changes what an Asthra program does.  Checks (bounds,
// overflow, division, null) are calls to the runtime's inline helpers, which
// carry a pointer to a static source location for the panic message.
// For the collector (runtime.h, "Garbage-collected memory"): every scanned
// allocation carries its type's layout word, every function and loop
// iteration starts at a safepoint, and a call into foreign code runs alone
// between asthra_enter_native and asthra_leave_native.
#pragma once
#include <string>

#include "compiler/sema/sema.h"

namespace asthra {

struct CodegenOptions {
  bool release = false;        // wrapping arithmetic instead of overflow checks
  bool bounds_checks = true;
  bool boehm_gc = false;       // for the Boehm runtime (`--gc=boehm`): defines ASTHRA_GC_BOEHM
};

std::string generate_c(Program& program, const SourceManager& sources, const CodegenOptions& options);

}  // namespace asthra
