/*
 * mark.c: roots and marking, in parallel on every core.
 *
 * Marking runs with the world stopped (world.c), but for a concurrent
 * round (below). Roots are scanned
 * conservatively: every aligned word of each registered thread's stack
 * above its saved stack pointer and of its saved registers, of the
 * program's writable data segments, and of the pinned ranges. Heap objects
 * are scanned precisely: a scanned slot's first word is the layout the
 * compiler gave it (runtime.h), which says which words may be pointers; a
 * pointer-free slot is never read. A candidate word keeps an object alive
 * if it points anywhere inside a slot in use (interior pointers: slices
 * point into arrays). The one address inside a scanned slot that cannot be
 * a pointer to its object is its header word; a word holding that address
 * is the end of the previous slot's object (a slice ending there), so it
 * marks that one. A free slot holds zeros (its zero header is skipped) or a
 * dead object with a valid layout word (slots.c), so a stale conservative
 * pointer into free memory costs at most some retention, never a misread.
 *
 * A minor collection (collect.c) keeps the marks of old objects, and adds
 * to the roots the words of marked objects that lie on cards the write
 * barrier set (runtime.h, asthra_gc_wrote): a card is scanned word by word
 * through the layout of each marked object on it.
 *
 * Parallel marking. The collecting thread scans the roots onto its own
 * mark stack; then it and markers-1 helper threads (one per core, started
 * once a full collection would mark GC_PARALLEL_MARK_MIN_SCANNED bytes of
 * scanned objects, at the end of a collection) each drain a private stack; a
 * collection expected to mark less is marked by the collecting thread
 * alone. A marker whose stack holds work while another waits gives the
 * older half of it to a shared pool (one mutex); a marker that runs dry
 * takes from the pool, and marking ends when every marker of the round is
 * idle and the pool is empty (only then does no work exist anywhere, since
 * a marker is idle only with an empty stack). Marks are bytes, tested and
 * set with plain (relaxed atomic) loads and stores: no locked instruction
 * per object. Two markers may both see a slot unmarked and both scan it;
 * that repeats work but marks nothing wrongly, and it is rare (Boehm's
 * parallel marker makes the same trade with its mark bytes).
 *
 * Concurrent rounds (concurrent mode; gc.md, "Concurrent mode"). The pause
 * that starts a mark marks the roots into the pool; the helpers, woken
 * once the world runs, mark while the program does, leaving young objects
 * alone (mark_mode). The last helper to run dry ends the mark (collect.c).
 * A final pause that comes first abandons the round: each helper stops at
 * its next object and hands its stack to the pool, which the final pause
 * drains. A minor collection during the round marks alone (the helpers
 * are busy) and hands the older objects it reaches to the pool.
 */
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "gc/own/heap.h"

/* ---- mark stacks ------------------------------------------------------ */

static __attribute__((noinline)) void grow(gc_mark_stack *ms) {
  size_t cap = ms->cap ? ms->cap * 2 : 4096;
  uintptr_t *items = (uintptr_t *)realloc(ms->items, cap * sizeof *items);
  if (items == NULL) gc_out_of_memory(cap * sizeof *items);
  ms->items = items;
  ms->cap = cap;
}

static inline void push(gc_mark_stack *ms, uintptr_t slot) {
  if (ASTHRA_UNLIKELY(ms->len == ms->cap)) grow(ms);
  ms->items[ms->len++] = slot;
}

/* ---- marking one word ------------------------------------------------- */

#define GC_INLINE static inline __attribute__((always_inline))

/* How a marker treats the objects made since a concurrent mark started
 * (young: in a `fresh` span, or in a slot outside the span's snapshot;
 * they are newer than the mark's roots).
 *   STOPPED     world stopped, no concurrent mark, or its final pause:
 *               every object alike;
 *   CONCURRENT  a helper marking while the world runs: young objects are
 *               left alone (they are being initialised without a write
 *               barrier), and so are fresh spans and the arena grown since
 *               the view was taken (their descriptors may be half made);
 *   YOUNG       a minor collection while a concurrent mark runs: it traces
 *               the young objects; an older object it reaches is marked and
 *               handed to the concurrent mark to trace (`handoff`). */
