/*
 * gc_boehm.c: the garbage-collector interface on Boehm's libgc, the
 * baseline collector (library asthra_rt_boehm, `asthra build --gc=boehm`).
 *
 * This file is the only place that knows Boehm (nothing else includes
 * gc.h). Like the runtime's own collector (gc/own/, docs/design/gc.md) it
 * provides (docs/design/runtime.md, "The GC interface"):
 *
 *   - zeroed allocation, scanned (asthra_gc_alloc) or never scanned
 *     (asthra_gc_alloc_noscan, asthra__gc_alloc_noscan_raw uninitialised);
 *     interior pointers keep an object alive (slices point into arrays), and
 *     so does a pointer one past the end (an empty tail slice);
 *   - roots: thread stacks and registers and the program's data segments,
 *     conservatively, plus the pinned ranges of asthra_pin;
 *   - explicit collection, statistics, the ASTHRA_GC* settings;
 *   - thread registration for threads it did not start;
 *   - out of memory is a panic, never a NULL return or a crash.
 *
 * Boehm configuration and why:
 *   - GC_THREADS (set by the build for this file) so threads created later
 *     are scanned; GC_allow_register_threads() so foreign threads can
 *     register. One marker (GC_set_markers_count(1)): no parallel marking
 *     and no incremental mode, so the collector never uses SIGSEGV or extra
 *     threads, which keeps the fault handler's job simple and fork() (the
 *     death tests) safe. GC_set_handle_fork(1) makes collection work in a
 *     forked child.
 *   - All interior pointers are recognised (the default, made explicit).
 *     We never use GC_malloc_ignore_off_page: a sub-slice far into a big
 *     array may be the only reference to it.
 *   - ASTHRA_GC_PERCENT=P maps to Boehm's free-space divisor D: between
 *     collections Boehm lets the program allocate about (2*T + A/4 + R)/D
 *     bytes, T = traced (pointer-bearing) live bytes, A = pointer-free live
 *     bytes, R = root bytes. With D = 200/P (rounded, at least 1) a
 *     pointer-rich live set of L bytes grows by about P% of L before the
 *     next collection, which is what P means in Go's GOGC. The divisor is an
 *     integer, so P resolves coarsely (P >= 134 all give D = 1, ~200%), and
 *     pointer-free data is weighted 1/4 by Boehm, so pointer-free heaps are
 *     collected more often than P suggests. Boehm's default (D = 3)
 *     corresponds to P ~ 67. P = off disables automatic collection;
 *     asthra_gc_collect still collects.
 *   - ASTHRA_GC_MAX_HEAP: GC_set_max_heap_size. When an allocation cannot
 *     be satisfied even after collecting, Boehm calls our oom function,
 *     which panics "out of memory: heap limit ASTHRA_GC_MAX_HEAP=<v>
 *     reached" (or "out of memory: could not allocate N bytes" without a
 *     limit). Boehm's warnings ("Out of Memory! Heap size ...", "Repeated
 *     allocation of very large block") are silenced unless ASTHRA_GCTRACE
 *     is set, and Boehm's fatal aborts become a runtime panic (exit 101).
 *
 * Statistics (asthra_gc_stats). Boehm calls our collection-event hook with
 * its allocator lock held; at each event we read the monotonic clock, and
 * at START and END Boehm's profiling counters without locking
 * (GC_get_prof_stats_unsafe, legal under the lock). Six clock reads per
 * collection, nothing else. What the events bound:
 *   - a pause is START..END of one collection: the allocating thread is
 *     stopped that long, other threads for the mark part;
 *   - mark is MARK_START..MARK_END (GC_stopped_mark: roots and the mark
 *     stack, world stopped);
 *   - sweep is RECLAIM_START..RECLAIM_END (GC_finish_collection:
 *     finalisation, freeing wholly empty blocks, queueing the others). Boehm
 *     sweeps the queued small-object blocks lazily, in the allocator, after
 *     the pause; that work is mutator time and no event bounds it, so
 *     "sweep" is the part of the sweep inside the pause, and the GC share of
 *     wall time (total pause / time since start-up) is a lower bound.
 * The END event hands the cycle to the shared statistics (common/stats.c,
 * which also prints the ASTHRA_GCTRACE line); the heap-resize hook tracks
 * the peak. Live bytes after a collection are heap minus free blocks:
 * bytes of blocks holding at least one reachable object, an upper bound on
 * the true live set. Statistics are written and read under the allocator
 * lock (GC_call_with_alloc_lock), so a snapshot is consistent.
 *
 * Pinned ranges (asthra_pin). Rather than GC_add_roots, whose root table is
 * small and fixed (Boehm aborts past a couple of thousand ranges) and
 * whose removal semantics are "segments fully inside", the pins live in the
 * shared table (common/pins.c), and a push-other-roots hook (chained to
 * Boehm's, which pushes thread stacks) pushes every range conservatively at
 * each collection. The table is mutated only under Boehm's allocator lock,
 * which the hook runs under, so no second lock can deadlock with a stopped
 * world.
 */
