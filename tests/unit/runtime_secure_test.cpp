// Secure memory's promises that only the operating system can show
// (memory-model.md §5, docs/security.md):
//
//  * RuntimeSecureOs: /proc/self/smaps shows each buffer's data pages locked
//    (`Locked:`, VmFlags `lo`) and excluded from core dumps (VmFlags `dd`),
//    between two PROT_NONE guard pages; after secure_free the whole
//    reservation is PROT_NONE, unlocked and unflagged. When mlock is refused
//    (RLIMIT_MEMLOCK) the warning is printed exactly once (a re-run of this
//    binary without CAP_IPC_LOCK and with a small limit). secure_free wipes
//    before it unlocks (munlock is interposed to look), and the collector
//    never scans secure memory nor moves it.
//  * RuntimeSecureWipe: the contents of live secure buffers are zero when the
//    process ends, by every door out of it: panic (explicit, bounds, division,
//    overflow, canary, in a task, inside a panic), faults (guard page, use
//    after free, null, wild pointer, bus error, stack overflow), normal exit
//    (rt_finish, exit, a foreign exit()) and fatal signals. How: the test
//    forks a child that traces itself (PTRACE_TRACEME) with
//    PTRACE_O_TRACEEXIT, so the kernel stops it inside exit(2) after every
//    line of user code (the runtime's wipe included) has run but before its
//    memory is torn down; the parent then reads the buffers' bytes through
//    /proc/<pid>/mem, i.e. the very page frames (locked, so never elsewhere
//    in swap) that the kernel is about to free. A control door (`_exit`,
//    which skips the runtime) shows the method sees an unwiped secret.
//  * RuntimeSecureWipeProgram: the same for a real Asthra program built with
//    the compiler (skipped when build/bin/asthra is missing).
//  * RuntimeRandom: fill_random is not constant, not zero, not shared with a
//    forked child, and its bytes are roughly uniform.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "asthra/runtime.h"

extern char **environ;

namespace {

const bool kRuntimeReady = (asthra_rt_init(0, nullptr), true);

const asthra_loc kLoc = {"secure.asthra", 7, 5};
const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));
constexpr uint8_t kSecretByte = 0xA5;

// AddressSanitizer intercepts mlock and munlock and makes them no-ops (it
// says so once on stderr), so an ASTHRA_SANITIZE=address build cannot lock.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMlockIsIgnored = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMlockIsIgnored = true;
#else
constexpr bool kMlockIsIgnored = false;
#endif
#else
constexpr bool kMlockIsIgnored = false;
#endif

asthra_string A(const char *s) {
  return asthra_string{reinterpret_cast<const uint8_t *>(s), std::strlen(s)};
}

size_t RoundUpToPage(size_t n) { return (n + kPage - 1) / kPage * kPage; }

// ---- /proc/<pid>/smaps ----------------------------------------------------

struct Mapping {
  uintptr_t lo = 0, hi = 0;
  std::string perms;
  std::set<std::string> flags;  // VmFlags
  long locked_kb = -1;
};

// The mapping (VMA) holding `addr` in /proc/self/smaps.
bool FindMapping(uintptr_t addr, Mapping *out) {
  std::ifstream in("/proc/self/smaps");
  static const std::regex kHeader("^([0-9a-f]+)-([0-9a-f]+) (\\S+) .*");
  std::string line;
  bool inside = false;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kHeader)) {
      if (inside) return true;  // the next mapping begins
      uintptr_t lo = std::stoull(m[1], nullptr, 16), hi = std::stoull(m[2], nullptr, 16);
      if (addr >= lo && addr < hi) {
        inside = true;
        *out = Mapping{};
        out->lo = lo;
        out->hi = hi;
        out->perms = m[3];
      }
      continue;
    }
    if (!inside) continue;
    long kb = 0;
    if (std::sscanf(line.c_str(), "Locked: %ld kB", &kb) == 1) out->locked_kb = kb;
    if (line.rfind("VmFlags:", 0) == 0) {
      std::istringstream words(line.substr(8));
      std::string w;
      while (words >> w) out->flags.insert(w);
    }
  }
  return inside;
}

std::string Describe(const Mapping &m) {
  std::ostringstream s;
  s << std::hex << m.lo << "-" << m.hi << std::dec << " " << m.perms << " Locked: " << m.locked_kb
    << " kB, VmFlags:";
  for (const std::string &f : m.flags) s << " " << f;
  return s.str();
}

