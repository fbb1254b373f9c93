/*
 * signals.c: turning hardware faults into Asthra panics.
 *
 * Generated code checks bounds, arithmetic and null pointers explicitly, so
 * a hardware fault means one of four things, told apart by the faulting
 * address (si_addr) and, for stacks, the interrupted stack pointer:
 *
 *   address < 4096                 "panic: null pointer dereference"
 *   a secure buffer's guard page   "panic: secure buffer overflow (guard
 *                                   page hit at 0x...)"
 *   (a freed secure buffer)        "panic: use of freed secure buffer
 *                                   (access at 0x...)"
 *   the thread's stack guard       "panic: stack overflow"
 *   anything else                  "panic: segmentation fault at address
 *                                   0x..." ("bus error" for SIGBUS)
 *
 * and each ends like a panic: flush stdout, message on stderr ("panic in
 * task `f`: ..." on a spawned task's thread), zero secure memory,
 * _exit(101). SIGFPE (only foreign C code can raise it; Asthra
 * division is checked) is reported the same way. SIGABRT, SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT, SIGPIPE and SIGALRM flush stdout (but SIGPIPE), zero
 * secure memory and then re-raise themselves with the default action, so the process still dies "by the
 * signal" as its parent expects. A SIGSEGV sent with kill(2) (si_code <= 0) is treated the same
 * way: it is a request to die, not a fault.
 *
 * Stack overflow: the handler runs on an alternate signal stack (the
 * faulting stack is unusable). Each thread records its stack bounds when it
 * attaches (asthra__os_thread_attach); a fault within 1 MiB below the low
 * bound, or with the stack pointer already below it (a frame larger than
 * the guard jumped past it), is an overflow.
 *
 * Invariants: handlers use only async-signal-safe operations: write(2),
 * _exit, sigaction, raise, lock-free reads of the secure-memory registry
 * (secure/secure.c) and of thread-local stack bounds. The single exception
 * is the stdout flush, which only *tries* the stdio lock (core/panic.c).
 * SA_NODEFER on the fault handlers makes a fault inside the handler re-enter
 * it, where asthra__panic_enter turns it into an immediate _exit(101)
 * instead of the kernel killing the process with SIGSEGV.
 *
 * The collector: Boehm's libgc on Linux x86_64 does not use SIGSEGV unless
 * incremental mode is enabled (gc/gc.c never enables it); it suspends
 * threads with SIGPWR/SIGXCPU, which we leave alone. Handlers are installed
 * after the collector has initialised.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

/* How far below the stack's low end a fault still counts as an overflow:
 * the kernel's stack guard gap is 256 pages (1 MiB with 4 KiB pages). */
#define STACK_GUARD_SLACK ((uintptr_t)1 << 20)
#define ALT_STACK_SIZE ((size_t)64 << 10)

/* The current thread's usable stack [lo, hi); 0 when not attached. */
static _Thread_local uintptr_t stack_lo ASTHRA__TLS_IE, stack_hi ASTHRA__TLS_IE;
static _Thread_local void *alt_stack;
static _Thread_local size_t alt_stack_size;

void asthra__os_thread_attach(void) {
  /* Alternate signal stack, unless one (e.g. the sanitizer's) exists. */
  stack_t old;
  if (alt_stack == NULL && sigaltstack(NULL, &old) == 0 &&
      ((old.ss_flags & SS_DISABLE) != 0 || old.ss_size < ALT_STACK_SIZE / 2)) {
    size_t size = ALT_STACK_SIZE;
#ifdef _SC_SIGSTKSZ
    long min = sysconf(_SC_SIGSTKSZ);
    if (min > 0 && (size_t)min > size) size = (size_t)min;
#endif
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      stack_t ss;
      memset(&ss, 0, sizeof ss);
      ss.ss_sp = p;
      ss.ss_size = size;
      if (sigaltstack(&ss, NULL) == 0) {
        alt_stack = p;
        alt_stack_size = size;
      } else {
        munmap(p, size);
      }
    }
  }
  /* Stack bounds. For the main thread glibc derives them from
   * RLIMIT_STACK, which is exactly where the kernel stops growing it. */
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *addr = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != NULL) {
      stack_lo = (uintptr_t)addr;
      stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
  }
}

void asthra__os_thread_detach(void) {
  if (alt_stack == NULL) return;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  if (sigaltstack(&ss, NULL) == 0) munmap(alt_stack, alt_stack_size);
  alt_stack = NULL;
  stack_lo = stack_hi = 0;
}

/* The interrupted context's stack pointer, or 0 when unknown. */
static uintptr_t context_sp(void *uctx) {
  const ucontext_t *uc = (const ucontext_t *)uctx;
  if (uc == NULL) return 0;
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.sp;
#else
  return 0;
#endif
}

