/*
 * gc.c: the garbage-collector interface, implemented on Boehm's libgc.
 *
 * This file is the only place that knows the collector is Boehm's (nothing
 * else includes gc.h); a later issue replaces it with our own collector,
 * which must provide the same things (docs/design/runtime.md, "The GC
 * interface"):
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
 * Pauses also go into a histogram (below) for p50/p99. The heap-resize hook
 * tracks the peak. Live bytes after a collection are heap minus free
 * blocks: bytes of blocks holding at least one reachable object, an upper
 * bound on the true live set. All stats fields are written under the
 * allocator lock and read under it (GC_call_with_alloc_lock), so a snapshot
 * is consistent. With ASTHRA_GCTRACE a line per collection goes to stderr
 * from the END event, via write(2) (no allocation under the lock):
 *
 *   asthra gc 7 at 0.532104 s: heap 12.0 MiB -> 12.0 MiB, live 5.1 MiB,
 *     pause 1.234 ms (mark 1.100 ms, sweep 0.100 ms), 1 thread
 *
 * (one line): sequence number, time since start-up, mapped heap before and
 * after, live after, pause with its mark and sweep parts, threads stopped
 * (the collecting one included).
 *
 * Pinned ranges (asthra_pin). Rather than GC_add_roots, whose root table is
 * small and fixed (Boehm aborts past a couple of thousand ranges) and
 * whose removal semantics are "segments fully inside", the pin table is our
 * own hash map {start -> length}, and a push-other-roots hook (chained to
 * Boehm's, which pushes thread stacks) pushes every range conservatively at
 * each collection. The table is mutated only under Boehm's allocator lock,
 * which the hook runs under, so no second lock can deadlock with a stopped
 * world. Pinning a start twice stores one entry (the later length), so one
 * unpin removes it.
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

#include "internal.h"

/* ---- settings and statistics (guarded by Boehm's allocator lock) ------- */

static asthra__gc_config config;
static char max_heap_message[256];

static struct {
  uint64_t init_ns;                       /* monotonic clock at start-up */
  uint64_t collections;
  uint64_t total_pause_ns, max_pause_ns, min_pause_ns;
  uint64_t total_mark_ns, total_sweep_ns;
  uint64_t peak_heap;  /* bytes */
  uint64_t live_bytes; /* after the last collection */
  /* the collection in progress */
  uint64_t start_ns, mark_start_ns, mark_ns, sweep_start_ns, sweep_ns;
  uint64_t heap_before;
  unsigned suspended_threads;
} st;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- pause histogram (guarded by the allocator lock) -------------------
 *
 * Bounded memory for any number of collections: log-linear buckets, as in
 * HdrHistogram. Pauses below 64 ns have a bucket each; above, every power
 * of two [2^e, 2^(e+1)) is split into 32 equal buckets, so a bucket's
 * midpoint is within 1/64 (1.6%) of every value in it. 1,920 buckets cover
 * all of uint64_t (15 KiB). A percentile is the nearest rank (the smallest
 * recorded value with at least q of the pauses at or below it), reported as
 * its bucket's midpoint clamped to [min, max] pause, so one collection's
 * p50 and p99 equal its pause to within rounding. */
#define HIST_SUB_BITS 5u
#define HIST_SUB (1u << HIST_SUB_BITS)  /* buckets per power of two */
#define HIST_LINEAR (2u * HIST_SUB)     /* values below are exact */
#define HIST_BUCKETS (HIST_LINEAR + (64u - 6u) * HIST_SUB)

static uint64_t pause_hist[HIST_BUCKETS];

static unsigned hist_bucket(uint64_t v) {
  if (v < HIST_LINEAR) return (unsigned)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 6 */
  unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
  return HIST_LINEAR + (e - 6u) * HIST_SUB + sub;
}

/* The midpoint of bucket b. */
static uint64_t hist_value(unsigned b) {
  if (b < HIST_LINEAR) return b;
  unsigned e = (b - HIST_LINEAR) / HIST_SUB + 6u;
  unsigned sub = (b - HIST_LINEAR) % HIST_SUB;
  uint64_t width = (uint64_t)1 << (e - HIST_SUB_BITS);
  return (uint64_t)(HIST_SUB + sub) * width + width / 2;
}