// /proc/self/status field in kB (VmLck) or hex mask (CapEff).
std::string StatusField(const char *name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  std::string prefix = std::string(name) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

// Whether this process can lock `more` further bytes: CAP_IPC_LOCK, or room
// under RLIMIT_MEMLOCK (a non-root run with a small limit cannot).
bool CanLock(size_t more) {
  uint64_t caps = std::strtoull(StatusField("CapEff").c_str(), nullptr, 16);
  if (caps & (uint64_t{1} << CAP_IPC_LOCK)) return true;
  struct rlimit rl;
  if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return false;
  if (rl.rlim_cur == RLIM_INFINITY) return true;
  uint64_t locked = std::strtoull(StatusField("VmLck").c_str(), nullptr, 10) * 1024;
  return locked + more <= rl.rlim_cur;
}

TEST(RuntimeSecureOs, SmapsShowLockedNoDumpAndGuards) {
  ASSERT_TRUE(kRuntimeReady);
  for (size_t n : {size_t{32}, kPage, 3 * kPage + 5}) {
    const size_t data_len = RoundUpToPage(n);
    const bool can_lock = CanLock(data_len) && !kMlockIsIgnored;
    asthra_slice s = asthra_allocate_secure(n, &kLoc);
    const auto buf = reinterpret_cast<uintptr_t>(s.ptr);
    const uintptr_t data_lo = buf / kPage * kPage;

    Mapping data;
    ASSERT_TRUE(FindMapping(buf, &data)) << n;
    SCOPED_TRACE(Describe(data));
    EXPECT_EQ(data.perms, "rw-p");
    // Exactly the data pages: guards on both sides keep it from merging.
    EXPECT_EQ(data.lo, data_lo);
    EXPECT_EQ(data.hi, data_lo + data_len);
    EXPECT_EQ(data.hi, buf + n) << "the buffer must end at the trailing guard page";
    EXPECT_TRUE(data.flags.count("dd")) << "MADV_DONTDUMP missing: the secret would be in core dumps";
    if (can_lock) {
      EXPECT_TRUE(data.flags.count("lo")) << "not mlock'ed";
      EXPECT_EQ(static_cast<size_t>(data.locked_kb) * 1024, data_len) << "not all pages locked";
    } else {
      std::printf("[   NOTE   ] %s: Locked not checked here\n",
                  kMlockIsIgnored ? "AddressSanitizer ignores mlock"
                                  : "RLIMIT_MEMLOCK leaves no room (RuntimeSecureOs."
                                    "MlockRefusalIsReportedOnce covers the refusal)");
    }

    Mapping lead, trail;
    ASSERT_TRUE(FindMapping(data_lo - kPage, &lead));
    EXPECT_EQ(lead.perms.substr(0, 3), "---") << Describe(lead);
    ASSERT_TRUE(FindMapping(buf + n, &trail));
    EXPECT_EQ(trail.perms.substr(0, 3), "---") << Describe(trail);

    asthra_secure_free(s, &kLoc);
    Mapping freed;
    ASSERT_TRUE(FindMapping(buf, &freed));
    EXPECT_EQ(freed.perms.substr(0, 3), "---") << Describe(freed);
    EXPECT_EQ(freed.locked_kb, 0) << Describe(freed);
    EXPECT_FALSE(freed.flags.count("lo")) << Describe(freed);
  }
}

// secure_free zeroes the buffer before it unlocks it: once unlocked, a page
// may be swapped out, and after MADV_DONTNEED its frame goes back to the
// kernel with whatever it held. Observed by interposing munlock(2) (the
// runtime is linked statically, so its call resolves to the definition at
// the end of this file), which checks the watched buffer on the way.
std::atomic<uintptr_t> watch_lo{0}, watch_hi{0};
std::atomic<int> watched_unlocks{0}, dirty_unlocks{0};

TEST(RuntimeSecureOs, FreeWipesBeforeUnlocking) {
  for (size_t n : {size_t{48}, kPage, 3 * kPage + 5}) {
    asthra_slice s = asthra_allocate_secure(n, &kLoc);
    std::memset(s.ptr, kSecretByte, n);
    watched_unlocks = 0;
    dirty_unlocks = 0;
    watch_hi = reinterpret_cast<uintptr_t>(s.ptr) + n;
    watch_lo = reinterpret_cast<uintptr_t>(s.ptr);
    asthra_secure_free(s, &kLoc);
    watch_lo = 0;
    EXPECT_EQ(watched_unlocks.load(), 1) << n << ": secure_free did not munlock the buffer";
    EXPECT_EQ(dirty_unlocks.load(), 0) << n << ": the secret was still there when it was unlocked";
  }
}

// Fills slots (GC memory, old after the first collection) with fresh 1 MiB
// GC objects, with the write barrier; nothing else refers to them.
__attribute__((noinline)) void FillWithObjects(void **slots, size_t n) {
  for (size_t i = 0; i < n; i++) {
    slots[i] = asthra_gc_alloc_noscan(size_t{1} << 20);
    asthra_gc_wrote(&slots[i], sizeof slots[i]);
  }
}

// The collector never scans secure memory (it holds bytes, not references)
// and never moves or touches it: 64 MiB reachable only through a secure
// buffer is collected, while the same pointers in scanned GC memory keep it
// alive (the control).
TEST(RuntimeSecureOs, CollectorNeverScansSecureMemory) {
  constexpr size_t kObjects = 64;
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  void **scanned = static_cast<void **>(asthra_gc_alloc(kObjects * sizeof(void *)));
  FillWithObjects(scanned, kObjects);
  asthra_gc_collect();
  const uint64_t live_held = asthra_gc_get_stats().live_bytes;

  asthra_slice s = asthra_allocate_secure(kObjects * sizeof(void *), &kLoc);
  std::memcpy(s.ptr, scanned, kObjects * sizeof(void *));
  std::vector<uintptr_t> hidden(kObjects);  // XORed: not pointers to the collector
  for (size_t i = 0; i < kObjects; i++) {
    hidden[i] = reinterpret_cast<uintptr_t>(scanned[i]) ^ 0x5555;
    scanned[i] = nullptr;
  }
  for (int i = 0; i < 3; i++) asthra_gc_collect();
  const uint64_t live_secure = asthra_gc_get_stats().live_bytes;
  EXPECT_GE(live_held, live_secure + 48 * kMiB)
      << "objects referenced only from secure memory stayed alive: live " << live_held / kMiB
      << " MiB -> " << live_secure / kMiB << " MiB";
  // Neither moved nor rewritten.
  for (size_t i = 0; i < kObjects; i++) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(static_cast<void **>(s.ptr)[i]) ^ 0x5555, hidden[i]);
  }
  asthra_secure_free(s, &kLoc);
}

