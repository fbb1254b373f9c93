/*
 * internal.h: what the runtime's modules say to each other.
 *
 * The runtime is split by concern (style.md): core/ (init, panics, strings,
 * formatting, output), gc/ (the collector interface), slice/, secure/ and
 * os/ (signals and OS primitives). Each module exposes to the others only
 * the `asthra__` functions declared here; none of this is ABI, so it can
 * change freely. The one rule that matters for the future: gc/ is the only
 * module that knows which collector runs (gc/own/ or gc/boehm/, one per
 * library); each fills in the functions of the "gc" section below and the
 * public asthra_gc_*, asthra_pin/unpin entry points, nothing else.
 *
 * Async-signal safety: functions marked [signal-safe] may be called from the
 * fatal-signal handler (no locks, no allocation, no stdio except where said).
 */
#ifndef ASTHRA_RT_INTERNAL_H
#define ASTHRA_RT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asthra/runtime.h"

/* Thread-locals that signal handlers read: initial-exec, so an access is a
 * fixed offset from the thread pointer (never a lazy __tls_get_addr). */
#define ASTHRA__TLS_IE __attribute__((tls_model("initial-exec")))

/* ---- core ---------------------------------------------------------- */

/* Exit status of a panic and of every fault the runtime catches. */
#define ASTHRA__PANIC_STATUS 101
/* Exit status for a malformed ASTHRA_* environment variable. */
#define ASTHRA__USAGE_STATUS 2

/* Flush stdout before dying. From a signal handler it only tries the stdio
 * lock (never blocks on it): a fault inside stdio must not deadlock. */
void asthra__flush_stdout(bool from_signal);

/* Enter the panic path. Returns normally for the first panicking thread;
 * a second panic on the same thread (a panic while panicking) _exits at
 * once; other threads that panic meanwhile wait for the process to end.
 * [signal-safe] */
void asthra__panic_enter(void);

/* The tail of every fatal path: write `len` bytes of `text` to stderr,
 * zero secure memory, _exit(101). [signal-safe] */
_Noreturn void asthra__die(const char *text, size_t len);

/* ---- gc ------------------------------------------------------------ */

/* Collector settings parsed from the environment by core/init.c. */
typedef struct asthra__gc_config {
  bool automatic;             /* false: ASTHRA_GC_PERCENT=off */
  uint32_t percent;           /* heap growth target in percent (>= 10) */
  uint64_t max_heap;          /* 0: no limit */
  const char *max_heap_text;  /* ASTHRA_GC_MAX_HEAP as given, for messages */
  bool trace;                 /* ASTHRA_GCTRACE: a line per collection */
  bool stats;                 /* ASTHRA_GCSTATS: summary at exit */
  /* The runtime's own collector only (docs/design/gc.md): */
  uint64_t stress;            /* ASTHRA_GC_STRESS=N: collect every N allocations */
  bool verify;                /* ASTHRA_GC_VERIFY: heap checks, poisoned free memory */
  unsigned markers;           /* ASTHRA_GC_MARKERS: marking threads (0: one per core) */
  bool concurrent;            /* ASTHRA_GC_CONCURRENT: full marks while the program runs */
} asthra__gc_config;

/* Start the collector (once, on the main thread, before any allocation). */
void asthra__gc_init(const asthra__gc_config *cfg);
/* Uninitialised pointer-free memory: for callers that fill every byte. */
void *asthra__gc_alloc_noscan_raw(size_t n);
/* The ASTHRA_GCSTATS summary, to stderr. */
void asthra__gc_print_summary(void);
/* Thread registration (thread.c): a thread the runtime did not start
 * registers itself before touching GC memory (in native state: it is in C)
 * and unregisters before it ends. */
void asthra__gc_register_thread(void);
void asthra__gc_unregister_thread(void);

/* ---- secure -------------------------------------------------------- */

/* Zero every live secure buffer. [signal-safe] */
void asthra__secure_zero_all(void);

typedef enum asthra__secure_fault {
  ASTHRA__SECURE_FAULT_NONE = 0,
  ASTHRA__SECURE_FAULT_GUARD, /* a guard page of a live buffer */
  ASTHRA__SECURE_FAULT_FREED  /* anywhere in a freed buffer's reservation */
} asthra__secure_fault;

/* Where a faulting address lies relative to secure memory. [signal-safe] */
asthra__secure_fault asthra__secure_classify(uintptr_t addr);
/* Panics (at loc) when [p, p+n) starts in a freed secure buffer: runtime
 * calls check before they touch memory, where the fault would name no
 * location (or, in a system call, no fault at all). */
void asthra__secure_check_not_freed(const void *p, size_t n, const asthra_loc *loc);
/* Whether p points into a secure buffer's mapping, live or freed. */
bool asthra__secure_owns(const void *p);
/* Where the program asked for the allocation under way, when a call that
 * takes a location (allocate_slice) made it: the out-of-memory panic names
 * it. NULL otherwise. */
extern ASTHRA__TLS_IE _Thread_local const asthra_loc *asthra__alloc_site;
/* Whether p points into memory the collector manages. */
bool asthra__gc_owns(const void *p);

/* ---- os ------------------------------------------------------------ */

size_t asthra__page_size(void);
/* Install the fatal-signal handlers (once, from asthra_rt_init). */
void asthra__os_install_signals(void);
/* Per-thread setup: an alternate signal stack and the stack bounds used to
 * recognise a stack overflow. The main thread's is done by init; the thread
 * module calls it at the start of every thread it creates. */
void asthra__os_thread_attach(void);
/* Undo asthra__os_thread_attach before a thread ends (frees its alternate
 * signal stack). */
void asthra__os_thread_detach(void);

/* thread/task.c: the name of the task running on this thread (NULL on the
 * main thread and foreign threads); waiting for every task at exit. */
const char *asthra__current_task_name(void);
void asthra__tasks_join_all(void);
/* write(2) all of buf, retrying on EINTR and short writes. [signal-safe] */
void asthra__write_all(int fd, const void *buf, size_t len);
/* Decimal / hex text of v into buf (>= 24 bytes); returns the length.
 * [signal-safe] */
size_t asthra__utoa(uint64_t v, char *buf);
size_t asthra__itoa(int64_t v, char *buf);
size_t asthra__hextoa(uint64_t v, char *buf); /* "0x..." */
/* Fill buf with random bytes from the kernel; returns false on failure. */
bool asthra__os_random(void *buf, size_t len);

#endif /* ASTHRA_RT_INTERNAL_H */