typedef enum mark_mode { MARK_STOPPED, MARK_CONCURRENT, MARK_YOUNG } mark_mode;

/* The heap's bounds and page table, copied into locals of the marking
 * loop: read through the globals, the compiler reloads them after every
 * mark-byte store (it cannot rule out aliasing). */
typedef struct heap_view {
  uintptr_t lo, used;
  span *const *table;
  mark_mode mode;
} heap_view;

GC_INLINE heap_view current_view(mark_mode mode) {
  return (heap_view){gc_arena_lo, __atomic_load_n(&gc_arena_used, __ATOMIC_RELAXED),
                     gc_page_table, mode};
}

/* YOUNG mode: the older objects reached, for the concurrent mark (gc_lock). */
static gc_mark_stack handoff;
uint64_t gc_young_marked_bytes;

GC_INLINE void mark_slot(const heap_view *h, span *s, uint32_t i, gc_mark_stack *ms) {
  bool old = h->mode != MARK_STOPPED && gc_in_snapshot(s, i);
  if (h->mode == MARK_CONCURRENT && !old) return;
  if (__atomic_load_n(&s->marks[i], __ATOMIC_RELAXED)) return;
  __atomic_store_n(&s->marks[i], 1, __ATOMIC_RELAXED);
  if (h->mode == MARK_YOUNG && !old) {
    gc_young_marked_bytes += s->state == SPAN_LARGE ? (uint64_t)s->npages * GC_PAGE_SIZE : s->obj_size;
  }
  if (s->kind != KIND_SCAN) return;
  gc_mark_stack *to = h->mode == MARK_YOUNG && old ? &handoff : ms;
  push(to, s->start + (uintptr_t)i * s->obj_size);
}

GC_INLINE span *span_of(const heap_view *h, uintptr_t a) {
  uintptr_t off = a - h->lo;
  if (off >= h->used) return NULL;
  span *s = __atomic_load_n(&h->table[off >> GC_PAGE_SHIFT], __ATOMIC_RELAXED);
  if (s == NULL || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == SPAN_FREE) return NULL;
  if (h->mode == MARK_CONCURRENT && __atomic_load_n(&s->fresh, __ATOMIC_RELAXED)) return NULL;
  return s;
}

/* The slot a candidate word keeps alive: its span (NULL: none) and index.
 * Returned by value: out-parameters would be address-taken locals, which
 * ASan's use-after-scope poisons and unpoisons, and inlined into the
 * uninstrumented marking functions that poison was left behind on the
 * stack (a false report in the next instrumented frame there). */
typedef struct slot_ref {
  span *s;
  uint32_t i;
} slot_ref;

GC_INLINE slot_ref target_of(const heap_view *h, uintptr_t w) {
  span *s = span_of(h, w);
  if (s == NULL) return (slot_ref){NULL, 0};
  uint32_t i = gc_slot_index(s, w);
  if (i >= s->nobjs) i = s->nobjs - 1; /* the unused tail of a span */
  if (s->kind == KIND_SCAN && w == s->start + (uintptr_t)i * s->obj_size) {
    /* A header address: the end of the object before it. */
    if (i > 0) {
      i--;
    } else {
      if ((s = span_of(h, w - 1)) == NULL) return (slot_ref){NULL, 0};
      i = gc_slot_index(s, w - 1);
      if (i >= s->nobjs) i = s->nobjs - 1;
    }
  }
  return (slot_ref){s, i};
}

GC_INLINE void mark_word(const heap_view *h, uintptr_t w, gc_mark_stack *ms) {
  slot_ref t = target_of(h, w);
  if (t.s != NULL) mark_slot(h, t.s, t.i, ms);
}

