// The driver: runs the phases over the files of one program and turns the
// generated C into an executable with the system C compiler, or runs it.
// It owns everything that touches the outside world: files, temporary
// directories, `$CC`, child processes and exit statuses (language.md).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asthra {

enum class Command { Run, Build, Check, EmitC };

// The garbage collector a program is built for (`--gc=`): the runtime's own
// (libasthra_rt) or Boehm's (libasthra_rt_boehm).
enum class Gc { Asthra, Boehm };
// Programs get this one unless `--gc` says otherwise.
inline constexpr Gc kDefaultGc = Gc::Asthra;
const char* gc_name(Gc gc);                          // "asthra", "boehm"
std::optional<Gc> parse_gc(std::string_view name);  // nullopt: no such collector

struct DriverOptions {
  Command command = Command::Run;
  std::vector<std::string> inputs;        // .asthra/.ast sources and .c/.o/.a link inputs
  std::string output;                     // -o
  std::vector<std::string> program_args;  // after `--`
  bool release = false;
  bool bounds_checks = true;
  bool gc_stats = false;
  Gc gc = kDefaultGc;
  bool warnings_are_errors = false;  // -Werror
  bool time_phases = false;          // --time-phases
  bool color = false;
};

// One build of the runtime library and what linking it needs.
struct RuntimeLibrary {
  std::string archive;  // libasthra_rt*.a
  std::string libs;     // libraries it needs (-lgc ... -lpthread -lm)
};

// Runtime locations, fixed at build time; ASTHRA_HOME overrides them.
struct RuntimePaths {
  std::string include_dir;
  RuntimeLibrary asthra_gc;  // the runtime's own collector
  RuntimeLibrary boehm_gc;   // Boehm's
  std::string cflags;  // e.g. sanitizer flags the runtime was built with
  std::string stdlib_dir;  // the standard packages (`import "stdlib/..."`)

  const RuntimeLibrary& library(Gc gc) const { return gc == Gc::Boehm ? boehm_gc : asthra_gc; }
};

// Returns the process exit status (language.md: 0, 1, 2, 101, the program's own).
int run_driver(const DriverOptions& options, const RuntimePaths& runtime);

}  // namespace asthra
