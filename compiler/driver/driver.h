// The driver: runs the phases over the files of one program and turns the
// generated C into an executable with the system C compiler, or runs it.
// It owns everything that touches the outside world: files, temporary
// directories, `$CC`, child processes and exit statuses (language.md).
#pragma once
#include <string>
#include <vector>

namespace asthra {

enum class Command { Run, Build, Check, EmitC };

struct DriverOptions {
  Command command = Command::Run;
  std::vector<std::string> inputs;        // .asthra/.ast sources and .c/.o/.a link inputs
  std::string output;                     // -o
  std::vector<std::string> program_args;  // after `--`
  bool release = false;
  bool bounds_checks = true;
  bool gc_stats = false;
  bool warnings_are_errors = false;  // -Werror
  bool time_phases = false;          // --time-phases
  bool color = false;
};

// Runtime locations, fixed at build time; ASTHRA_HOME overrides them.
struct RuntimePaths {
  std::string include_dir;
  std::string library;
  std::string cflags;  // e.g. sanitizer flags the runtime was built with
  std::string libs;    // libraries the runtime needs
  std::string stdlib_dir;  // the standard packages (`import "stdlib/..."`)
};

// Returns the process exit status (language.md: 0, 1, 2, 101, the program's own).
int run_driver(const DriverOptions& options, const RuntimePaths& runtime);

}  // namespace asthra
