#include "compiler/driver/driver.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "compiler/codegen/codegen.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/driver/packages.h"
#include "compiler/lex/lexer.h"
#include "compiler/parse/parser.h"
#include "compiler/sema/sema.h"

extern char** environ;

namespace asthra {
namespace fs = std::filesystem;

namespace {

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool is_source(const std::string& p) { return has_suffix(p, ".asthra") || has_suffix(p, ".ast"); }

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string base = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    std::string pattern = base + "/asthra-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data())) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The program `asthra run` waits for, and a SIGTERM or SIGHUP that came
// before it existed; the handler passes those signals on to it, so that
// stopping `asthra run` stops the program too (and its folder is removed).
volatile sig_atomic_t forward_to = 0;
volatile sig_atomic_t signal_before_start = 0;
void forward_signal(int sig) {
  if (forward_to > 0)
    kill(static_cast<pid_t>(forward_to), sig);
  else
    signal_before_start = sig;
}

// Runs argv, waiting for it; returns the raw wait status or -1. The signals
// in `defaults` (if given) get their default actions back in the child;
// with `forward`, SIGTERM and SIGHUP sent to this process go to it.
int spawn_and_wait(const std::vector<std::string>& argv, const std::string* stderr_file,
                   const sigset_t* defaults = nullptr, bool forward = false) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stderr_file) {
    posix_spawn_file_actions_addopen(&actions, 2, stderr_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (defaults) {
    posix_spawnattr_setsigdefault(&attr, defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  }
  struct sigaction pass_on {}, old_term {}, old_hup {};
  pass_on.sa_handler = forward_signal;
  sigemptyset(&pass_on.sa_mask);
  if (forward) {
    signal_before_start = 0;
    // An ignored signal (SIGHUP under nohup) stays ignored, for the child too.
    sigaction(SIGTERM, &pass_on, &old_term);
    if (old_term.sa_handler == SIG_IGN) sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &pass_on, &old_hup);
    if (old_hup.sa_handler == SIG_IGN) sigaction(SIGHUP, &old_hup, nullptr);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  int status = -1;
  if (rc == 0) {
    forward_to = forward ? pid : 0;
    if (signal_before_start) kill(pid, signal_before_start);
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        status = -1;
        break;
      }
    }
    forward_to = 0;
  }
  if (forward) {
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
  }
  if (rc != 0) errno = rc;
  return status;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// Whether `cc` builds the smallest C program: when it does not, the fault is
// in the C compiler or its flags, not in the C asthra generated.
bool c_compiler_works(std::vector<std::string> cc, const std::string& dir) {
  std::string probe = dir + "/probe.c";
  std::ofstream(probe) << "int main(void) { return 0; }\n";
  for (std::string arg : {probe, std::string("-o"), dir + "/probe"}) cc.push_back(arg);
  std::string log = dir + "/probe.log";
  int status = spawn_and_wait(cc, &log);
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The C compiler's messages (empty if they cannot be read).
std::string read_log(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

const char* gc_name(Gc gc) { return gc == Gc::Boehm ? "boehm" : "asthra"; }

std::optional<Gc> parse_gc(std::string_view name) {
  for (Gc gc : {Gc::Asthra, Gc::Boehm})
    if (name == gc_name(gc)) return gc;
  return std::nullopt;
}

int run_driver(const DriverOptions& options, const RuntimePaths& runtime) {
  std::vector<std::string> sources, link_inputs;
  for (const std::string& in : options.inputs) {
    if (is_source(in)) {
      sources.push_back(in);
    } else if (has_suffix(in, ".c") || has_suffix(in, ".o") || has_suffix(in, ".a")) {
      link_inputs.push_back(in);
    } else {
      std::fprintf(stderr, "asthra: error: `%s` is neither an Asthra source (.asthra, .ast) nor a C input (.c, .o, .a)\n",
                   in.c_str());
      return 2;
    }
  }
  if (sources.empty()) {
    std::fprintf(stderr, "asthra: error: no Asthra source file given\n");
    return 2;
  }
  // C inputs only matter when linking (`check` and `emit-c` ignore them),
  // but a missing one is reported before anything is compiled.
  for (const std::string& in : link_inputs) {
    if (std::error_code ec; !fs::exists(in, ec)) {
      std::fprintf(stderr, "asthra: error: cannot read `%s`: no such file\n", in.c_str());
      return 1;
    }
  }
  // The output never replaces an input (gcc and go refuse too).
  for (const std::string& in : options.inputs) {
    if (std::error_code ec; !options.output.empty() && fs::equivalent(options.output, in, ec)) {
      std::fprintf(stderr, "asthra: error: `-o %s` would overwrite the input file `%s`\n", options.output.c_str(),
                   in.c_str());
      return 2;
    }
  }

  SourceManager sm;
  Diagnostics diags(sm);
  Program program;
  LoadedProgram loaded;
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  auto report_times = [&](double cc_seconds) {
    if (!options.time_phases) return;
    size_t lines = 0;
    for (size_t i = 0; i < sm.size(); ++i) lines += sm.file(static_cast<uint32_t>(i)).line_count();
    for (const auto& [phase, seconds] : program.phase_seconds)
      std::fprintf(stderr, "asthra: %-14s %8.3f s\n", phase.c_str(), seconds);
    if (cc_seconds >= 0) std::fprintf(stderr, "asthra: %-14s %8.3f s\n", "cc", cc_seconds);
    std::fprintf(stderr, "asthra: %zu source lines\n", lines);
  };
  Clock::time_point start = Clock::now();
  if (!load_program(sources, runtime.stdlib_dir, sm, diags, program, loaded)) return 1;
  program.phase_seconds.emplace_back("lex+parse", since(start));
  // After syntax errors inside function bodies only, the rest of the program
  // is still checked (those bodies are skipped), so independent errors are
  // all reported; any other syntax error stops here to avoid cascades.
  bool ok = loaded.recoverable && analyze(program, diags) && diags.error_count() == 0;
  int errors = diags.error_count(), warnings = diags.warning_count();
  diags.print(stderr, options.color);
  if (ok && options.warnings_are_errors && warnings > 0) {
    std::fprintf(stderr, "asthra: %d warning%s, treated as errors (-Werror); the program was not compiled\n", warnings,
                 warnings == 1 ? "" : "s");
    return 1;
  }
  if (!ok) {
    std::fprintf(stderr, "asthra: %d error%s%s; the program was not compiled\n", errors, errors == 1 ? "" : "s",
                 warnings ? fmt::format(", {} warning{}", warnings, warnings == 1 ? "" : "s").c_str() : "");
    return 1;
  }
  if (options.command == Command::Check) {
    report_times(-1);
    return 0;
  }

  CodegenOptions cg;
  cg.release = options.release;
  cg.bounds_checks = options.bounds_checks;
  cg.boehm_gc = options.gc == Gc::Boehm;
  start = Clock::now();
  std::string c_code = generate_c(program, sm, cg);
  program.phase_seconds.emplace_back("codegen", since(start));
  if (options.command == Command::EmitC) {
    report_times(-1);
    if (options.output.empty() || options.output == "-") {
      std::fwrite(c_code.data(), 1, c_code.size(), stdout);
    } else {
      std::ofstream out(options.output, std::ios::binary);
      out << c_code;
      if (!out) {
        std::error_code ec;
        std::fprintf(stderr, "asthra: error: cannot write `%s`%s\n", options.output.c_str(),
                     fs::is_directory(options.output, ec) ? ": it is a directory" : "");
        return 1;
      }
    }
    return 0;
  }

  const RuntimeLibrary& rt = runtime.library(options.gc);
  if (std::error_code ec; !fs::exists(rt.archive, ec)) {
    std::fprintf(stderr, "asthra: error: the runtime for `--gc=%s` is missing: %s\n", gc_name(options.gc),
                 rt.archive.c_str());
    return 1;
  }

  TempDir tmp;
  if (tmp.path().empty()) {
    std::fprintf(stderr, "asthra: error: cannot create a temporary directory: %s\n", std::strerror(errno));
    return 1;
  }
  std::string c_path = tmp.path() + "/program.c";
  {
    std::ofstream out(c_path, std::ios::binary);
    out << c_code;
  }
  // Foreign libraries named by extern declarations (language.md).
  std::set<std::string> libraries;
  for (FnDecl* f : program.externs) {
    if (!f->has_library || f->library == "C" || f->library == "c" || f->library == "libc") continue;
    libraries.insert(f->library);
  }
  std::vector<std::string> extra_inputs = link_inputs;
  std::vector<std::string> lib_flags;
  // A library's C source may lie beside the file that declares it.
  std::map<std::string, fs::path> library_dir;
  for (FnDecl* f : program.externs)
    if (f->has_library) library_dir.emplace(f->library, fs::path(sm.file(f->span.file).path()).parent_path());
  for (const std::string& lib : libraries) {
    bool given = false;
    for (const std::string& in : link_inputs) {
      std::string base = fs::path(in).filename().string();
      if (base == lib + ".c" || base == lib + ".o" || base == "lib" + lib + ".a") given = true;
    }
    if (given) continue;
    bool beside = false;
    for (const std::string& cand : {lib + ".c", lib + ".o", "lib" + lib + ".a"}) {
      fs::path p = library_dir[lib] / cand;
      std::error_code ec;
      if (fs::exists(p, ec)) {
        extra_inputs.push_back(p.string());
        beside = true;
        break;
      }
    }
    if (!beside) lib_flags.push_back("-l" + lib);
  }

  std::string exe = tmp.path() + "/program";
  const char* cc_env = std::getenv("CC");
  std::vector<std::string> cmd = split_words(cc_env && *cc_env ? cc_env : "cc");
  // -fstack-clash-protection: a frame larger than the guard page still
  // touches it, so a stack overflow always faults (and panics).
  for (const char* f : {"-std=gnu11", "-w", "-fno-strict-aliasing", "-fwrapv", "-fstack-clash-protection"})
    cmd.push_back(f);
  if (options.release) {
    // Loops start on a cache line: whether a hot inner loop straddles one
    // otherwise depends on unrelated code before it (a safepoint poll
    // moved numeric's matrix multiply by 27% on this project's machine).
    cmd.push_back("-O2");
    cmd.push_back("-falign-loops=64");
  } else {
    cmd.push_back("-O0");
    cmd.push_back("-g");
  }
  for (auto& f : split_words(runtime.cflags)) cmd.push_back(f);
  cmd.push_back("-I" + runtime.include_dir);
  cmd.push_back(c_path);
  for (auto& in : extra_inputs) cmd.push_back(in);
  cmd.push_back(rt.archive);
  for (auto& f : lib_flags) cmd.push_back(f);
  for (auto& f : split_words(rt.libs)) cmd.push_back(f);
  cmd.push_back("-o");
  cmd.push_back(exe);
  std::string cc_log = tmp.path() + "/cc.log";
  start = Clock::now();
  int status = spawn_and_wait(cmd, &cc_log);
  report_times(since(start));
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string log = read_log(cc_log);
    if (status == -1) {
      std::fprintf(stderr, "asthra: error: cannot run the C compiler `%s`; install one or set $CC\n", cmd[0].c_str());
      return 1;
    }
    // A missing library, the foreign code or a $CC that does not work are
    // the user's; the generated C failing to compile is ours.
    auto in_log = [&](const std::string& text) { return log.find(text) != std::string::npos; };
    auto foreign = std::find_if(extra_inputs.begin(), extra_inputs.end(), in_log);
    if (in_log("undefined reference") || in_log("cannot find -l")) {
      std::fprintf(stderr, "asthra: error: linking the program failed:\n%s", log.c_str());
      std::fprintf(stderr, "  = help: give the foreign code on the command line (`asthra run prog.asthra lib.c`) "
                           "or install the library\n");
    } else if (foreign != extra_inputs.end()) {
      std::fprintf(stderr, "asthra: error: the C compiler rejected `%s`:\n%s", foreign->c_str(), log.c_str());
    } else if (cc_env && *cc_env && !c_compiler_works(split_words(cc_env), tmp.path())) {
      std::fprintf(stderr, "asthra: error: the C compiler `%s` ($CC) failed on the generated C:\n%s", cc_env,
                   log.c_str());
      std::fprintf(stderr, "  = help: check that `%s` can build a C program, or unset CC to use `cc`\n", cc_env);
    } else {
      std::fprintf(stderr, "asthra: internal compiler error: the generated C did not compile:\n%s", log.c_str());
    }
    return 1;
  }

  if (options.command == Command::Build) {
    // As `go build -o DIR`: a directory receives the program under its name.
    std::string name = fs::path(sources.front()).stem().string();
    std::error_code ec;
    std::string out = options.output.empty()                ? name
                      : fs::is_directory(options.output, ec) ? (fs::path(options.output) / name).string()
                                                             : options.output;
    fs::copy_file(exe, out, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::fprintf(stderr, "asthra: error: cannot write `%s`: %s\n", out.c_str(), ec.message().c_str());
      return 1;
    }
    return 0;
  }

  // run
  if (options.gc_stats) setenv("ASTHRA_GCSTATS", "1", 1);
  std::vector<std::string> argv{exe};
  // argv[0] is the program's name as the user knows it.
  argv[0] = exe;
  for (auto& a : options.program_args) argv.push_back(a);
  std::fflush(stdout);
  // `asthra run` ignores SIGINT and SIGQUIT while it waits, as system(3)
  // does, and the program gets back the actions they had (so Ctrl-C ends
  // it, unless they were ignored already, as under nohup).
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  sigset_t defaults;
  sigemptyset(&defaults);
  if (old_int.sa_handler != SIG_IGN) sigaddset(&defaults, SIGINT);
  if (old_quit.sa_handler != SIG_IGN) sigaddset(&defaults, SIGQUIT);
  status = spawn_and_wait(argv, nullptr, &defaults, /*forward=*/true);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  if (status == -1) {
    std::fprintf(stderr, "asthra: error: cannot start the program: %s\n", std::strerror(errno));
    return 1;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    std::fprintf(stderr, "asthra: the program was killed by signal %d (%s)\n", sig, strsignal(sig));
    return 128 + sig;
  }
  return WEXITSTATUS(status);
}

}  // namespace asthra
