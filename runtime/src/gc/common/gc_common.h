/*
 * gc_common.h: what both collectors share (statistics, the pin table).
 *
 * The runtime links exactly one collector: gc/own/ (libasthra_rt) or
 * gc/boehm/ (libasthra_rt_boehm). Both report collections the same way so
 * that ASTHRA_GCTRACE, ASTHRA_GCSTATS, gc_stats() and bench/run see one
 * format whichever is underneath; both keep pinned ranges in the same
 * table. Neither file here locks: each collector calls them under its own
 * lock (Boehm's allocator lock, or the own collector's gc lock).
 */
#ifndef ASTHRA_GC_COMMON_H
#define ASTHRA_GC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

uint64_t asthra__gc_now_ns(void);

/* ---- statistics ---------------------------------------------------- */

/* One finished collection, as the collector measured it. */
typedef struct asthra__gc_cycle {
  uint64_t start_ns;     /* monotonic clock when the pause began */
  uint64_t pause_ns;     /* world stopped (or the allocating thread held) */
  uint64_t mark_ns;      /* marking, inside the pause */
  uint64_t sweep_ns;     /* sweeping done inside the pause */
  uint64_t heap_before;  /* mapped heap bytes */
  uint64_t heap_after;
  uint64_t live_bytes;   /* after marking */
  unsigned threads;      /* threads stopped, the collecting one included */
  const char *kind;      /* "full", "minor", "minor, full start" (a minor
                            collection that starts a concurrent mark) or
                            "full end" (its final pause); NULL: the
                            collector has one kind */
} asthra__gc_cycle;

void asthra__gc_stats_start(const asthra__gc_config *cfg);
/* Records a collection; prints the ASTHRA_GCTRACE line when enabled. */
void asthra__gc_stats_record(const asthra__gc_cycle *c);
/* Notes the mapped heap size (for the peak). */
void asthra__gc_stats_heap(uint64_t heap_bytes);
/* Fills every field of `out` the statistics know (collections, pauses,
 * mark/sweep, live, peak, elapsed); the caller fills heap and allocated. */
void asthra__gc_stats_fill(asthra_gc_stats *out);

/* ---- pinned ranges --------------------------------------------------- */

/* Returns false when the table cannot grow (out of memory). */
bool asthra__pins_put(uintptr_t start, size_t len);
void asthra__pins_remove(uintptr_t start);
/* Calls visit(start, len, ctx) for every range. */
void asthra__pins_each(void (*visit)(uintptr_t, size_t, void *), void *ctx);

#endif
