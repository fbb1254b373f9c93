// The `asthra` command: parses the command line and hands over to
// compiler/driver.  Usage errors exit with status 2 (language.md).
#include <pthread.h>
#include <unistd.h>

#include <exception>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include <optional>

#include "compiler/driver/driver.h"
#include "runtime_paths.h"

namespace {

// Which commands a flag applies to.
enum CommandBit : unsigned { kRun = 1, kBuild = 2, kCheck = 4, kEmitC = 8, kCompile = kRun | kBuild | kEmitC, kAll = 15 };

struct FlagHelp {
  const char* flag;
  const char* text;
  unsigned commands;
};

const FlagHelp kFlags[] = {
    {"--release", "optimised build; integer overflow wraps (default: debug, overflow panics)", kCompile},
    {"--bounds-checks=on|off", "slice and array bounds checks (default: on)", kCompile},
    {"--gc=asthra|boehm", "the garbage collector: the runtime's own or Boehm's (default: {})", kCompile},
    {"--gc-stats", "print collector statistics when the program exits", kRun},
    {"-Werror", "treat warnings (e.g. leaks) as errors", kAll},
    {"--time-phases", "print the time each compiler phase took", kAll},
    {"--color=auto|always|never", "colored diagnostics (default: auto, when stderr is a terminal)", kAll},
    {"-o OUT", "the output file (build: the executable, or OUT/NAME for a folder; emit-c: the C file)",
     kBuild | kEmitC},
    {"-h, --help", "this help", kAll},
};

std::string flags_for(unsigned commands) {
  std::string out;
  for (const FlagHelp& f : kFlags)
    if (f.commands & commands)
      out += fmt::format("  {:<26} {}\n", f.flag, fmt::format(fmt::runtime(f.text), asthra::gc_name(asthra::kDefaultGc)));
  return out;
}

std::string usage() {
  return "asthra — the Asthra compiler\n"
         "\n"
         "Usage:\n"
         "  asthra run   [FLAGS] FILE [FILES...] [-- ARGS...]   compile and run a program\n"
         "  asthra build [FLAGS] FILE [FILES...] [-o OUT]       compile a program to an executable\n"
         "  asthra check [FLAGS] FILE [FILES...]                report diagnostics only\n"
         "  asthra emit-c [FLAGS] FILE [FILES...] [-o OUT.c]    print the generated C\n"
         "  asthra help COMMAND                                 more about one command\n"
         "\n"
         "FILES are more Asthra sources, or C inputs (.c, .o, .a) for extern \"lib\" functions.\n"
         "\n"
         "Flags:\n" +
         flags_for(kAll) +
         "  --version                  the compiler's version\n"
         "\n"
         "Environment: CC (the C compiler, default cc), ASTHRA_HOME (runtime location),\n"
         "ASTHRA_GC_PERCENT, ASTHRA_GC_MAX_HEAP, ASTHRA_GCTRACE, ASTHRA_GCSTATS (see docs/).\n";
}

// `asthra help COMMAND` and `asthra COMMAND --help`.
std::string command_usage(asthra::Command command) {
  using asthra::Command;
  const char* text = "";
  unsigned bit = kAll;
  switch (command) {
    case Command::Run:
      bit = kRun;
      text = "asthra run [FLAGS] FILE [FILES...] [-- ARGS...]\n"
             "\n"
             "Compiles the program (a debug build unless --release) into a temporary folder and runs it\n"
             "with ARGS. Its exit status passes through; a panic exits 101; a program killed by a signal\n"
             "makes asthra exit 128 + the signal's number. SIGTERM and SIGHUP are passed on to it.\n";
      break;
    case Command::Build:
      bit = kBuild;
      text = "asthra build [FLAGS] FILE [FILES...] [-o OUT]\n"
             "\n"
             "Compiles the program to an executable named after FILE (without .asthra), or OUT.\n";
      break;
    case Command::Check:
      bit = kCheck;
      text = "asthra check [FLAGS] FILE [FILES...]\n"
             "\n"
             "Reports the program's errors and warnings without compiling it; exit 0 when there are no errors.\n";
      break;
    case Command::EmitC:
      bit = kEmitC;
      text = "asthra emit-c [FLAGS] FILE [FILES...] [-o OUT.c]\n"
             "\n"
             "Prints the C11 the program compiles to (or writes it to OUT.c).\n";
      break;
  }
  return fmt::format("Usage: {}\nFILES are more Asthra sources, or C inputs (.c, .o, .a) for extern \"lib\" "
                     "functions.\n\nFlags:\n{}",
                     text, flags_for(bit));
}

std::optional<asthra::Command> command_named(const std::string& name) {
  using asthra::Command;
  if (name == "run") return Command::Run;
  if (name == "build") return Command::Build;
  if (name == "check") return Command::Check;
  if (name == "emit-c") return Command::EmitC;
  return std::nullopt;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "asthra: error: %s\n\nRun `asthra --help` for usage.\n", message.c_str());
  return 2;
}