#define GC_THREADS 1
#include <gc/gc.h>
#include <gc/gc_mark.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gc/common/gc_common.h"

/* ---- settings and the collection in progress (allocator lock) -------- */

static asthra__gc_config config;
static char max_heap_message[256];
static asthra__gc_cycle cycle;
static uint64_t mark_start_ns, sweep_start_ns;

static uint64_t mapped_heap(const struct GC_prof_stats_s *ps) {
  return (uint64_t)(ps->heapsize_full - ps->unmapped_bytes);
}

/* Runs with the allocator lock held (world possibly stopped). */
static void GC_CALLBACK on_collection_event(GC_EventType ev) {
  struct GC_prof_stats_s ps;
  switch (ev) {
    case GC_EVENT_START:
      memset(&cycle, 0, sizeof cycle);
      cycle.start_ns = asthra__gc_now_ns();
      cycle.threads = 1;
      GC_get_prof_stats_unsafe(&ps, sizeof ps);
      cycle.heap_before = mapped_heap(&ps);
      break;
    case GC_EVENT_MARK_START:
      mark_start_ns = asthra__gc_now_ns();
      break;
    case GC_EVENT_MARK_END:
      cycle.mark_ns = asthra__gc_now_ns() - mark_start_ns;
      break;
    case GC_EVENT_RECLAIM_START:
      sweep_start_ns = asthra__gc_now_ns();
      break;
    case GC_EVENT_RECLAIM_END:
      cycle.sweep_ns = asthra__gc_now_ns() - sweep_start_ns;
      break;
    case GC_EVENT_END:
      cycle.pause_ns = asthra__gc_now_ns() - cycle.start_ns;
      GC_get_prof_stats_unsafe(&ps, sizeof ps);
      cycle.heap_after = mapped_heap(&ps);
      cycle.live_bytes = (uint64_t)(ps.heapsize_full - ps.free_bytes_full);
      asthra__gc_stats_record(&cycle);
      break;
    default:
      break;
  }
}

static void GC_CALLBACK on_thread_event(GC_EventType ev, void *thread) {
  (void)thread;
  if (ev == GC_EVENT_THREAD_SUSPENDED) cycle.threads++;
}

static void GC_CALLBACK on_heap_resize(GC_word new_size) {
  asthra__gc_stats_heap((uint64_t)new_size);
}

/* ---- failure paths ------------------------------------------------------- */

static void *GC_CALLBACK on_out_of_memory(size_t bytes) {
  if (config.max_heap != 0) asthra_panic_cstr(max_heap_message, asthra__alloc_site);
  char buf[96];
  snprintf(buf, sizeof buf, "out of memory: could not allocate %zu bytes",
           bytes);
  asthra_panic_cstr(buf, asthra__alloc_site);
}

