// Loading a program's packages: the files named on the command line form
// the entry package; every `import "path" as Alias;` names a file or a
// folder (relative to the importing file, or `stdlib/...` in the standard
// library), loaded once however often it is imported.  Import cycles and
// missing packages are diagnosed at the `import`.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/sema/sema.h"

namespace asthra {

struct LoadedProgram {
  std::vector<std::unique_ptr<Module>> modules;  // owns every parsed module
  bool recoverable = true;  // false when syntax errors make checking pointless
};

// Parses `sources` (the entry package) and everything they import into
// `program`.  Returns false when a file could not be read (reported on
// stderr, as it has no source location).
bool load_program(const std::vector<std::string>& sources, const std::string& stdlib_dir, SourceManager& sm,
                  Diagnostics& diags, Program& program, LoadedProgram& loaded);

}  // namespace asthra