// ---- re-runs of this binary (state that is per process) -------------------

struct ChildResult {
  int status;  // exit status, or 128 + signal
  std::string output;  // stdout and stderr together
};

ChildResult RunChild(const char *test) {
  std::vector<std::string> vars;
  for (char **e = environ; *e != nullptr; e++) {
    if (std::strncmp(*e, "ASTHRA_", 7) != 0) vars.emplace_back(*e);
  }
  vars.push_back(std::string("ASTHRA_RT_SECURE_CHILD=") + test);
  std::vector<char *> envp;
  for (std::string &v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string filter = std::string("--gtest_filter=RuntimeSecureChild.DISABLED_") + test;
  char exe[] = "/proc/self/exe";
  char also[] = "--gtest_also_run_disabled_tests";
  char *argv[] = {exe, filter.data(), also, nullptr};

  int fds[2];
  if (pipe(fds) != 0) return {-1, "pipe failed"};
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execve(exe, argv, envp.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

bool IsChild(const char *test) {
  const char *v = std::getenv("ASTHRA_RT_SECURE_CHILD");
  return v != nullptr && std::strcmp(v, test) == 0;
}

#define CHILD_ONLY(name) \
  if (!IsChild(name)) GTEST_SKIP() << "runs only as a child of RuntimeSecureOs"

// Drops CAP_IPC_LOCK (which lets root lock any amount) from this thread.
bool DropIpcLock() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  const uint32_t bit = 1u << CAP_IPC_LOCK;
  data[0].effective &= ~bit;
  data[0].permitted &= ~bit;
  data[0].inheritable &= ~bit;
  return syscall(SYS_capset, &hdr, data) == 0;
}

const size_t kMemlockLimit = 4 * kPage;

TEST(RuntimeSecureChild, DISABLED_MlockRefused) {
  CHILD_ONLY("MlockRefused");
  ASSERT_TRUE(DropIpcLock()) << std::strerror(errno);
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
  ASSERT_TRUE(rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= kMemlockLimit);
  rl.rlim_cur = kMemlockLimit;
  ASSERT_EQ(setrlimit(RLIMIT_MEMLOCK, &rl), 0);

  // Two refusals (16 pages each, over the 4-page limit), then one that fits.
  asthra_slice a = asthra_allocate_secure(16 * kPage, &kLoc);
  asthra_slice b = asthra_allocate_secure(16 * kPage - 3, &kLoc);
  asthra_slice c = asthra_allocate_secure(kPage, &kLoc);
  for (asthra_slice s : {a, b, c}) {
    std::memset(s.ptr, 0x5A, s.len);  // still usable
    Mapping m;
    ASSERT_TRUE(FindMapping(reinterpret_cast<uintptr_t>(s.ptr), &m));
    EXPECT_TRUE(m.flags.count("dd")) << Describe(m);  // still out of core dumps
    EXPECT_EQ(m.locked_kb, s.len == kPage ? static_cast<long>(kPage / 1024) : 0) << Describe(m);
  }
  for (asthra_slice s : {a, b, c}) asthra_secure_free(s, &kLoc);
  std::fprintf(stderr, "mlock child done\n");
}

size_t Count(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) n++;
  return n;
}

// mlock failure is reported once, with the limit and how to raise it, and
// the program carries on (memory-model.md §5).
TEST(RuntimeSecureOs, MlockRefusalIsReportedOnce) {
  if (kMlockIsIgnored) GTEST_SKIP() << "AddressSanitizer makes mlock a no-op that never fails";
  ChildResult r = RunChild("MlockRefused");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(Count(r.output, "asthra: warning: secure memory could not be locked into RAM"), 1u)
      << r.output;
  EXPECT_NE(r.output.find("(mlock: " + std::string(std::strerror(ENOMEM)) +
                          "); it may be swapped to disk."),
            std::string::npos)
      << r.output;
  const std::string limit = "asthra: RLIMIT_MEMLOCK is " + std::to_string(kMemlockLimit) +
                            " bytes (" + std::to_string(kMemlockLimit / 1024) + " KiB)";
  EXPECT_NE(r.output.find(limit), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("`ulimit -l <KiB>`"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/etc/security/limits.conf"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mlock child done"), std::string::npos) << r.output;
}

// ---- reading a dying process's secrets -------------------------------------

struct Secret {
  uintptr_t addr = 0;
  size_t len = 0;
  std::vector<uint8_t> at_exit;  // read at the last exit stop
};

struct Traced {
  std::string error;       // the harness itself failed
  int exit_stops = 0;      // PTRACE_EVENT_EXIT stops seen (one per traced thread)
  int wait_status = 0;     // of the process
  std::string out, err;
  std::vector<Secret> secrets;

  bool ExitedWith(int code) const { return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code; }
  bool KilledBy(int sig) const { return WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == sig; }
  std::string Summary() const {
    std::ostringstream s;
    if (WIFEXITED(wait_status)) s << "exit status " << WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) s << "killed by signal " << WTERMSIG(wait_status);
    s << "\n--- stdout:\n" << out << "--- stderr:\n" << err << "---";
    if (!error.empty()) s << "\nharness: " << error;
    return s.str();
  }
};

