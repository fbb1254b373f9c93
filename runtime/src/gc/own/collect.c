/*
 * collect.c: one collection from start to end, the heap verifier,
 * statistics and the public entry points.
 *
 * A collection (gc_collect) runs on the thread that asked for it, holding
 * gc_lock, with the world stopped from step 1 to step 5. There is no sweep
 * phase: a span's unmarked slots are its free slots (slots.c). A
 * collection is full or minor (docs/design/gc.md, "Generations"). A full
 * one clears every mark first. A minor one keeps them: the marked objects
 * are the old ones, which survived an earlier collection, and whatever
 * they point to is marked too, except through words the program wrote
 * since (the write barrier's cards); so it marks from the roots and those
 * words, and traces only what was allocated since and is still reachable.
 * Explicit and heap-limit collections are full, so is every 8th stress
 * collection, and pacing (alloc.c) asks for one when old objects fill the
 * heap goal.
 *   1. stop the world (world.c); empty every thread's free lists;
 *   2. a full collection forgets the span lists and clears every mark;
 *   3. mark (mark.c, in parallel); clear the cards;
 *   4. account every span (full) or only those taken since the last
 *      collection (minor; the others' marks did not change): an unmarked
 *      large object, and in a full collection a small span with no marked
 *      slot that no thread took during the last cycle, go back to the page
 *      heap; every other small span with a free slot joins its class's
 *      list (an empty span the class was using stays with it: the class
 *      will want it again, and the page heap round trip cost 15% of
 *      binary-trees); the marked bytes change by the slots newly marked;
 *   5. return pages free for a whole cycle to the OS; set the next trigger;
 *      restart the world, letting go of gc_lock; record the statistics.
 * With ASTHRA_GC_VERIFY the heap is checked before step 2 (page table and
 * page heap shape; every slot a thread cache holds is free and still
 * poisoned) and after step 3 (every pointer word of every marked scanned
 * object leads to a marked slot: nothing reachable can be reused), and step
 * 4 poisons every free slot. A failed check is a panic naming it.
 *
 * Concurrent mode (ASTHRA_GC_CONCURRENT; gc.md, "Concurrent mode") splits
 * a full collection over three kinds of pause: a minor collection that
 * starts the mark at its end (the marks become the snapshot, the helpers
 * trace from the roots once the world runs), minor collections while it
 * runs (collect_young: young objects only, cards kept), and the final
 * pause (finish_concurrent_mark: the rest of the marking, then step 4 for
 * every span), run by the last helper to finish or by a thread that pacing
 * or an explicit collection sends here first. While the mark runs the
 * verifier checks after each minor collection that the young objects'
 * pointers lead to marked objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gc/own/heap.h"

gc_settings gc_config;
uint64_t gc_expected_mark_work;
bool gc_debug_alloc;
uint64_t gc_epoch;

static char max_heap_message[256];

_Noreturn void gc_out_of_memory(size_t bytes) {
  if (gc_config.cfg.max_heap != 0) asthra_panic_cstr(max_heap_message, asthra__alloc_site);
  char buf[96];
  snprintf(buf, sizeof buf, "out of memory: could not allocate %zu bytes", bytes);
  asthra_panic_cstr(buf, asthra__alloc_site);
}

static _Noreturn void verify_failed(const char *what) {
  char buf[200];
  snprintf(buf, sizeof buf, "heap verification failed (ASTHRA_GC_VERIFY): %s", what);
  asthra_panic_cstr(buf, NULL);
}

/* ---- the verifier ---------------------------------------------------- */

/* Before marking: every slot a thread cache holds is free: unmarked since
 * the last collection and, under the verifier, still poisoned. */
static void check_cache(const asthra__gc_cache *k) {
  const span *s = (const span *)k->span;
  uint64_t group = k->bits | k->held;
  if (group == 0) return;
  if (s == NULL || gc_span_of(k->base) != s) verify_failed("a thread cache's group is not in its span");
  for (uint64_t b = group; b != 0; b &= b - 1) {
    uintptr_t slot = k->base + (uintptr_t)__builtin_ctzll(b) * s->obj_size;
    uint32_t i = gc_slot_index(s, slot);
    if (i >= s->nobjs || gc_is_marked(s, i)) verify_failed("a thread cache holds a slot that is not free");
    if (!gc_poison_intact((const uintptr_t *)slot, s->obj_size)) {
      verify_failed("a freed object was written to after it died");
    }
  }
}