/* The q-quantile (q = per_mille / 1000) of the recorded pauses; 0 if none. */
static uint64_t hist_quantile(unsigned per_mille) {
  uint64_t n = st.collections;
  if (n == 0) return 0;
  uint64_t rank = (n * per_mille + 999) / 1000; /* ceil(q * n), >= 1 */
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (unsigned b = 0; b < HIST_BUCKETS; b++) {
    seen += pause_hist[b];
    if (seen >= rank) {
      uint64_t v = hist_value(b);
      if (v < st.min_pause_ns) v = st.min_pause_ns;
      if (v > st.max_pause_ns) v = st.max_pause_ns;
      return v;
    }
  }
  return st.max_pause_ns;
}

static uint64_t mapped_heap(const struct GC_prof_stats_s *ps) {
  return (uint64_t)(ps->heapsize_full - ps->unmapped_bytes);
}

/* snprintf at buf+n that never runs past cap; returns the new length. */
static size_t appendf(char *buf, size_t n, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t appendf(char *buf, size_t n, size_t cap, const char *fmt, ...) {
  if (n >= cap) return cap;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + n, cap - n, fmt, ap);
  va_end(ap);
  if (w < 0) return n;
  return n + (size_t)w >= cap ? cap - 1 : n + (size_t)w;
}

/* Appends "12.3 MiB"-style text. */
static size_t put_bytes(char *buf, size_t n, size_t cap, uint64_t b) {
  if (b < 10 * 1024) return appendf(buf, n, cap, "%" PRIu64 " B", b);
  if (b < (uint64_t)10 << 20) {
    return appendf(buf, n, cap, "%.1f KiB", (double)b / 1024);
  }
  if (b < (uint64_t)10 << 30) {
    return appendf(buf, n, cap, "%.1f MiB", (double)b / (1024.0 * 1024));
  }
  return appendf(buf, n, cap, "%.2f GiB", (double)b / (1024.0 * 1024 * 1024));
}

static void trace_line(uint64_t heap_after, uint64_t pause_ns) {
  char buf[256];
  size_t n = 0, cap = sizeof buf;
  n = appendf(buf, n, cap, "asthra gc %" PRIu64 " at %.6f s: heap ",
              st.collections, (double)(st.start_ns - st.init_ns) / 1e9);
  n = put_bytes(buf, n, cap, st.heap_before);
  n = appendf(buf, n, cap, " -> ");
  n = put_bytes(buf, n, cap, heap_after);
  n = appendf(buf, n, cap, ", live ");
  n = put_bytes(buf, n, cap, st.live_bytes);
  n = appendf(buf, n, cap,
              ", pause %.3f ms (mark %.3f ms, sweep %.3f ms), %u thread%s\n",
              (double)pause_ns / 1e6, (double)st.mark_ns / 1e6,
              (double)st.sweep_ns / 1e6, st.suspended_threads + 1,
              st.suspended_threads == 0 ? "" : "s");
  asthra__write_all(STDERR_FILENO, buf, n);
}

/* Runs with the allocator lock held (world possibly stopped). */
static void GC_CALLBACK on_collection_event(GC_EventType ev) {
  struct GC_prof_stats_s ps;
  switch (ev) {
    case GC_EVENT_START:
      st.start_ns = now_ns();
      st.mark_ns = st.sweep_ns = 0;
      st.suspended_threads = 0;
      if (config.trace) {
        GC_get_prof_stats_unsafe(&ps, sizeof ps);
        st.heap_before = mapped_heap(&ps);
      }
      break;
    case GC_EVENT_MARK_START:
      st.mark_start_ns = now_ns();
      break;
    case GC_EVENT_MARK_END:
      st.mark_ns = now_ns() - st.mark_start_ns;
      break;
    case GC_EVENT_RECLAIM_START:
      st.sweep_start_ns = now_ns();
      break;
    case GC_EVENT_RECLAIM_END:
      st.sweep_ns = now_ns() - st.sweep_start_ns;
      break;
    case GC_EVENT_END: {
      uint64_t pause = now_ns() - st.start_ns;
      st.collections++;
      st.total_pause_ns += pause;
      st.total_mark_ns += st.mark_ns;
      st.total_sweep_ns += st.sweep_ns;
      if (pause > st.max_pause_ns) st.max_pause_ns = pause;
      if (st.collections == 1 || pause < st.min_pause_ns) st.min_pause_ns = pause;
      pause_hist[hist_bucket(pause)]++;
      GC_get_prof_stats_unsafe(&ps, sizeof ps);
      uint64_t heap = mapped_heap(&ps);
      st.live_bytes = (uint64_t)(ps.heapsize_full - ps.free_bytes_full);
      if (heap > st.peak_heap) st.peak_heap = heap;
      if (config.trace) trace_line(heap, pause);
      break;
    }
    default:
      break;
  }
}