void Drain(int fd, std::string *into) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;  // EOF or EAGAIN
  }
}

// The child reports each secret on stdout as "secret <address> <length>"
// (decimal), written straight to fd 1 so no exit path can lose it.
void ReportSecret(const void *p, size_t len) {
  char line[96];
  int n = std::snprintf(line, sizeof line, "secret %" PRIuPTR " %zu\n", reinterpret_cast<uintptr_t>(p), len);
  if (write(1, line, static_cast<size_t>(n)) != n) _exit(122);
}

void ReadSecrets(pid_t tid, Traced *t) {
  if (t->secrets.empty()) {
    std::istringstream lines(t->out);
    std::string line;
    while (std::getline(lines, line)) {
      Secret s;
      if (std::sscanf(line.c_str(), "secret %" SCNuPTR " %zu", &s.addr, &s.len) == 2) {
        t->secrets.push_back(s);
      }
    }
  }
  std::string path = "/proc/" + std::to_string(tid) + "/mem";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    t->error = "open " + path + ": " + std::strerror(errno);
    return;
  }
  for (Secret &s : t->secrets) {
    s.at_exit.assign(s.len, 0xEE);
    ssize_t n = pread(fd, s.at_exit.data(), s.len, static_cast<off_t>(s.addr));
    if (n != static_cast<ssize_t>(s.len)) {
      t->error = "pread of a secret failed: " + std::string(n < 0 ? std::strerror(errno) : "short read");
    }
  }
  close(fd);
}

long NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// Runs `child` in a forked process traced by this one and stops every one of
// its threads at PTRACE_EVENT_EXIT. Secrets named on its stdout are read at
// each exit stop, so what is kept is their content at the last moment the
// process's memory exists.
Traced RunTraced(const std::function<void()> &child) {
  Traced t;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    t.error = "pipe";
    return t;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    t.error = "fork";
    return t;
  }
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    struct rlimit no_core = {0, 0};  // SIGABRT/SIGQUIT: no core files from tests
    setrlimit(RLIMIT_CORE, &no_core);
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(120);
    raise(SIGSTOP);
    child();
    _exit(0);
  }
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);

  int st = 0;
  if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
    t.error = "the child did not stop";
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return t;
  }
  ptrace(PTRACE_SETOPTIONS, pid, nullptr,
         PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);
  ptrace(PTRACE_CONT, pid, nullptr, nullptr);

  std::set<pid_t> threads = {pid};
  const long deadline = NowMs() + 60000;
  for (;;) {
    pid_t tid = waitpid(-1, &st, __WALL | WNOHANG);
    if (tid == 0) {
      Drain(out[0], &t.out);
      Drain(err[0], &t.err);
      if (NowMs() > deadline) {
        t.error = "timeout";
        kill(pid, SIGKILL);
      }
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, nullptr);
      continue;
    }
    if (tid < 0) {
      if (errno == EINTR) continue;
      t.error = std::string("waitpid: ") + std::strerror(errno);
      break;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (tid == pid) {
        t.wait_status = st;
        break;
      }
      continue;  // another thread is gone
    }
    if (!WIFSTOPPED(st)) continue;
    const int event = st >> 16, sig = WSTOPSIG(st);
    int deliver = 0;
    if (event == PTRACE_EVENT_EXIT) {
      t.exit_stops++;
      Drain(out[0], &t.out);
      // Through the exiting thread: when a task's panic ends the process,
      // the main thread may be gone already (its /proc/PID/mem with it).
      ReadSecrets(tid, &t);
    } else if (event == PTRACE_EVENT_CLONE) {
      unsigned long child_tid = 0;
      ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &child_tid);
      threads.insert(static_cast<pid_t>(child_tid));
    } else if (event != 0) {
      // exec and the like: nothing to deliver
    } else if (sig == SIGSTOP && threads.insert(tid).second) {
      // a new thread's first stop (it may be reported before the clone event)
    } else if (sig == SIGSTOP && tid != pid) {
      // a cloned thread's initial stop whose clone event came first
    } else {
      deliver = sig;  // a real signal: let the child see it
    }
    ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void *>(static_cast<uintptr_t>(deliver)));
  }
  fcntl(out[0], F_SETFL, 0);
  fcntl(err[0], F_SETFL, 0);
  Drain(out[0], &t.out);
  Drain(err[0], &t.err);
  close(out[0]);
  close(err[0]);
  return t;
}

bool AllZero(const std::vector<uint8_t> &b) {
  for (uint8_t x : b) {
    if (x != 0) return false;
  }
  return true;
}

size_t CountSecretBytes(const std::vector<uint8_t> &b) {
  size_t n = 0;
  for (uint8_t x : b) n += x == kSecretByte;
  return n;
}

enum class Wiped { kYes, kNo };

