// The memory-model checks that run after type checking (memory-model.md
// §1-§2): annotation placement, and the flow-sensitive ownership pass.
#pragma once
#include "compiler/sema/sema.h"

namespace asthra {

void check_annotations(Program& program, Diagnostics& diags);
void check_ownership(Program& program, Diagnostics& diags);

}  // namespace asthra