bool gc_target_marked(uintptr_t w) {
  heap_view h = current_view(MARK_STOPPED);
  slot_ref t = target_of(&h, w);
  return t.s == NULL || gc_is_marked(t.s, t.i);
}

GC_NO_SANITIZE static void mark_range(const heap_view *h, uintptr_t lo, uintptr_t hi,
                                      gc_mark_stack *ms) {
  lo = (lo + GC_WORD - 1) & ~(uintptr_t)(GC_WORD - 1);
  for (uintptr_t a = lo; a + GC_WORD <= hi; a += GC_WORD) {
    mark_word(h, *(const uintptr_t *)a, ms);
  }
}

/* The words of a scanned slot, after its header. */
static size_t body_words(const span *s) {
  size_t bytes = s->state == SPAN_LARGE ? (size_t)s->npages * GC_PAGE_SIZE : s->obj_size;
  return bytes / GC_WORD - 1;
}

void gc_each_pointer_word(const span *s, uintptr_t slot,
                          void (*visit)(uintptr_t *, void *), void *ctx) {
  uintptr_t *p = (uintptr_t *)slot;
  uintptr_t h = p[0];
  if (h == 0) return; /* a free slot */
  uintptr_t *body = p + 1;
  size_t n = body_words(s);
  unsigned period = (unsigned)(h >> 1) & 63u;
  uint64_t bits = (uint64_t)h >> 7;
  if ((h & 1) == 0 || period == 0) {
    asthra_panic_cstr("heap corruption: a GC object's layout word is invalid", NULL);
  }
  for (size_t base = 0; base < n; base += period) {
    for (uint64_t b = bits; b != 0; b &= b - 1) {
      size_t j = base + (size_t)__builtin_ctzll(b);
      if (j >= n) break;
      visit(&body[j], ctx);
    }
  }
}

/* gc_each_pointer_word, specialised for marking (the hot loop). */
GC_NO_SANITIZE GC_INLINE void scan_slot(const heap_view *hv, const span *s, uintptr_t slot,
                                        gc_mark_stack *ms) {
  uintptr_t *p = (uintptr_t *)slot;
  uintptr_t h = p[0];
  if (h == 0) return;
  uintptr_t *body = p + 1;
  size_t n = body_words(s);
  unsigned period = (unsigned)(h >> 1) & 63u;
  uint64_t bits = (uint64_t)h >> 7;
  if (ASTHRA_UNLIKELY((h & 1) == 0 || period == 0)) {
    asthra_panic_cstr("heap corruption: a GC object's layout word is invalid", NULL);
  }
  if (period == 1) {
    if (bits & 1) {
      for (size_t j = 0; j < n; j++) mark_word(hv, body[j], ms);
    }
    return;
  }
  for (size_t base = 0; base < n; base += period) {
    for (uint64_t b = bits; b != 0; b &= b - 1) {
      size_t j = base + (size_t)__builtin_ctzll(b);
      if (j >= n) break;
      mark_word(hv, body[j], ms);
    }
  }
}

/* ---- written cards (minor collections) ----------------------------------- */

/* Marks from the pointer words of the scanned slot at `slot` that lie in
 * [lo, hi): the part of an old object on a written card. */