static void check_span_before(span *s, void *ctx) {
  (void)ctx;
  size_t first = (s->start - gc_arena_lo) >> GC_PAGE_SHIFT;
  for (size_t i = 0; i < s->npages; i++) {
    if (gc_page_table[first + i] != s) verify_failed("the page table does not map a span's page to it");
  }
}

static void verify_before_mark(void) {
  gc_each_span(check_span_before, NULL);
  for (gc_thread *t = gc_threads; t != NULL; t = t->next) {
    for (int k = 0; k < 2; k++) {
      for (unsigned c = 0; c < GC_NUM_CLASSES; c++) check_cache(&t->m->cache[k][c]);
    }
  }
  /* No two free runs side by side, no gap. */
  uintptr_t a = gc_arena_lo, end = gc_arena_lo + gc_arena_used;
  bool prev_free = false;
  while (a < end) {
    span *s = gc_page_table[(a - gc_arena_lo) >> GC_PAGE_SHIFT];
    if (s == NULL || s->start != a) verify_failed("the page table has a gap");
    if (s->state == SPAN_FREE && prev_free) verify_failed("two free runs are adjacent");
    prev_free = s->state == SPAN_FREE;
    a = s->start + (uintptr_t)s->npages * GC_PAGE_SIZE;
  }
}

static void check_pointer_word(uintptr_t *word, void *ctx) {
  (void)ctx;
  if (!gc_target_marked(*word)) verify_failed("a reachable object was not marked");
}

/* Before a minor collection, the write barrier's invariant: a marked (old)
 * object's pointer word leads to a marked object, or lies on a set card. */
static void check_old_word(uintptr_t *word, void *ctx) {
  (void)ctx;
  if (asthra__gc_cards.cards[((uintptr_t)word - gc_arena_lo) >> GC_CARD_SHIFT] != 0) return;
  if (!gc_target_marked(*word)) {
    verify_failed("an old object points to a new one through a store the write barrier did not record");
  }
}

/* Calls check on every pointer word of every marked object of s; with
 * `young_only`, of the marked objects outside the running concurrent
 * mark's snapshot. */
static void each_marked_pointer_word(span *s, bool young_only, void (*check)(uintptr_t *, void *)) {
  if (s->kind != KIND_SCAN) return;
  for (uint32_t i = 0; i < s->nobjs; i++) {
    if (gc_is_marked(s, i) && !(young_only && gc_in_snapshot(s, i))) {
      gc_each_pointer_word(s, s->start + (uintptr_t)i * s->obj_size, check, NULL);
    }
  }
}

static void check_span_after(span *s, void *ctx) {
  (void)ctx;
  each_marked_pointer_word(s, false, check_pointer_word);
}

/* While a concurrent mark runs only the young objects are closed under
 * "points to": the older ones may not have been reached yet. */
static void check_young_after(span *s, void *ctx) {
  (void)ctx;
  each_marked_pointer_word(s, true, check_pointer_word);
}

static void check_span_old(span *s, void *ctx) {
  (void)ctx;
  each_marked_pointer_word(s, false, check_old_word);
}

/* ---- one collection ------------------------------------------------- */

static void reset_span(span *s, void *ctx) {
  (void)ctx;
  memset(s->marks, 0, s->nobjs); /* bytes past nobjs are never set */
  s->nmarked = 0;
  s->next = s->prev = NULL;
}

/* A concurrent mark starts right after a collection's accounting, when
 * the marks are exactly the slots in use: they become the snapshot, and
 * the new mark starts from none. The span stays on its list. */
static void snapshot_span(span *s, void *ctx) {
  (void)ctx;
  for (uint32_t g = 0; g * 64u < s->nobjs; g++) s->snapshot[g] = gc_marked_bits(s, g);
  memset(s->marks, 0, s->nobjs);
  s->nmarked = 0;
}

/* Marked bytes as of the last accounting (gc_lock): all, and in scanned
 * objects. */
static struct {
  uint64_t all, scanned;
} live;

/* Re-accounts a span after marking: its marked bytes, and where it goes.
 * An unmarked large object, and in a full collection a small span with
 * nothing marked that no thread took for a whole cycle, go back to the
 * page heap; a small span with a free slot joins its class's list (an
 * empty one too: its class was using it and will want it again, which
 * saves a round trip through the page heap). */