static void GC_CALLBACK on_warning(char *msg, GC_word arg) {
  if (!config.trace) return;
  char fmt[256], buf[320];
  snprintf(fmt, sizeof fmt, "asthra gc: %s", msg);
  int n = snprintf(buf, sizeof buf, fmt, (unsigned long)arg);
  if (n > 0) asthra__write_all(STDERR_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void GC_CALLBACK on_abort(const char *msg) {
  if (msg == NULL) return; /* Boehm is about to exit(1) normally */
  asthra__panic_enter();
  asthra__flush_stdout(true);
  char buf[320];
  int n = snprintf(buf, sizeof buf, "panic: fatal error in the garbage collector: %s\n", msg);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
  asthra__die(buf, (size_t)n);
}

/* ---- pinned ranges (the shared table, under the allocator lock) ------- */

static GC_push_other_roots_proc previous_push_other_roots;

typedef struct pin_request {
  uintptr_t start;
  size_t len;
  bool ok;
} pin_request;

static void *GC_CALLBACK pin_locked(void *arg) {
  pin_request *rq = (pin_request *)arg;
  rq->ok = asthra__pins_put(rq->start, rq->len);
  return NULL;
}

static void *GC_CALLBACK unpin_locked(void *arg) {
  asthra__pins_remove(*(uintptr_t *)arg);
  return NULL;
}

static void push_range(uintptr_t start, size_t len, void *ctx) {
  (void)ctx;
  GC_push_all((void *)start, (void *)(start + len));
}

static void GC_CALLBACK push_pinned_roots(void) {
  asthra__pins_each(push_range, NULL);
  if (previous_push_other_roots != NULL) previous_push_other_roots();
}

void asthra_pin(void *p, size_t n) {
  if (p == NULL) return;
  pin_request rq = {(uintptr_t)p, n, false};
  GC_call_with_alloc_lock(pin_locked, &rq);
  if (!rq.ok) asthra_panic_cstr("out of memory: pinned-range table", NULL);
}

void asthra_unpin(void *p) {
  if (p == NULL) return;
  uintptr_t key = (uintptr_t)p;
  GC_call_with_alloc_lock(unpin_locked, &key);
}

/* ---- start-up -------------------------------------------------------- */

void asthra__gc_init(const asthra__gc_config *cfg) {
  config = *cfg;
  asthra__gc_stats_start(cfg);
  if (config.max_heap != 0) {
    snprintf(max_heap_message, sizeof max_heap_message,
             "out of memory: heap limit ASTHRA_GC_MAX_HEAP=%s reached",
             config.max_heap_text != NULL ? config.max_heap_text : "?");
  }

  GC_set_warn_proc(on_warning);
  GC_set_all_interior_pointers(1);
  GC_set_markers_count(1);
  GC_set_handle_fork(1);
  GC_INIT();
  GC_allow_register_threads();
  GC_set_abort_func(on_abort);
  GC_set_oom_fn(on_out_of_memory);

  if (config.automatic) {
    unsigned divisor = (200 + config.percent / 2) / config.percent;
    GC_set_free_space_divisor(divisor < 1 ? 1 : divisor);
  } else {
    GC_set_disable_automatic_collection(1);
  }
  if (config.max_heap != 0) {
    GC_word limit = (GC_word)config.max_heap;
    GC_set_max_heap_size(limit);
  }

  previous_push_other_roots = GC_get_push_other_roots();
  GC_set_push_other_roots(push_pinned_roots);
  GC_set_on_heap_resize(on_heap_resize);
  GC_set_on_collection_event(on_collection_event);
  GC_set_on_thread_event(on_thread_event);
  asthra__gc_stats_heap((uint64_t)GC_get_heap_size());
}

/* Whether this thread was registered by asthra__gc_register_thread (and so
 * must be unregistered by it); threads Boehm already knows (the main
 * thread) are left alone. */
static _Thread_local bool registered_here;

void asthra__gc_register_thread(void) {
  struct GC_stack_base sb;
  if (GC_get_stack_base(&sb) == GC_SUCCESS &&
      GC_register_my_thread(&sb) == GC_SUCCESS) {
    registered_here = true;
  }
}

void asthra__gc_unregister_thread(void) {
  if (!registered_here) return;
  registered_here = false;
  GC_unregister_my_thread();
}

/* ---- allocation ---------------------------------------------------------- */

void *asthra_gc_alloc(size_t n) {
  void *p = GC_MALLOC(n);
  if (p == NULL) on_out_of_memory(n);
  return p; /* Boehm clears pointer-bearing objects */
}

void *asthra__gc_alloc_noscan_raw(size_t n) {
  void *p = GC_MALLOC_ATOMIC(n);
  if (p == NULL) on_out_of_memory(n);
  return p;
}

void *asthra_gc_alloc_noscan(size_t n) {
  void *p = asthra__gc_alloc_noscan_raw(n);
  memset(p, 0, n);
  return p;
}

void asthra_gc_collect(void) { GC_gcollect(); }

bool asthra__gc_owns(const void *p) { return GC_base((void *)p) != NULL; }

void *asthra__gc_alloc_typed_slow(size_t n, uintptr_t layout) {
  (void)layout;
  return asthra_gc_alloc(n);
}

/* ---- statistics ------------------------------------------------------ */

static void *GC_CALLBACK snapshot_locked(void *arg) {
  asthra_gc_stats *out = (asthra_gc_stats *)arg;
  struct GC_prof_stats_s ps;
  GC_get_prof_stats_unsafe(&ps, sizeof ps);
  out->heap_bytes = mapped_heap(&ps);
  out->allocated_bytes =
      (uint64_t)ps.allocd_bytes_before_gc + (uint64_t)ps.bytes_allocd_since_gc;
  asthra__gc_stats_fill(out);
  return NULL;
}

asthra_gc_stats asthra_gc_get_stats(void) {
  asthra_gc_stats s;
  memset(&s, 0, sizeof s);
  GC_call_with_alloc_lock(snapshot_locked, &s);
  return s;
}
