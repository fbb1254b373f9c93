// The memory-model checks that run after type checking (memory-model.md
// §1-§2, §5): annotation placement, the flow-sensitive ownership pass, and
// the constant-time check.
#pragma once
#include "compiler/sema/sema.h"

namespace asthra {

void check_annotations(Program& program, Diagnostics& diags);
void check_ownership(Program& program, Diagnostics& diags);
void check_constant_time(Program& program, Diagnostics& diags);
// `#[constant_time]` / `#[volatile_memory]` on a function (codegen lowers
// them differently too).
bool is_constant_time(const FnDecl* f);
bool is_volatile_memory(const FnDecl* f);
// `#[track_caller]`: its run-time errors are reported where it was called.
bool is_track_caller(const FnDecl* f);

}  // namespace asthra