static void account_span(span *s, bool full) {
  uint32_t marked = 0;
  bool has_free = false;
  for (uint32_t g = 0; g * 64u < s->nobjs; g++) {
    uint64_t bits = gc_marked_bits(s, g);
    marked += (uint32_t)__builtin_popcountll(bits);
    has_free = has_free || gc_free_of_marked(s, g, bits) != 0;
  }
  if (marked == 0 && (s->state == SPAN_LARGE || (full && s->idle_cycles++ > 0))) {
    gc_pages_free(s, true);
    return;
  }
  /* Marks only grow between full collections; a full one reset nmarked. */
  if (ASTHRA_UNLIKELY(marked < s->nmarked)) {
    asthra_panic_cstr("internal error: a span lost marks in a minor collection", NULL);
  }
  uint64_t slot = s->state == SPAN_LARGE ? (uint64_t)s->npages * GC_PAGE_SIZE : s->obj_size;
  uint64_t added = (uint64_t)(marked - s->nmarked) * slot;
  s->nmarked = marked;
  live.all += added;
  if (s->kind == KIND_SCAN) live.scanned += added;
  if (s->state == SPAN_SMALL && has_free) {
    if (gc_config.verify) gc_poison_free_slots(s);
    gc_list_push(&gc_partial[s->kind][s->cls], s);
  }
}

/* Full accounting: after it no span is fresh (no concurrent mark runs). */
static void account_any_span(span *s, void *ctx) {
  (void)ctx;
  s->fresh = false;
  account_span(s, true);
}

static bool wants_full(gc_reason why) {
  static uint64_t stress_collections;
  switch (why) {
    case GC_EXPLICIT:
    case GC_HEAP_LIMIT:
      return true;
    case GC_STRESS:
      return ++stress_collections % 8 == 0;
    case GC_PACING:
      return gc_pacing_wants_full();
  }
  return true;
}

/* While it runs: the bytes marked when it started (gc_lock). */
static uint64_t marked_at_mark_start;
/* Bytes of scanned objects the last minor collection marked (gc_lock). */
static uint64_t minor_work;

/* Stops the world and empties the threads' caches (gc_lock held); leaves
 * heap_lock held. */
static void begin_pause(asthra__gc_cycle *c, const char *kind) {
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->start_ns = asthra__gc_now_ns();
  gc_save_own_context();
  c->threads = gc_stop_world() + 1;
  pthread_mutex_lock(&gc_heap_lock);
  c->heap_before = gc_heap_mapped();
  if (gc_config.verify) verify_before_mark();
  for (gc_thread *t = gc_threads; t != NULL; t = t->next) gc_flush_cache(t->m);
}

/* Restarts the world, letting go of heap_lock and gc_lock, and records
 * the pause. The pause ends when the world resumes, not when this thread
 * next gets the CPU: the threads woken may run first (on 2 cores with 4
 * busy threads that made the measured pause up to 8 ms longer). */
static void end_pause(asthra__gc_cycle *c) {
  c->heap_after = gc_heap_mapped();
  pthread_mutex_unlock(&gc_heap_lock);
  gc_start_markers_if_needed(live.scanned);
  c->pause_ns = asthra__gc_now_ns() - c->start_ns;
  gc_start_world_and_unlock();
  asthra__gc_stats_record(c);
}

/* Full accounting rebuilds the span lists. */
static void forget_lists(void) { memset(gc_partial, 0, sizeof gc_partial); }

/* A full collection starts from nothing: no marks, no lists. */
static void forget_marks(void) {
  forget_lists();
  gc_each_span(reset_span, NULL);
  live.all = live.scanned = 0;
}

/* What a pause's marking was: which spans it accounts, what the verifier
 * checks, what pacing is told. */
typedef enum marked_kind {
  MARKED_FULL,  /* every reachable object (a full collection or a final pause) */
  MARKED_MINOR, /* the young survivors, on top of the old objects' marks */
  MARKED_YOUNG, /* a minor collection's while a concurrent mark runs */
} marked_kind;