static void GC_CALLBACK on_thread_event(GC_EventType ev, void *thread) {
  (void)thread;
  if (ev == GC_EVENT_THREAD_SUSPENDED) st.suspended_threads++;
}

static void GC_CALLBACK on_heap_resize(GC_word new_size) {
  if ((uint64_t)new_size > st.peak_heap) st.peak_heap = (uint64_t)new_size;
}

/* ---- failure paths ------------------------------------------------------- */

static void *GC_CALLBACK on_out_of_memory(size_t bytes) {
  if (config.max_heap != 0) asthra_panic_cstr(max_heap_message, NULL);
  char buf[96];
  snprintf(buf, sizeof buf, "out of memory: could not allocate %zu bytes",
           bytes);
  asthra_panic_cstr(buf, NULL);
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

/* ---- pinned ranges ------------------------------------------------------- */

typedef struct pin_entry {
  uintptr_t start; /* 0 = empty slot */
  size_t len;
} pin_entry;

/* Open addressing, linear probing; guarded by Boehm's allocator lock. */
static pin_entry *pins;
static size_t pins_cap, pins_count;
static GC_push_other_roots_proc previous_push_other_roots;

static size_t pin_hash(uintptr_t p, size_t cap) {
  uint64_t h = (uint64_t)p * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 17) & (cap - 1);
}

static size_t pin_probe(const pin_entry *t, size_t cap, uintptr_t p) {
  size_t i = pin_hash(p, cap);
  while (t[i].start != 0 && t[i].start != p) i = (i + 1) & (cap - 1);
  return i;
}

typedef struct pin_request {
  uintptr_t start;
  size_t len;
  bool ok;
} pin_request;

static void *GC_CALLBACK pin_locked(void *arg) {
  pin_request *rq = (pin_request *)arg;
  if ((pins_count + 1) * 2 > pins_cap) {
    size_t cap = pins_cap ? pins_cap * 2 : 64;
    pin_entry *t = (pin_entry *)calloc(cap, sizeof *t);
    if (t == NULL) return NULL; /* rq->ok stays false */
    for (size_t i = 0; i < pins_cap; i++) {
      if (pins[i].start != 0) t[pin_probe(t, cap, pins[i].start)] = pins[i];
    }
    free(pins);
    pins = t;
    pins_cap = cap;
  }
  size_t i = pin_probe(pins, pins_cap, rq->start);
  if (pins[i].start == 0) pins_count++;
  pins[i].start = rq->start;
  pins[i].len = rq->len;
  rq->ok = true;
  return NULL;
}

static void *GC_CALLBACK unpin_locked(void *arg) {
  uintptr_t p = *(uintptr_t *)arg;
  if (pins_cap == 0) return NULL;
  size_t mask = pins_cap - 1;
  size_t i = pin_probe(pins, pins_cap, p);
  if (pins[i].start == 0) return NULL;
  pins[i].start = 0;
  pins_count--;
  /* Backward-shift deletion. */
  for (size_t j = (i + 1) & mask; pins[j].start != 0; j = (j + 1) & mask) {
    size_t home = pin_hash(pins[j].start, pins_cap);
    bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!between) {
      pins[i] = pins[j];
      pins[j].start = 0;
      i = j;
    }
  }
  return NULL;
}