// The common checks: the exit stop was reached, every secret was read and is
// (or, for the control, is not) all zeros; stderr matches.
void ExpectSecrets(const Traced &t, size_t count, Wiped wiped, const char *stderr_re) {
  ASSERT_TRUE(t.error.empty()) << t.Summary();
  ASSERT_GE(t.exit_stops, 1) << "never stopped at exit\n" << t.Summary();
  ASSERT_EQ(t.secrets.size(), count) << t.Summary();
  for (const Secret &s : t.secrets) {
    ASSERT_EQ(s.at_exit.size(), s.len);
    if (wiped == Wiped::kYes) {
      EXPECT_TRUE(AllZero(s.at_exit)) << CountSecretBytes(s.at_exit) << " of " << s.len
                                      << " secret bytes survived at exit (buffer at 0x" << std::hex
                                      << s.addr << ")\n"
                                      << t.Summary();
    } else {
      EXPECT_EQ(CountSecretBytes(s.at_exit), s.len) << t.Summary();
    }
  }
  EXPECT_TRUE(std::regex_search(t.err, std::regex(stderr_re))) << "stderr should match /" << stderr_re
                                                               << "/\n" << t.Summary();
}

// Three live secrets (a small one in a page with a canary, a page-aligned one
// and a multi-page one), then the door.
Traced ThroughDoor(void (*door)(asthra_slice first)) {
  return RunTraced([door] {
    asthra_slice s[3] = {asthra_allocate_secure(48, &kLoc), asthra_allocate_secure(kPage, &kLoc),
                         asthra_allocate_secure(2 * kPage + 100, &kLoc)};
    for (asthra_slice x : s) {
      std::memset(x.ptr, kSecretByte, x.len);
      ReportSecret(x.ptr, x.len);
    }
    door(s[0]);
  });
}

void ExpectWipedByPanic(void (*door)(asthra_slice), const char *stderr_re) {
  Traced t = ThroughDoor(door);
  EXPECT_TRUE(t.ExitedWith(101)) << t.Summary();
  ExpectSecrets(t, 3, Wiped::kYes, stderr_re);
}

void ExpectWipedBySignal(void (*door)(asthra_slice), int sig) {
  Traced t = ThroughDoor(door);
  EXPECT_TRUE(t.KilledBy(sig)) << t.Summary();
  ExpectSecrets(t, 3, Wiped::kYes, "^$");
}

// Faulting accesses live in functions the sanitizers leave alone, so an
// ASTHRA_SANITIZE build sees the hardware fault, as generated code would.
__attribute__((noinline, no_sanitize("address", "undefined"))) void Store(uintptr_t addr) {
  *reinterpret_cast<volatile uint8_t *>(addr) = 1;
}
__attribute__((noinline, no_sanitize("address", "undefined"))) uint8_t Load(uintptr_t addr) {
  return *reinterpret_cast<volatile uint8_t *>(addr);
}

volatile int recursion_limit = INT32_MAX;  // never reached; defeats -Winfinite-recursion

int Recurse(volatile char *prev, int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (prev != nullptr) frame[1] = prev[0];
  if (depth >= recursion_limit) return 0;
  return Recurse(frame, depth + 1) + frame[0];
}

// The control: _exit skips the runtime, so the secret must still be there.
// If this fails, the method cannot see secrets and the other tests prove
// nothing.
TEST(RuntimeSecureWipe, ControlUnwipedSecretIsVisible) {
  Traced t = ThroughDoor([](asthra_slice) { _exit(0); });
  EXPECT_TRUE(t.ExitedWith(0)) << t.Summary();
  ExpectSecrets(t, 3, Wiped::kNo, "^$");
}

// -- panics --

TEST(RuntimeSecureWipe, Panic) {
  ExpectWipedByPanic([](asthra_slice) { asthra_panic(A("boom"), &kLoc); },
                        "^panic: boom\n  at secure\\.asthra:7:5\n$");
}

TEST(RuntimeSecureWipe, IndexOutOfRangePanic) {
  ExpectWipedByPanic(
      [](asthra_slice s) {
        volatile uint64_t i = s.len;
        static_cast<uint8_t *>(s.ptr)[asthra_index_u(i, s.len, "slice", &kLoc)] = 1;
      },
      "^panic: index 48 out of range for slice of length 48\n  at secure\\.asthra:7:5\n$");
}

TEST(RuntimeSecureWipe, DivisionByZeroPanic) {
  ExpectWipedByPanic(
      [](asthra_slice) {
        volatile int32_t zero = 0;
        std::printf("%d\n", asthra_div_i32(1, zero, &kLoc));
      },
      "^panic: attempt to divide by zero\n  at secure\\.asthra:7:5\n$");
}

TEST(RuntimeSecureWipe, OverflowPanic) {
  ExpectWipedByPanic(
      [](asthra_slice) {
        volatile int32_t one = 1;
        std::printf("%d\n", asthra_add_i32(INT32_MAX, one, &kLoc));
      },
      "^panic: attempt to add with overflow\n  at secure\\.asthra:7:5\n$");
}

TEST(RuntimeSecureWipe, CanaryUnderflowPanic) {
  ExpectWipedByPanic(
      [](asthra_slice s) {
        static_cast<uint8_t *>(s.ptr)[-1] ^= 0xFF;
        asthra_secure_free(s, &kLoc);
      },
      "^panic: secure buffer underflow: .*\n  at secure\\.asthra:7:5\n$");
}

void PanicInTask(void *) { asthra_panic(A("boom in a task"), &kLoc); }