GC_NO_SANITIZE static void scan_slot_part(const heap_view *hv, const span *s, uintptr_t slot,
                                          uintptr_t lo, uintptr_t hi, gc_mark_stack *ms) {
  uintptr_t h = *(const uintptr_t *)slot;
  if (h == 0) return;
  unsigned period = (unsigned)(h >> 1) & 63u;
  uint64_t bits = (uint64_t)h >> 7;
  if (ASTHRA_UNLIKELY((h & 1) == 0 || period == 0)) {
    asthra_panic_cstr("heap corruption: a GC object's layout word is invalid", NULL);
  }
  const uintptr_t *body = (const uintptr_t *)slot + 1;
  uintptr_t body_lo = (uintptr_t)body;
  if (hi <= body_lo) return;
  size_t n = body_words(s);
  size_t first = lo > body_lo ? (lo - body_lo) / GC_WORD : 0;
  size_t end = (hi - body_lo) / GC_WORD;
  if (end > n) end = n;
  unsigned r = (unsigned)(first % period);
  for (size_t j = first; j < end; j++) {
    if ((bits >> r) & 1) mark_word(hv, body[j], ms);
    if (++r == period) r = 0;
  }
}

/* Whether the words on a written card of slot i may point to objects the
 * marking must reach: a marked (old) object's; in YOUNG mode also every
 * object the concurrent mark started with, marked or not (it may not have
 * been reached yet). */
GC_INLINE bool scan_on_card(const heap_view *h, const span *s, uint32_t i) {
  return gc_is_marked(s, i) || (h->mode == MARK_YOUNG && gc_in_snapshot(s, i));
}

/* The words on the card at `lo` of the objects that may point to new
 * ones. A card lies within one page, so within one span. */
static void mark_card(const heap_view *h, uintptr_t lo, gc_mark_stack *ms) {
  span *s = span_of(h, lo);
  if (s == NULL || s->kind != KIND_SCAN) return;
  uintptr_t hi = lo + GC_CARD_SIZE;
  if (s->state == SPAN_LARGE) {
    if (scan_on_card(h, s, 0)) scan_slot_part(h, s, s->start, lo, hi, ms);
    return;
  }
  for (uint32_t i = gc_slot_index(s, lo); i < s->nobjs; i++) {
    uintptr_t slot = s->start + (uintptr_t)i * s->obj_size;
    if (slot >= hi) break;
    if (scan_on_card(h, s, i)) scan_slot_part(h, s, slot, lo, hi, ms);
  }
}

static void mark_written_cards(mark_mode mode, gc_mark_stack *ms) {
  const heap_view h = current_view(mode);
  const uint8_t *cards = asthra__gc_cards.cards;
  size_t n = gc_used_cards();
  for (size_t c = 0; c < n; c += 8) {
    uint64_t eight; /* the table is reserved for the whole arena: no overrun */
    memcpy(&eight, cards + c, sizeof eight);
    if (eight == 0) continue;
    for (size_t k = c; k < c + 8 && k < n; k++) {
      if (cards[k] != 0) mark_card(&h, h.lo + (k << GC_CARD_SHIFT), ms);
    }
  }
}

/* ---- the shared pool and the markers -------------------------------------- */

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;  /* work arrived, or marking is done */
  pthread_cond_t start;    /* a new marking round for the helpers */
  pthread_cond_t finished; /* a helper finished its round */
  gc_mark_stack work;
  unsigned workers, idle, helpers_running, waiting;
  uint64_t round;
  bool done;
  bool helpers_started;
  /* The round is a concurrent mark (the world runs) that has not ended. */
  bool concurrent;
  /* The final pause stops the concurrent round: markers hand back what
   * they hold (read by drain without the lock). */
  bool abandon;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          {NULL, 0, 0}, 0, 0, 0, 0, 0, false, false, false, false};

/* The collecting thread's stack (gc_lock). */
static gc_mark_stack collector_stack;

/* Moves the older half of ms to the pool. The oldest entries are the
 * biggest pieces of work (in a tree, the subtrees near its root; the top
 * of the stack holds the leaves), so the marker that takes them works long
 * between hand-offs (work-stealing deques steal from the bottom for the
 * same reason). */
static void share(gc_mark_stack *ms) {
  size_t give = ms->len / 2;
  pthread_mutex_lock(&pool.lock);
  for (size_t i = 0; i < give; i++) push(&pool.work, ms->items[i]);
  pthread_cond_broadcast(&pool.changed);
  pthread_mutex_unlock(&pool.lock);
  memmove(ms->items, ms->items + give, (ms->len - give) * sizeof *ms->items);
  ms->len -= give;
}