/* Steps 3 (after marking) to 5 (before the restart). */
static void account_after_mark(asthra__gc_cycle *c, marked_kind kind, uint64_t mark_start) {
  /* The final pause needs the cards written since a concurrent mark began. */
  if (kind != MARKED_YOUNG) gc_clear_cards();
  uint64_t sweep_start = asthra__gc_now_ns();
  c->mark_ns = sweep_start - mark_start;
  if (gc_config.verify) {
    gc_each_span(kind == MARKED_YOUNG ? check_young_after : check_span_after, NULL);
  }
  uint64_t scanned_before = live.scanned;
  if (kind == MARKED_FULL) {
    gc_each_span(account_any_span, NULL);
  } else {
    for (span *s = gc_taken, *next; s != NULL; s = next) {
      next = s->taken_next;
      account_span(s, false);
    }
    minor_work = live.scanned - scanned_before;
  }
  gc_taken = NULL;
  __atomic_store_n(&gc_epoch, gc_epoch + 1, __ATOMIC_RELAXED);
  uint64_t marked = kind == MARKED_YOUNG ? marked_at_mark_start + live.all : live.all;
  /* After a concurrent mark, the young objects the minor collections during
   * it kept are floating garbage as often as not (a structure that was
   * being built then, dropped since): the goal does not grow from them. */
  uint64_t settled = marked;
  if (kind == MARKED_FULL) {
    settled -= gc_young_marked_bytes < marked ? gc_young_marked_bytes : marked;
    gc_young_marked_bytes = 0;
  }
  gc_set_trigger(marked, kind == MARKED_FULL, kind == MARKED_YOUNG, settled);
  gc_pages_scavenge();
  c->sweep_ns = asthra__gc_now_ns() - sweep_start;
  c->live_bytes = marked;
}

/* Starts a concurrent mark at the end of a collection's pause (world
 * stopped, heap_lock held, every span accounted): the marks become the
 * snapshot, cards are cleared (from here they record what the program
 * writes while the helpers mark), the roots are marked and handed to the
 * helpers, which the caller wakes after the pause. */
static void start_marking_in_pause(void) {
  marked_at_mark_start = live.all;
  gc_each_span(snapshot_span, NULL);
  live.all = live.scanned = 0;
  gc_clear_cards();
  gc_mark_start_concurrent();
  gc_marking_concurrently = true;
  gc_set_trigger(marked_at_mark_start, false, true, marked_at_mark_start);
}

/* Whether a minor collection starts a concurrent mark at its end. */
typedef enum mark_start { NO_MARK, START_MARK, START_MARK_IF_DUE } mark_start;

/* A collection with the world stopped throughout (gc_lock held; lets go
 * of it). A minor one may start a concurrent mark at its end: always
 * (START_MARK), or when pacing finds the old objects filling half the
 * headroom (START_MARK_IF_DUE). */
static void collect_stopped(bool full, mark_start mark) {
  asthra__gc_cycle c;
  begin_pause(&c, full ? "full" : "minor");
  if (gc_config.verify && !full) gc_each_span(check_span_old, NULL);
  gc_expected_mark_work = full ? live.scanned : minor_work;
  if (full) forget_marks();
  uint64_t mark_start = asthra__gc_now_ns();
  gc_mark_all(!full);
  account_after_mark(&c, full ? MARKED_FULL : MARKED_MINOR, mark_start);
  bool start = mark == START_MARK || (mark == START_MARK_IF_DUE && gc_pacing_wants_full());
  if (start) {
    c.kind = "minor, full start";
    start_marking_in_pause();
  }
  end_pause(&c);
  if (start) gc_wake_markers();
}

/* A minor collection while a concurrent mark runs (gc_lock held; lets go
 * of it): it frees the garbage among the objects made since the mark
 * started, so the heap does not grow by all the program allocates while
 * the helpers mark. */
static void collect_young(void) {
  asthra__gc_cycle c;
  begin_pause(&c, "minor");
  uint64_t mark_start = asthra__gc_now_ns();
  gc_mark_young();
  account_after_mark(&c, MARKED_YOUNG, mark_start);
  end_pause(&c);
}

/* The final pause (gc_lock held; lets go of it): the rest of the marking
 * with the world stopped, then a full collection's accounting. */
static void finish_concurrent_mark(void) {
  asthra__gc_cycle c;
  begin_pause(&c, "full end");
  gc_expected_mark_work = minor_work;
  uint64_t mark_start = asthra__gc_now_ns();
  gc_marking_concurrently = false;
  gc_mark_finish_concurrent();
  forget_lists();
  account_after_mark(&c, MARKED_FULL, mark_start);
  end_pause(&c);
}