TEST(RuntimeSecureWipe, PanicInTask) {
  ExpectWipedByPanic(
      [](asthra_slice) {
        asthra_handle h = asthra_spawn(PanicInTask, asthra_gc_alloc(16), "worker", &kLoc);
        asthra_task_join(h.task);
        _exit(0);  // not reached: the task's panic ends the process
      },
      "^panic in task `worker`: boom in a task\n  at secure\\.asthra:7:5\n$");
}

// A fault inside the panic itself (here: flushing stdout runs a stdio
// cookie that faults) exits at once, but still wipes.
ssize_t FaultingWrite(void *, const char *, size_t) {
  Store(0);
  return -1;
}

TEST(RuntimeSecureWipe, FaultInsideThePanic) {
  ExpectWipedByPanic(
      [](asthra_slice) {
        cookie_io_functions_t io = {nullptr, FaultingWrite, nullptr, nullptr};
        stdout = fopencookie(nullptr, "w", io);
        std::fputs("buffered\n", stdout);
        asthra_panic(A("boom"), &kLoc);
      },
      "^$");
}

// -- faults (os/signals.c), each reported as a panic --

TEST(RuntimeSecureWipe, GuardPageOverflowFault) {
  ExpectWipedByPanic(
      [](asthra_slice s) { Store(reinterpret_cast<uintptr_t>(s.ptr) + s.len); },
      "^panic: secure buffer overflow \\(guard page hit at 0x[0-9a-f]+\\)\n$");
}

TEST(RuntimeSecureWipe, UseAfterFreeFault) {
  ExpectWipedByPanic(
      [](asthra_slice) {
        asthra_slice t = asthra_allocate_secure(64, &kLoc);
        asthra_secure_free(t, &kLoc);
        Load(reinterpret_cast<uintptr_t>(t.ptr));
      },
      "^panic: use of freed secure buffer \\(access at 0x[0-9a-f]+\\)\n$");
}

TEST(RuntimeSecureWipe, NullDereferenceFault) {
  ExpectWipedByPanic([](asthra_slice) { Store(8); }, "^panic: null pointer dereference\n$");
}

TEST(RuntimeSecureWipe, WildPointerFault) {
  ExpectWipedByPanic([](asthra_slice) { Store(0xdead0000); },
                        "^panic: segmentation fault at address 0xdead0000\n$");
}

TEST(RuntimeSecureWipe, BusErrorFault) {
  ExpectWipedByPanic(
      [](asthra_slice) {
        // A file mapping past the file's end: touching it raises SIGBUS.
        int fd = static_cast<int>(syscall(SYS_memfd_create, "asthra-bus", 0));
        if (fd < 0 || ftruncate(fd, static_cast<off_t>(kPage)) != 0) _exit(121);
        void *p = mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) _exit(121);
        Store(reinterpret_cast<uintptr_t>(p) + kPage);
      },
      "^panic: bus error at address 0x[0-9a-f]+\n$");
}

TEST(RuntimeSecureWipe, StackOverflowFault) {
  ExpectWipedByPanic([](asthra_slice) { Recurse(nullptr, 0); }, "^panic: stack overflow\n$");
}

// -- normal exits --

TEST(RuntimeSecureWipe, ReturnFromMain) {
  // What generated main() does: return asthra_rt_finish(status).
  Traced t = ThroughDoor([](asthra_slice) { std::exit(asthra_rt_finish(0)); });
  EXPECT_TRUE(t.ExitedWith(0)) << t.Summary();
  ExpectSecrets(t, 3, Wiped::kYes, "^$");
}

TEST(RuntimeSecureWipe, ExitCall) {
  Traced t = ThroughDoor([](asthra_slice) { asthra_exit(3); });
  EXPECT_TRUE(t.ExitedWith(3)) << t.Summary();
  ExpectSecrets(t, 3, Wiped::kYes, "^$");
}

TEST(RuntimeSecureWipe, ForeignExitCall) {
  // C code calling exit() directly: the runtime's atexit hook wipes.
  Traced t = ThroughDoor([](asthra_slice) { std::exit(5); });
  EXPECT_TRUE(t.ExitedWith(5)) << t.Summary();
  ExpectSecrets(t, 3, Wiped::kYes, "^$");
}

// -- fatal signals: wiped, then death by the signal itself --

TEST(RuntimeSecureWipe, SigtermSignal) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGTERM); }, SIGTERM);
}
TEST(RuntimeSecureWipe, SigintSignal) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGINT); }, SIGINT);
}
TEST(RuntimeSecureWipe, SighupSignal) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGHUP); }, SIGHUP);
}
TEST(RuntimeSecureWipe, SigquitSignal) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGQUIT); }, SIGQUIT);
}
TEST(RuntimeSecureWipe, SigalrmSignal) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGALRM); }, SIGALRM);
}
TEST(RuntimeSecureWipe, AbortSignal) {
  ExpectWipedBySignal([](asthra_slice) { std::abort(); }, SIGABRT);
}
TEST(RuntimeSecureWipe, SigsegvSentByKill) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGSEGV); }, SIGSEGV);
}
TEST(RuntimeSecureWipe, SigbusSentByKill) {
  ExpectWipedBySignal([](asthra_slice) { kill(getpid(), SIGBUS); }, SIGBUS);
}
TEST(RuntimeSecureWipe, SigpipeFromAClosedPipe) {
  // Writing to a pipe nobody reads (`prog | head -1`) raises SIGPIPE.
  ExpectWipedBySignal(
      [](asthra_slice) {
        int p[2];
        if (pipe(p) != 0) _exit(121);
        close(p[0]);
        if (write(p[1], "x", 1) < 0) _exit(121);  // not reached
      },
      SIGPIPE);
}