// The phases recurse over the tree; their depth is bounded by the parser's
// nesting limit, and a large dedicated stack makes that bound safe.
struct DriverCall {
  const asthra::DriverOptions* options;
  const asthra::RuntimePaths* runtime;
  int status = 0;
};

void* driver_thread(void* arg) {
  auto* call = static_cast<DriverCall*>(arg);
  try {
    call->status = asthra::run_driver(*call->options, *call->runtime);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asthra: internal compiler error: uncaught exception: %s\n"
                         "This is a bug in asthra, not in your program; please report it with the input.\n",
                 e.what());
    call->status = 3;
  }
  return nullptr;
}

int run_on_big_stack(const asthra::DriverOptions& options, const asthra::RuntimePaths& runtime) {
  DriverCall call{&options, &runtime};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{512} << 20);
  pthread_t thread;
  if (pthread_create(&thread, &attr, driver_thread, &call) != 0) {
    driver_thread(&call);  // fall back to the main thread's stack
  } else {
    pthread_join(thread, nullptr);
  }
  pthread_attr_destroy(&attr);
  return call.status;
}

}  // namespace

int main(int argc, char** argv) {
  using asthra::Command;
  if (argc < 2) {
    std::fputs(usage().c_str(), stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    if (cmd == "help" && argc > 2) {
      std::optional<Command> topic = command_named(argv[2]);
      if (!topic) return usage_error(fmt::format("no help for `{}` (commands: run, build, check, emit-c)", argv[2]));
      std::fputs(command_usage(*topic).c_str(), stdout);
      return 0;
    }
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("asthra %s\n", ASTHRA_VERSION);
    return 0;
  }
  asthra::DriverOptions options;
  std::optional<Command> command = command_named(cmd);
  if (!command) return usage_error("unknown command `" + cmd + "` (expected run, build, check or emit-c)");
  options.command = *command;

  std::string color = "auto";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      if (options.command != Command::Run) return usage_error("`--` (program arguments) is only valid with `asthra run`");
      for (++i; i < argc; ++i) options.program_args.push_back(argv[i]);
      break;
    }
    if (a == "-h" || a == "--help") {
      std::fputs(command_usage(options.command).c_str(), stdout);
      return 0;
    }
    if (a == "--release") {
      options.release = true;
    } else if (a == "--debug") {
      options.release = false;
    } else if (a == "--bounds-checks=on" || a == "--bounds-checks=off") {
      options.bounds_checks = a == "--bounds-checks=on";
    } else if (a.rfind("--bounds-checks", 0) == 0) {
      return usage_error("`--bounds-checks` takes `on` or `off`: `--bounds-checks=off`");
    } else if (a == "--time-phases") {
      options.time_phases = true;
    } else if (a == "-Werror") {
      options.warnings_are_errors = true;
    } else if (a == "--gc-stats") {
      options.gc_stats = true;
    } else if (a.rfind("--gc", 0) == 0) {
      auto gc = a.rfind("--gc=", 0) == 0 ? asthra::parse_gc(a.substr(5)) : std::nullopt;
      if (!gc) return usage_error("`--gc` takes `asthra` or `boehm`: `--gc=boehm` (got `" + a + "`)");
      options.gc = *gc;
    } else if (a.rfind("--color=", 0) == 0) {
      color = a.substr(8);
      if (color != "auto" && color != "always" && color != "never")
        return usage_error("`--color` takes auto, always or never");
    } else if (a == "-o") {
      if (i + 1 >= argc) return usage_error("`-o` needs a file name");
      options.output = argv[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown flag `" + a + "`");
    } else {
      options.inputs.push_back(a);
    }
  }
  if (options.inputs.empty()) return usage_error("no input file given");
  if (!options.output.empty() && options.command != Command::Build && options.command != Command::EmitC)
    return usage_error("`-o` is only valid with `asthra build` and `asthra emit-c`");
  if (options.gc_stats && options.command != Command::Run)
    return usage_error("`--gc-stats` is only valid with `asthra run`; a built program prints the statistics "
                       "when run with ASTHRA_GCSTATS=1");
  options.color = color == "always" || (color == "auto" && isatty(2) && !std::getenv("NO_COLOR"));

  asthra::RuntimePaths runtime{ASTHRA_RUNTIME_INCLUDE,
                               {ASTHRA_RUNTIME_LIB, ASTHRA_RUNTIME_LIBS},
                               {ASTHRA_RUNTIME_BOEHM_LIB, ASTHRA_RUNTIME_BOEHM_LIBS},
                               ASTHRA_RUNTIME_CFLAGS,
                               ASTHRA_STDLIB_DIR};
  // ASTHRA_HOME: include/, lib/libasthra_rt.a, lib/libasthra_rt_boehm.a, stdlib/.
  if (const char* home = std::getenv("ASTHRA_HOME"); home && *home) {
    runtime.include_dir = std::string(home) + "/include";
    runtime.asthra_gc.archive = std::string(home) + "/lib/libasthra_rt.a";
    runtime.boehm_gc.archive = std::string(home) + "/lib/libasthra_rt_boehm.a";
    runtime.stdlib_dir = std::string(home) + "/stdlib";
  }
  return run_on_big_stack(options, runtime);
}