void gc_collect(gc_reason why) {
  uint64_t seen_epoch = __atomic_load_n(&gc_epoch, __ATOMIC_RELAXED);
  gc_lock_for_collection();
  /* Another thread's collection finished while we waited: pacing is
   * satisfied (an explicit or stress collection still runs). */
  if (__atomic_load_n(&gc_epoch, __ATOMIC_RELAXED) != seen_epoch &&
      (why == GC_PACING || why == GC_HEAP_LIMIT)) {
    pthread_mutex_unlock(&gc_lock);
    return;
  }
  bool full = wants_full(why);
  /* A concurrent mark runs: pacing and stress collections are minor ones
   * until pacing (or every 8th stress collection) asks to finish it;
   * explicit and heap-limit collections finish it and then also free what
   * died while it ran. */
  while (gc_marking_concurrently) {
    if (!full) {
      collect_young();
      return;
    }
    finish_concurrent_mark();
    if (why == GC_PACING || why == GC_STRESS) return;
    gc_lock_for_collection();
  }
  /* In concurrent mode, with the helper markers running, a full collection
   * that pacing or stress asks for is a minor one that starts a concurrent
   * mark. */
  if ((why == GC_PACING || why == GC_STRESS) && gc_config.cfg.concurrent && gc_markers_started()) {
    collect_stopped(false, full ? START_MARK : why == GC_PACING ? START_MARK_IF_DUE : NO_MARK);
  } else {
    collect_stopped(full, NO_MARK);
  }
}

void gc_finish_concurrent_mark(void) {
  gc_lock_for_collection();
  if (gc_marking_concurrently) {
    finish_concurrent_mark();
  } else {
    pthread_mutex_unlock(&gc_lock);
  }
}

void gc_lock_without_marking(void) {
  gc_lock_for_collection();
  while (gc_marking_concurrently) {
    finish_concurrent_mark();
    gc_lock_for_collection();
  }
}

/* ---- start-up and the public entry points ---------------------------- */

void asthra__gc_init(const asthra__gc_config *cfg) {
  gc_config.cfg = *cfg;
  gc_config.stress = cfg->stress;
  gc_config.verify = cfg->verify;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned markers = cfg->markers != 0 ? cfg->markers : (cpus > 0 ? (unsigned)cpus : 1);
  gc_config.markers = markers > 8 && cfg->markers == 0 ? 8 : markers;
  gc_debug_alloc = gc_config.stress != 0 || gc_config.verify;
  if (cfg->max_heap != 0) {
    snprintf(max_heap_message, sizeof max_heap_message,
             "out of memory: heap limit ASTHRA_GC_MAX_HEAP=%s reached",
             cfg->max_heap_text != NULL ? cfg->max_heap_text : "?");
  }
  asthra__gc_stats_start(cfg);
  gc_heap_init();
  gc_alloc_init();
  gc_mark_init();
  gc_world_init();
  gc_register_main_thread();
}

void asthra_gc_collect(void) { gc_collect(GC_EXPLICIT); }

/* The arena only grows (gc_arena_used is written under heap_lock), so a
 * stale read can only miss memory allocated since, which p cannot be in. */
bool asthra__gc_owns(const void *p) {
  return (uintptr_t)p - gc_arena_lo < __atomic_load_n(&gc_arena_used, __ATOMIC_ACQUIRE);
}

asthra_gc_stats asthra_gc_get_stats(void) {
  asthra_gc_stats s;
  memset(&s, 0, sizeof s);
  gc_lock_for_collection();
  pthread_mutex_lock(&gc_heap_lock);
  s.heap_bytes = gc_heap_mapped();
  pthread_mutex_unlock(&gc_heap_lock);
  s.allocated_bytes = gc_allocated_total();
  asthra__gc_stats_fill(&s);
  pthread_mutex_unlock(&gc_lock);
  return s;
}

void asthra_pin(void *p, size_t n) {
  if (p == NULL) return;
  gc_lock_for_collection();
  bool ok = asthra__pins_put((uintptr_t)p, n);
  pthread_mutex_unlock(&gc_lock);
  if (!ok) asthra_panic_cstr("out of memory: pinned-range table", NULL);
}

void asthra_unpin(void *p) {
  if (p == NULL) return;
  gc_lock_for_collection();
  asthra__pins_remove((uintptr_t)p);
  pthread_mutex_unlock(&gc_lock);
}