/* Moves all of `from` onto `to`. */
static void move_all(gc_mark_stack *from, gc_mark_stack *to) {
  for (size_t i = 0; i < from->len; i++) push(to, from->items[i]);
  from->len = 0;
}

/* Scans until ms is empty, or until the final pause abandons a concurrent
 * round (what is left stays on ms). Slots pass through a small FIFO on
 * their way from the stack to the scanner, prefetched as they enter it: a
 * popped slot is usually a cache miss (it was only ever seen as a
 * pointer), and the FIFO gives the fetch the time of several other scans
 * to arrive. */
#define PREFETCH_DEPTH 16u

GC_NO_SANITIZE GC_INLINE void drain_in(mark_mode mode, gc_mark_stack *ms) {
  const heap_view h = current_view(mode);
  uintptr_t fifo[PREFETCH_DEPTH];
  unsigned head = 0, count = 0;
  for (;;) {
    if (mode == MARK_CONCURRENT && __atomic_load_n(&pool.abandon, __ATOMIC_RELAXED)) {
      for (; count > 0; count--, head = (head + 1) % PREFETCH_DEPTH) push(ms, fifo[head]);
      return;
    }
    while (count < PREFETCH_DEPTH && ms->len > 0) {
      uintptr_t slot = ms->items[--ms->len];
      __builtin_prefetch((const void *)slot);
      fifo[(head + count++) % PREFETCH_DEPTH] = slot;
    }
    if (count == 0) return;
    uintptr_t slot = fifo[head];
    head = (head + 1) % PREFETCH_DEPTH;
    count--;
    scan_slot(&h, span_of(&h, slot), slot, ms);
    if (ms->len > 1 && __atomic_load_n(&pool.waiting, __ATOMIC_RELAXED) > 0) share(ms);
  }
}

/* One copy of the marking loop per mode, each with its mode folded in
 * (not instrumented either: drain_in is inlined here). */
GC_NO_SANITIZE static void drain(mark_mode mode, gc_mark_stack *ms) {
  switch (mode) {
    case MARK_STOPPED: drain_in(MARK_STOPPED, ms); break;
    case MARK_CONCURRENT: drain_in(MARK_CONCURRENT, ms); break;
    case MARK_YOUNG: drain_in(MARK_YOUNG, ms); break;
  }
}

/* Takes up to 256 items from the pool (pool.lock held). */
static void take(gc_mark_stack *ms) {
  size_t n = pool.work.len < 256 ? pool.work.len : 256;
  for (size_t i = 0; i < n; i++) push(ms, pool.work.items[--pool.work.len]);
}

/* Marks until every marker of the round is idle with the pool empty (only
 * then does no work exist anywhere, since a marker is idle only with an
 * empty stack), or until the round is abandoned. */
static void mark_until_done(gc_mark_stack *ms, bool concurrent) {
  for (;;) {
    drain(concurrent ? MARK_CONCURRENT : MARK_STOPPED, ms);
    pthread_mutex_lock(&pool.lock);
    if (pool.abandon) {
      move_all(ms, &pool.work);
      pthread_mutex_unlock(&pool.lock);
      return;
    }
    for (;;) {
      if (pool.done) {
        pthread_mutex_unlock(&pool.lock);
        return;
      }
      if (pool.work.len > 0) {
        take(ms);
        break;
      }
      if (++pool.idle == pool.workers) {
        pool.done = true;
        pthread_cond_broadcast(&pool.changed);
        pthread_mutex_unlock(&pool.lock);
        return;
      }
      __atomic_add_fetch(&pool.waiting, 1, __ATOMIC_RELAXED);
      pthread_cond_wait(&pool.changed, &pool.lock);
      __atomic_sub_fetch(&pool.waiting, 1, __ATOMIC_RELAXED);
      pool.idle--;
    }
    pthread_mutex_unlock(&pool.lock);
  }
}