// ---- the same for a real Asthra program ---------------------------------

const char kWipeProgram[] = R"(// Keeps a secret in secure memory, says where it is, then leaves by a door.
extern "C" fn kill(pid: i32, sig: i32) -> i32;
extern "C" fn _exit(code: i32) -> Never;

fn deep(n: i64) -> i64 {
    let pad: [16]i64 = [n; 16];
    return deep(n + 1) + pad[15];
}

fn main() -> i32 {
    let a: []string = args();
    let mode: string = a[1];
    let key: []u8 = allocate_secure_slice(48);
    for i in range(key.len) {
        key[i] = 0xA5;
    }
    let line: string = "secret " + (key.ptr as usize) + " " + key.len + "\n";
    unsafe { libc.write(1, line.ptr as *const void, line.len); }
    log("before " + mode);
    if mode == "exit" {
        exit(3);
    }
    if mode == "panic" {
        panic("boom");
    }
    if mode == "index" {
        let i: usize = key.len;
        key[i] = 1;
    }
    if mode == "guard" {
        unsafe { *(key.ptr + key.len) = 1; }
    }
    if mode == "null_in_c" {
        log(unsafe { libc.strlen(0 as *const u8) });
    }
    if mode == "sigterm" {
        unsafe { kill(libc.getpid(), 15); }
    }
    if mode == "oom" {
        let big: []u8 = allocate_slice(1 << 26);
        log(big.len);
    }
    if mode == "stack" {
        log(deep(0));
    }
    if mode == "raw_exit" {
        unsafe { _exit(7); }
    }
    return 0;
}
)";

// Builds kWipeProgram once with the compiler next to this binary
// (build/bin/asthra, or $ASTHRA); "" when there is none.
class WipeProgram {
 public:
  static const WipeProgram &Get() {
    static WipeProgram p;
    return p;
  }
  std::string exe, why_not;

 private:
  WipeProgram() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path compiler = std::getenv("ASTHRA") != nullptr
                            ? fs::path(std::getenv("ASTHRA"))
                            : fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path() / "bin" / "asthra";
    if (!fs::exists(compiler, ec)) {
      why_not = "no compiler at " + compiler.string();
      return;
    }
    char tmpl[] = "/tmp/asthra-wipe-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      why_not = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    owner_ = getpid();
    std::ofstream(dir_ + "/wipe.asthra") << kWipeProgram;
    std::string cmd = "cd " + dir_ + " && '" + compiler.string() +
                      "' build wipe.asthra -o wipe > build.log 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream log(dir_ + "/build.log");
      std::stringstream text;
      text << log.rdbuf();
      why_not = "building the program failed:\n" + text.str();
      return;
    }
    exe = dir_ + "/wipe";
  }
  ~WipeProgram() {
    // Forked children that call exit() run this too; only the owner cleans.
    if (!dir_.empty() && getpid() == owner_) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  std::string dir_;
  pid_t owner_ = 0;
};

Traced RunProgram(const char *mode, const char *env = nullptr) {
  const std::string exe = WipeProgram::Get().exe;
  return RunTraced([exe, mode, env] {
    if (env != nullptr) putenv(const_cast<char *>(env));
    // In a sanitizer build the program is instrumented too; LeakSanitizer
    // cannot run under ptrace (and the collector's memory confuses it).
    std::string asan = "detect_leaks=0";
    if (const char *old = std::getenv("ASAN_OPTIONS")) asan = std::string(old) + ":" + asan;
    setenv("ASAN_OPTIONS", asan.c_str(), 1);
    execl(exe.c_str(), exe.c_str(), mode, static_cast<char *>(nullptr));
    _exit(127);
  });
}

#define REQUIRE_PROGRAM()                                                   \
  if (WipeProgram::Get().exe.empty()) GTEST_SKIP() << WipeProgram::Get().why_not

TEST(RuntimeSecureWipeProgram, ControlUnwipedSecretIsVisible) {
  REQUIRE_PROGRAM();
  Traced t = RunProgram("raw_exit");
  EXPECT_TRUE(t.ExitedWith(7)) << t.Summary();
  ExpectSecrets(t, 1, Wiped::kNo, "^$");
}

TEST(RuntimeSecureWipeProgram, ReturnFromMain) {
  REQUIRE_PROGRAM();
  Traced t = RunProgram("return");
  EXPECT_TRUE(t.ExitedWith(0)) << t.Summary();
  EXPECT_NE(t.out.find("before return\n"), std::string::npos) << t.Summary();
  ExpectSecrets(t, 1, Wiped::kYes, "^$");
}

TEST(RuntimeSecureWipeProgram, ExitCall) {
  REQUIRE_PROGRAM();
  Traced t = RunProgram("exit");
  EXPECT_TRUE(t.ExitedWith(3)) << t.Summary();
  EXPECT_NE(t.out.find("before exit\n"), std::string::npos) << t.Summary();
  ExpectSecrets(t, 1, Wiped::kYes, "^$");
}

