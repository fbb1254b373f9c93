/*
 * panic.c: how an Asthra program dies.
 *
 * A panic is the only way the runtime reports a run-time error: bounds and
 * arithmetic checks, failed allocations, misuse of runtime calls and the
 * user's own `panic(msg)` all end here. The sequence is fixed by the spec
 * and is the same for the fatal-signal handler (os/signals.c):
 *
 *   1. flush stdout, so everything the program printed before the panic
 *      appears before the message (stdout is buffered, stderr is not);
 *   2. write "panic: <msg>\n  at <file>:<line>:<col>\n" to stderr in one
 *      writev(2), so concurrent output cannot split it;
 *   3. zero every live secure buffer;
 *   4. _exit(101): no atexit handlers, no further stdio, no destructors.
 *
 * Invariants: the path allocates nothing (the heap may be what failed) and
 * takes no lock except, when not in a signal handler, stdout's own. A panic
 * while panicking (say, the flush faults) wipes secure memory and exits at
 * once with 101; when two threads panic together the first one wins and
 * the others park, so exactly one message is printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* 0 until the first thread starts panicking. */
static atomic_int panicking;
/* Set on the thread that is panicking (detects a panic within the panic). */
static _Thread_local volatile sig_atomic_t this_thread_panicking ASTHRA__TLS_IE;

void asthra__panic_enter(void) {
  /* A panic inside a loop without safepoints (an index check) leaves the
   * loop: the collector must no longer stop this thread with a signal. */
  asthra_leaf_loop_exit();
  if (this_thread_panicking) {
    /* A panic within the panic (say, the stdout flush faulted, which comes
     * before the wipe): exit at once, but wipe first. The wipe runs once
     * here, so a fault inside the wipe itself cannot loop. */
    if (this_thread_panicking == 1) {
      this_thread_panicking = 2;
      asthra__secure_zero_all();
    }
    _exit(ASTHRA__PANIC_STATUS);
  }
  this_thread_panicking = 1;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&panicking, &expected, 1)) {
    /* Another thread owns the panic and is about to _exit; wait for it. */
    for (;;) {
      struct timespec ts = {1, 0};
      nanosleep(&ts, NULL);
    }
  }
}

void asthra__flush_stdout(bool from_signal) {
  if (!from_signal) {
    fflush(stdout);
    return;
  }
  /* ftrylockfile succeeds when this thread already owns the lock (the
   * fault happened inside stdio); the buffer is then still consistent
   * enough to flush. If another thread holds it, retry briefly, then give
   * up rather than deadlock. */
  for (int i = 0; i < 100; i++) {
    if (ftrylockfile(stdout) == 0) {
      fflush_unlocked(stdout);
      funlockfile(stdout);
      return;
    }
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}

_Noreturn void asthra__die(const char *text, size_t len) {
  asthra__write_all(STDERR_FILENO, text, len);
  asthra__secure_zero_all();
  _exit(ASTHRA__PANIC_STATUS);
}

/* Steps 2-4 of the sequence; msg may be any bytes. */
static _Noreturn void panic_write(const uint8_t *msg, size_t len,
                                  const asthra_loc *loc) {
  char line[24], col[24];
  struct iovec iov[12];
  int n = 0;
  /* A panic in a spawned task names the task's function (language.md). */
  const char *task = asthra__current_task_name();
  if (task != NULL) {
    iov[n++] = (struct iovec){(void *)"panic in task `", 15};
    iov[n++] = (struct iovec){(void *)task, strlen(task)};
    iov[n++] = (struct iovec){(void *)"`: ", 3};
  } else {
    iov[n++] = (struct iovec){(void *)"panic: ", 7};
  }
  if (len > 0) iov[n++] = (struct iovec){(void *)msg, len};
  iov[n++] = (struct iovec){(void *)"\n", 1};
  if (loc != NULL) {
    const char *file = loc->file != NULL ? loc->file : "<unknown>";
    size_t ll = asthra__itoa(loc->line, line);
    size_t cl = asthra__itoa(loc->col, col);
    iov[n - 1] = (struct iovec){(void *)"\n  at ", 6};
    iov[n++] = (struct iovec){(void *)file, strlen(file)};
    line[ll] = ':';
    iov[n++] = (struct iovec){(void *)":", 1};
    iov[n++] = (struct iovec){line, ll + 1};
    col[cl] = '\n';
    iov[n++] = (struct iovec){col, cl + 1};
  }
  /* writev may write partially (pipes, signals); finish piecewise. */
  ssize_t done = writev(STDERR_FILENO, iov, n);
  if (done < 0) done = 0;
  for (int i = 0; i < n; i++) {
    size_t l = iov[i].iov_len;
    if ((size_t)done >= l) {
      done -= (ssize_t)l;
      continue;
    }
    asthra__write_all(STDERR_FILENO, (const char *)iov[i].iov_base + done,
                      l - (size_t)done);
    done = 0;
  }
  asthra__secure_zero_all();
  _exit(ASTHRA__PANIC_STATUS);
}

_Noreturn void asthra_panic(asthra_string msg, const asthra_loc *loc) {
  asthra__panic_enter();
  asthra__flush_stdout(false);
  panic_write(msg.ptr, msg.ptr != NULL ? msg.len : 0, loc);
}

_Noreturn void asthra_panic_cstr(const char *msg, const asthra_loc *loc) {
  asthra__panic_enter();
  asthra__flush_stdout(false);
  if (msg == NULL) msg = "";
  panic_write((const uint8_t *)msg, strlen(msg), loc);
}

_Noreturn void asthra__panic_index_s(int64_t i, size_t len, const char *what,
                                     const asthra_loc *loc) {
  char buf[160];
  snprintf(buf, sizeof buf, "index %" PRId64 " out of range for %s of length %zu",
           i, what != NULL ? what : "slice", len);
  asthra_panic_cstr(buf, loc);
}

_Noreturn void asthra__panic_index_u(uint64_t i, size_t len, const char *what,
                                     const asthra_loc *loc) {
  char buf[160];
  snprintf(buf, sizeof buf, "index %" PRIu64 " out of range for %s of length %zu",
           i, what != NULL ? what : "slice", len);
  asthra_panic_cstr(buf, loc);
}