/* A helper joins a round only if it wakes before marking is done: the
 * collector never waits for a helper the scheduler has not run yet (with
 * fixed membership, churn's 0.2 ms pauses became 6 ms on a busy machine).
 * The last helper out of a concurrent round that ran out of work ends the
 * mark (collect.c), unless the final pause already took it over. */
static void *helper_main(void *arg) {
  (void)arg;
  gc_mark_stack ms = {NULL, 0, 0};
  uint64_t seen = 0;
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    while (pool.round == seen) pthread_cond_wait(&pool.start, &pool.lock);
    seen = pool.round;
    if (pool.done) continue;
    bool concurrent = pool.concurrent;
    pool.workers++;
    pool.helpers_running++;
    pthread_mutex_unlock(&pool.lock);
    mark_until_done(&ms, concurrent);
    pthread_mutex_lock(&pool.lock);
    bool ends_mark = false;
    if (--pool.helpers_running == 0) {
      pthread_cond_signal(&pool.finished);
      ends_mark = pool.concurrent && pool.done && !pool.abandon;
      if (ends_mark) pool.concurrent = false;
    }
    if (ends_mark) {
      pthread_mutex_unlock(&pool.lock);
      gc_finish_concurrent_mark();
      pthread_mutex_lock(&pool.lock);
    }
  }
  return NULL;
}

bool gc_markers_started(void) { return pool.helpers_started; }

void gc_start_markers_if_needed(uint64_t scanned_live) {
  /* In concurrent mode the debug modes start them at once, so that small
   * test programs mark concurrently too. */
  bool at_once = gc_debug_alloc && gc_config.cfg.concurrent;
  if (pool.helpers_started || gc_config.markers <= 1 ||
      (scanned_live < GC_PARALLEL_MARK_MIN_SCANNED && !at_once)) {
    return;
  }
  pool.helpers_started = true;
  for (unsigned i = 1; i < gc_config.markers; i++) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, helper_main, NULL); /* none started: marking alone */
    pthread_attr_destroy(&attr);
  }
}

static void child_after_fork(void) {
  /* Helper threads do not exist in a forked child; start them again. */
  pthread_mutex_init(&pool.lock, NULL);
  pool.helpers_started = false;
}

void gc_mark_init(void) { pthread_atfork(NULL, NULL, child_after_fork); }

/* ---- roots ------------------------------------------------------------------ */

typedef struct data_segments {
  uintptr_t lo[16], hi[16];
  unsigned n;
  bool seen_main;
} data_segments;

static data_segments data;

/* The writable PT_LOAD segments of the program itself (the first object
 * dl_iterate_phdr reports): its .data and .bss, where globals live. Shared
 * libraries' data is C memory and is not scanned. */
static int find_data(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  data_segments *d = (data_segments *)arg;
  if (d->seen_main) return 1;
  d->seen_main = true;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum && d->n < 16; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) == 0) continue;
    d->lo[d->n] = (uintptr_t)info->dlpi_addr + ph->p_vaddr;
    d->hi[d->n] = d->lo[d->n] + ph->p_memsz;
    d->n++;
  }
  return 1;
}

typedef struct pinned_ctx {
  const heap_view *h;
  gc_mark_stack *ms;
} pinned_ctx;

static void mark_pinned(uintptr_t start, size_t len, void *ctx) {
  const pinned_ctx *p = (const pinned_ctx *)ctx;
  mark_range(p->h, start, start + len, p->ms);
}