struct ProgramPanic {
  const char *mode, *env, *stderr_re;
};

// Every panic keeps what the program printed before it (stdout is flushed
// first), exits 101 and leaves no secret behind.
TEST(RuntimeSecureWipeProgram, Panics) {
  REQUIRE_PROGRAM();
  const ProgramPanic cases[] = {
      {"panic", nullptr, "^panic: boom\n  at wipe\\.asthra:24:9\n$"},
      {"index", nullptr, "^panic: index 48 out of range for slice of length 48\n  at wipe\\.asthra:28:"},
      {"guard", nullptr, "^panic: secure buffer overflow \\(guard page hit at 0x[0-9a-f]+\\)\n$"},
      {"null_in_c", nullptr, "^panic: null pointer dereference\n$"},
      {"oom", "ASTHRA_GC_MAX_HEAP=8M",
       "^panic: out of memory: heap limit ASTHRA_GC_MAX_HEAP=8M reached\n"},
      {"stack", nullptr, "^panic: stack overflow\n$"},
  };
  for (const ProgramPanic &c : cases) {
    SCOPED_TRACE(c.mode);
    Traced t = RunProgram(c.mode, c.env);
    EXPECT_TRUE(t.ExitedWith(101)) << t.Summary();
    EXPECT_NE(t.out.find(std::string("before ") + c.mode + "\n"), std::string::npos) << t.Summary();
    ExpectSecrets(t, 1, Wiped::kYes, c.stderr_re);
  }
}

TEST(RuntimeSecureWipeProgram, Sigterm) {
  REQUIRE_PROGRAM();
  Traced t = RunProgram("sigterm");
  EXPECT_TRUE(t.KilledBy(SIGTERM)) << t.Summary();
  ExpectSecrets(t, 1, Wiped::kYes, "^$");
}

// ---- fill_random ---------------------------------------------------------

bool AllZero(asthra_slice s) {
  const auto *p = static_cast<const uint8_t *>(s.ptr);
  for (size_t i = 0; i < s.len; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

TEST(RuntimeRandom, FillRandomIsNotConstant) {
  asthra_slice a = asthra_allocate_slice(32, nullptr), b = asthra_allocate_slice(32, nullptr);
  asthra_fill_random(a, nullptr);
  asthra_fill_random(b, nullptr);
  EXPECT_FALSE(AllZero(a));
  EXPECT_FALSE(AllZero(b));
  EXPECT_NE(std::memcmp(a.ptr, b.ptr, 32), 0) << "two 32-byte fills are equal";
  // Into secure memory too (a key is generated where it will live).
  asthra_slice k = asthra_allocate_secure(32, &kLoc);
  asthra_fill_random(k, nullptr);
  EXPECT_FALSE(AllZero(k));
  EXPECT_NE(std::memcmp(k.ptr, a.ptr, 32), 0);
  asthra_secure_free(k, &kLoc);
}

// A user-space generator seeded once would repeat itself in a forked child.
TEST(RuntimeRandom, FillRandomDiffersInAForkedChild) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    asthra_slice c = asthra_allocate_slice(32, nullptr);
    asthra_fill_random(c, nullptr);
    _exit(write(p[1], c.ptr, 32) == 32 ? 0 : 1);
  }
  close(p[1]);
  asthra_slice mine = asthra_allocate_slice(32, nullptr);
  asthra_fill_random(mine, nullptr);
  uint8_t theirs[32];
  ASSERT_EQ(read(p[0], theirs, 32), 32);
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  EXPECT_NE(std::memcmp(mine.ptr, theirs, 32), 0);
}

// 64 KiB: each byte value is expected 256 times (sd 16); a value outside
// [128, 384] (8 sd) or a run of identical 16-byte blocks means a broken source.
TEST(RuntimeRandom, FillRandomLooksUniform) {
  const size_t n = 64 * 1024;
  asthra_slice s = asthra_allocate_slice(n, nullptr);
  asthra_fill_random(s, nullptr);
  const auto *p = static_cast<const uint8_t *>(s.ptr);
  size_t counts[256] = {};
  for (size_t i = 0; i < n; i++) counts[p[i]]++;
  for (int v = 0; v < 256; v++) {
    EXPECT_GE(counts[v], 128u) << "byte " << v;
    EXPECT_LE(counts[v], 384u) << "byte " << v;
  }
  std::set<std::string> blocks;
  for (size_t i = 0; i < n; i += 16) blocks.emplace(reinterpret_cast<const char *>(p + i), 16);
  EXPECT_EQ(blocks.size(), n / 16);
}

}  // namespace

// The munlock(2) seen by the runtime (see FreeWipesBeforeUnlocking): records
// whether a call covering the watched buffer found it wiped, then does the
// real thing.
extern "C" int munlock(const void *addr, size_t len) {
  const uintptr_t lo = watch_lo, hi = watch_hi;
  const auto a = reinterpret_cast<uintptr_t>(addr);
  if (lo != 0 && a <= lo && a + len >= hi) {
    watched_unlocks++;
    for (uintptr_t p = lo; p < hi; p++) {
      if (*reinterpret_cast<volatile const uint8_t *>(p) != 0) {
        dirty_unlocks++;
        break;
      }
    }
  }
  return static_cast<int>(syscall(SYS_munlock, addr, len));
}