static bool is_stack_overflow(uintptr_t addr, uintptr_t sp) {
  if (stack_lo == 0) return false;
  uintptr_t page = (uintptr_t)asthra__page_size();
  uintptr_t floor = stack_lo > STACK_GUARD_SLACK ? stack_lo - STACK_GUARD_SLACK : 0;
  if (addr >= floor && addr < stack_lo + page) return true;
  /* A huge frame moved sp far below the guard; the fault is near sp. */
  return sp != 0 && sp < stack_lo + page && addr < stack_hi &&
         addr + ((uintptr_t)64 << 10) >= sp;
}

/* A fault message: "panic in task `" (15), the task's name cut to
 * TASK_NAME_MAX, "`: " (3), the longest text below (47), an address (18) and
 * the newline fit in MSG_CAP. */
#define TASK_NAME_MAX 200
#define MSG_CAP 320

/* Appends the l bytes at s to buf at *n. */
static void put_n(char *buf, size_t *n, const char *s, size_t l) {
  memcpy(buf + *n, s, l);
  *n += l;
}
static void put(char *buf, size_t *n, const char *s) { put_n(buf, n, s, strlen(s)); }

static void put_hex(char *buf, size_t *n, uintptr_t v) {
  *n += asthra__hextoa((uint64_t)v, buf + *n);
}

/* Dies by `sig` with its default action, after zeroing secure memory. */
static void reraise_default(int sig) {
  asthra__secure_zero_all();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  _exit(128 + sig); /* not reached for signals whose default is to die */
}

static void on_fault(int sig, siginfo_t *si, void *uctx) {
  if (si == NULL || si->si_code <= 0) {
    reraise_default(sig); /* sent by kill/raise, not a fault */
    return;
  }
  asthra__panic_enter();
  uintptr_t addr = (uintptr_t)si->si_addr;
  char msg[MSG_CAP];
  size_t n = 0;
  /* As panic.c words it, and in one write: a fault in a spawned task names
   * the task. */
  const char *task = asthra__current_task_name();
  if (task != NULL) {
    put(msg, &n, "panic in task `");
    size_t len = strlen(task);
    put_n(msg, &n, task, len < TASK_NAME_MAX ? len : TASK_NAME_MAX);
    put(msg, &n, "`: ");
  } else {
    put(msg, &n, "panic: ");
  }
  if (sig == SIGFPE) {
    if (si->si_code == FPE_INTDIV || si->si_code == FPE_INTOVF) {
      put(msg, &n, "integer division by zero or overflow in foreign code");
    } else {
      put(msg, &n, "floating-point exception");
    }
  } else if (addr < 4096) {
    put(msg, &n, "null pointer dereference");
  } else {
    asthra__secure_fault sf = asthra__secure_classify(addr);
    if (sf == ASTHRA__SECURE_FAULT_GUARD) {
      put(msg, &n, "secure buffer overflow (guard page hit at ");
      put_hex(msg, &n, addr);
      put(msg, &n, ")");
    } else if (sf == ASTHRA__SECURE_FAULT_FREED) {
      put(msg, &n, "use of freed secure buffer (access at ");
      put_hex(msg, &n, addr);
      put(msg, &n, ")");
    } else if (is_stack_overflow(addr, context_sp(uctx))) {
      put(msg, &n, "stack overflow");
    } else {
      put(msg, &n, sig == SIGBUS ? "bus error at address "
                                 : "segmentation fault at address ");
      put_hex(msg, &n, addr);
    }
  }
  put(msg, &n, "\n");
  asthra__flush_stdout(true);
  asthra__die(msg, n);
}

/* What the program logged shows before it dies (not on SIGPIPE: stdout
 * may be the closed pipe). */
static void on_terminate(int sig) {
  if (sig != SIGPIPE) asthra__flush_stdout(true);
  reraise_default(sig);
}

void asthra__os_install_signals(void) {
  asthra__os_thread_attach();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  /* The own collector's preemption signal must not park a thread on the
   * alternate stack, in the middle of reporting a fault (gc/own/world.c). */
  sigaddset(&sa.sa_mask, SIGURG);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);

  /* Signals whose default action ends the process and that reach ordinary
   * programs: a write to a closed pipe (`prog | head -1`), Ctrl-\, alarm(2).
   * The collector's SIGPWR/SIGXCPU and profilers' SIGPROF are left alone. */
  static const int term_signals[] = {SIGABRT, SIGTERM, SIGINT, SIGHUP,
                                     SIGQUIT, SIGPIPE, SIGALRM};
  for (size_t i = 0; i < sizeof term_signals / sizeof term_signals[0]; i++) {
    struct sigaction cur;
    /* Leave signals the parent asked us to ignore (nohup, `trap '' INT`). */
    if (sigaction(term_signals[i], NULL, &cur) == 0 && cur.sa_handler == SIG_IGN) {
      continue;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_terminate;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(term_signals[i], &sa, NULL);
  }
}