GC_NO_SANITIZE static void mark_roots(mark_mode mode, gc_mark_stack *ms) {
  const heap_view h = current_view(mode);
  if (!data.seen_main) dl_iterate_phdr(find_data, &data);
  for (unsigned i = 0; i < data.n; i++) mark_range(&h, data.lo[i], data.hi[i], ms);
  for (gc_thread *t = gc_threads; t != NULL; t = t->next) {
    const asthra__gc_mutator *m = t->m;
    for (size_t r = 0; r < sizeof m->saved_regs / sizeof m->saved_regs[0]; r++) {
      mark_word(&h, m->saved_regs[r], ms);
    }
    mark_range(&h, m->saved_sp, t->stack_base, ms);
  }
  pinned_ctx p = {&h, ms};
  asthra__pins_each(mark_pinned, &p);
}

/* Starts a round of every helper that wakes in time; the caller marks in
 * it too unless it is concurrent (pool.lock held). The helpers are woken
 * by the caller: a concurrent round's after the world restarts (a helper
 * woken inside the pause could take the collector's CPU for a whole time
 * slice while every thread waits: 2-6 ms start pauses on a busy machine). */
static void start_round(bool concurrent) {
  pool.workers = concurrent ? 0 : 1; /* helpers add themselves as they join */
  pool.idle = 0;
  pool.done = false;
  pool.abandon = false;
  pool.concurrent = concurrent;
  pool.helpers_running = 0;
  pool.round++;
}

void gc_wake_markers(void) {
  pthread_mutex_lock(&pool.lock);
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.lock);
}

void gc_mark_all(bool minor) {
  gc_mark_stack *ms = &collector_stack;
  /* Cards first: until new marks appear, the marked objects are exactly
   * the old ones. */
  if (minor) mark_written_cards(MARK_STOPPED, ms);
  mark_roots(MARK_STOPPED, ms);
  /* Little to mark: this thread alone. Waking helpers costs more than it
   * saves (strings' and churn's pauses were 3-30 times longer with them). */
  if (!pool.helpers_started || gc_expected_mark_work < GC_PARALLEL_MARK_MIN_SCANNED) {
    drain(MARK_STOPPED, ms);
    return;
  }
  pthread_mutex_lock(&pool.lock);
  start_round(false);
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.lock);
  mark_until_done(ms, false);
  pthread_mutex_lock(&pool.lock);
  while (pool.helpers_running > 0) pthread_cond_wait(&pool.finished, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
}

void gc_mark_start_concurrent(void) {
  /* No span is fresh yet: the roots are marked as in a pause. */
  mark_roots(MARK_STOPPED, &collector_stack);
  pthread_mutex_lock(&pool.lock);
  move_all(&collector_stack, &pool.work);
  start_round(true);
  pthread_mutex_unlock(&pool.lock);
}

void gc_mark_finish_concurrent(void) {
  pthread_mutex_lock(&pool.lock);
  if (pool.concurrent) {
    /* Still marking (or not one helper woke yet): take over. */
    __atomic_store_n(&pool.abandon, true, __ATOMIC_RELAXED);
    pool.done = true;
    pthread_cond_broadcast(&pool.changed);
    while (pool.helpers_running > 0) pthread_cond_wait(&pool.finished, &pool.lock);
    pool.concurrent = false;
  }
  __atomic_store_n(&pool.abandon, false, __ATOMIC_RELAXED);
  move_all(&pool.work, &collector_stack);
  pthread_mutex_unlock(&pool.lock);
  /* The objects the program wrote since the start are on written cards:
   * the final mark is a minor collection's over the marks made so far. */
  gc_mark_all(true);
}

void gc_mark_young(void) {
  gc_mark_stack *ms = &collector_stack;
  mark_written_cards(MARK_YOUNG, ms);
  mark_roots(MARK_YOUNG, ms);
  drain(MARK_YOUNG, ms);
  pthread_mutex_lock(&pool.lock);
  move_all(&handoff, &pool.work);
  pthread_cond_broadcast(&pool.changed);
  pthread_mutex_unlock(&pool.lock);
}