static void GC_CALLBACK push_pinned_roots(void) {
  for (size_t i = 0; i < pins_cap; i++) {
    if (pins[i].start != 0 && pins[i].len > 0) {
      GC_push_all((void *)pins[i].start, (void *)(pins[i].start + pins[i].len));
    }
  }
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
  st.init_ns = now_ns();
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
  st.peak_heap = (uint64_t)GC_get_heap_size();
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

/* ---- statistics ------------------------------------------------------ */

static void *GC_CALLBACK snapshot_locked(void *arg) {
  asthra_gc_stats *out = (asthra_gc_stats *)arg;
  struct GC_prof_stats_s ps;
  GC_get_prof_stats_unsafe(&ps, sizeof ps);
  out->collections = st.collections;
  out->heap_bytes = mapped_heap(&ps);
  out->live_bytes = st.live_bytes;
  out->allocated_bytes =
      (uint64_t)ps.allocd_bytes_before_gc + (uint64_t)ps.bytes_allocd_since_gc;
  if (out->heap_bytes > st.peak_heap) st.peak_heap = out->heap_bytes;
  out->peak_heap_bytes = st.peak_heap;
  out->total_pause_ns = st.total_pause_ns;
  out->max_pause_ns = st.max_pause_ns;
  out->p50_pause_ns = hist_quantile(500);
  out->p99_pause_ns = hist_quantile(990);
  out->total_mark_ns = st.total_mark_ns;
  out->total_sweep_ns = st.total_sweep_ns;
  out->elapsed_ns = now_ns() - st.init_ns;
  return NULL;
}

asthra_gc_stats asthra_gc_get_stats(void) {
  asthra_gc_stats s;
  memset(&s, 0, sizeof s);
  GC_call_with_alloc_lock(snapshot_locked, &s);
  return s;
}

/* The ASTHRA_GCSTATS summary, four lines on stderr:
 *
 *   asthra gc stats: 42 collections, pause total 12.345 ms, max 1.234 ms,
 *     p50 0.250 ms, p99 1.200 ms                      (one line)
 *   asthra gc stats: mark 10.000 ms, sweep 2.000 ms (inside pauses)
 *   asthra gc stats: allocated 1.20 GiB, peak heap 12.0 MiB, heap 11.0 MiB,
 *     live 5.0 MiB                                     (one line)
 *   asthra gc stats: wall 1.234 s, GC pauses 1.0% of wall time
 *
 * bench/run parses these lines; change both together. */
void asthra__gc_print_summary(void) {
  asthra_gc_stats s = asthra_gc_get_stats();
  char buf[768];
  size_t n = 0, cap = sizeof buf;
  n = appendf(buf, n, cap,
              "asthra gc stats: %" PRIu64 " collection%s, pause total %.3f ms, "
              "max %.3f ms, p50 %.3f ms, p99 %.3f ms\n",
              s.collections, s.collections == 1 ? "" : "s",
              (double)s.total_pause_ns / 1e6, (double)s.max_pause_ns / 1e6,
              (double)s.p50_pause_ns / 1e6, (double)s.p99_pause_ns / 1e6);
  n = appendf(buf, n, cap,
              "asthra gc stats: mark %.3f ms, sweep %.3f ms (inside pauses)\n",
              (double)s.total_mark_ns / 1e6, (double)s.total_sweep_ns / 1e6);
  n = appendf(buf, n, cap, "asthra gc stats: allocated ");
  n = put_bytes(buf, n, cap, s.allocated_bytes);
  n = appendf(buf, n, cap, ", peak heap ");
  n = put_bytes(buf, n, cap, s.peak_heap_bytes);
  n = appendf(buf, n, cap, ", heap ");
  n = put_bytes(buf, n, cap, s.heap_bytes);
  n = appendf(buf, n, cap, ", live ");
  n = put_bytes(buf, n, cap, s.live_bytes);
  n = appendf(buf, n, cap, "\n");
  double share = s.elapsed_ns == 0 ? 0.0
                                   : 100.0 * (double)s.total_pause_ns /
                                         (double)s.elapsed_ns;
  n = appendf(buf, n, cap,
              "asthra gc stats: wall %.3f s, GC pauses %.1f%% of wall time\n",
              (double)s.elapsed_ns / 1e9, share);
  fflush(stderr);
  asthra__write_all(STDERR_FILENO, buf, n);
}
