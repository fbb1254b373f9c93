/*
 * stats.c: collection statistics shared by both collectors.
 *
 * A collector calls asthra__gc_stats_record once per finished collection;
 * everything here is plain arithmetic on `st` under stats_lock (a leaf
 * lock: the own collector records after it has restarted the world and
 * let go of its own lock, so a slow trace write holds up no thread). Pauses go into a log-linear histogram (as
 * in HdrHistogram) for p50/p99 in bounded memory: pauses below 64 ns have a
 * bucket each; above, every power of two [2^e, 2^(e+1)) is split into 32
 * equal buckets, so a bucket's midpoint is within 1/64 (1.6%) of every
 * value in it; 1,920 buckets cover all of uint64_t (15 KiB). A percentile
 * is the nearest rank (the smallest recorded value with at least q of the
 * pauses at or below it), reported as its bucket's midpoint clamped to
 * [min, max] pause, so one collection's p50 and p99 equal its pause to
 * within rounding.
 *
 * With ASTHRA_GCTRACE a line per collection goes to stderr via write(2)
 * (no allocation, no stdio lock):
 *
 *   asthra gc 7 at 0.532104 s: heap 12.0 MiB -> 12.0 MiB, live 5.1 MiB,
 *     pause 1.234 ms (mark 1.100 ms, sweep 0.100 ms), 1 thread
 *
 * (one line): sequence number, time since start-up, mapped heap before and
 * after, live after, pause with its mark and sweep parts, threads stopped
 * (the collecting one included). The ASTHRA_GCSTATS summary is four lines
 * that bench/run parses (see asthra__gc_print_summary); change both
 * together.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gc/common/gc_common.h"

uint64_t asthra__gc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define HIST_SUB_BITS 5u
#define HIST_SUB (1u << HIST_SUB_BITS)  /* buckets per power of two */
#define HIST_LINEAR (2u * HIST_SUB)     /* values below are exact */
#define HIST_BUCKETS (HIST_LINEAR + (64u - 6u) * HIST_SUB)

static bool trace;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  uint64_t init_ns;
  uint64_t collections;
  uint64_t total_pause_ns, max_pause_ns, min_pause_ns;
  uint64_t total_mark_ns, total_sweep_ns;
  uint64_t peak_heap;
  uint64_t live_bytes;
  uint64_t hist[HIST_BUCKETS];
} st;

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
    seen += st.hist[b];
    if (seen >= rank) {
      uint64_t v = hist_value(b);
      if (v < st.min_pause_ns) v = st.min_pause_ns;
      if (v > st.max_pause_ns) v = st.max_pause_ns;
      return v;
    }
  }
  return st.max_pause_ns;
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

void asthra__gc_stats_start(const asthra__gc_config *cfg) {
  trace = cfg->trace;
  st.init_ns = asthra__gc_now_ns();
}

static void note_heap(uint64_t heap_bytes) {
  if (heap_bytes > st.peak_heap) st.peak_heap = heap_bytes;
}

void asthra__gc_stats_heap(uint64_t heap_bytes) {
  pthread_mutex_lock(&stats_lock);
  note_heap(heap_bytes);
  pthread_mutex_unlock(&stats_lock);
}

static void trace_line(const asthra__gc_cycle *c) {
  char buf[256];
  size_t n = 0, cap = sizeof buf;
  n = appendf(buf, n, cap, "asthra gc %" PRIu64 " at %.6f s: heap ",
              st.collections, (double)(c->start_ns - st.init_ns) / 1e9);
  n = put_bytes(buf, n, cap, c->heap_before);
  n = appendf(buf, n, cap, " -> ");
  n = put_bytes(buf, n, cap, c->heap_after);
  n = appendf(buf, n, cap, ", live ");
  n = put_bytes(buf, n, cap, c->live_bytes);
  n = appendf(buf, n, cap,
              ", pause %.3f ms (mark %.3f ms, sweep %.3f ms), %u thread%s",
              (double)c->pause_ns / 1e6, (double)c->mark_ns / 1e6,
              (double)c->sweep_ns / 1e6, c->threads,
              c->threads == 1 ? "" : "s");
  if (c->kind != NULL) n = appendf(buf, n, cap, ", %s", c->kind);
  n = appendf(buf, n, cap, "\n");
  asthra__write_all(STDERR_FILENO, buf, n);
}

void asthra__gc_stats_record(const asthra__gc_cycle *c) {
  pthread_mutex_lock(&stats_lock);
  st.collections++;
  st.total_pause_ns += c->pause_ns;
  st.total_mark_ns += c->mark_ns;
  st.total_sweep_ns += c->sweep_ns;
  if (c->pause_ns > st.max_pause_ns) st.max_pause_ns = c->pause_ns;
  if (st.collections == 1 || c->pause_ns < st.min_pause_ns) {
    st.min_pause_ns = c->pause_ns;
  }
  st.hist[hist_bucket(c->pause_ns)]++;
  st.live_bytes = c->live_bytes;
  note_heap(c->heap_before);
  note_heap(c->heap_after);
  if (trace) trace_line(c);
  pthread_mutex_unlock(&stats_lock);
}

void asthra__gc_stats_fill(asthra_gc_stats *out) {
  pthread_mutex_lock(&stats_lock);
  out->collections = st.collections;
  out->live_bytes = st.live_bytes;
  note_heap(out->heap_bytes);
  out->peak_heap_bytes = st.peak_heap;
  out->total_pause_ns = st.total_pause_ns;
  out->max_pause_ns = st.max_pause_ns;
  out->p50_pause_ns = hist_quantile(500);
  out->p99_pause_ns = hist_quantile(990);
  out->total_mark_ns = st.total_mark_ns;
  out->total_sweep_ns = st.total_sweep_ns;
  out->elapsed_ns = asthra__gc_now_ns() - st.init_ns;
  pthread_mutex_unlock(&stats_lock);
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
