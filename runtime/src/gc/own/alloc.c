/*
 * alloc.c: size classes, per-thread caches, the slow path, large objects,
 * pacing.
 *
 * Small objects (at most ASTHRA__GC_SMALL_MAX bytes with the header) are
 * rounded up to one of 41 size classes (runtime.h: 16, 24, 32, then four
 * per power of two), so rounding wastes at most 1/4 at the small end and
 * 1/8 above 128 bytes (Go's and mimalloc's tables have the same shape).
 * Each class has two kinds of span: scanned (every object starts with its
 * layout word) and pointer-free (no header; never scanned). A span of a
 * class is 1..16 pages, chosen so that it holds at least 4 slots and wastes
 * at most 1/8 of its bytes.
 *
 * Each thread allocates from its own cache per class and kind: a group of
 * up to 64 free slots of one span as a bitmap, so the fast path (runtime.h)
 * needs no lock and no atomic. When the group is used up, the slow path
 * takes the span's next group with a free slot (slots.c: the free slots are
 * the unmarked ones), and when the span is used up, a span with free slots
 * from the class's list, or a new span, under heap_lock. A collection
 * empties every cache and rebuilds the lists.
 *
 * Pacing (Go's GOGC rule, with generations): a full collection that found
 * L live bytes sets the heap goal G = L + max(L * P / 100, 256 KiB), P =
 * ASTHRA_GC_PERCENT (default 100). After any collection that left M bytes
 * marked (live, plus old objects that died since the last full one), the
 * next is full when G - M is under half of G - L (old objects, dead or
 * growing, have eaten the headroom), else minor; it starts once the
 * program has taken max(G - M, 256 KiB) more bytes. So the heap peaks at G
 * as with one kind of collection (letting a full collection wait for a
 * quarter of the headroom made GCBench's peak RSS 8% above Boehm's), and
 * only programs whose old objects die or grow pay for full collections.
 * In concurrent mode the full collection is a concurrent mark, started by
 * the minor collection that finds the headroom half eaten; minor
 * collections go on during it until 7/8 is eaten, and each waits only for
 * as much allocation as leaves about an eighth of the live heap alive for
 * it to trace (from the last one's survival rate). Bytes count when a group
 * or a large object is handed out, so a thread's unused cached slots count
 * as allocated until the next collection (at most 64 per class and thread);
 * the collection starts at the next slow path of any thread.
 *
 * Debug modes (ASTHRA_GC_STRESS, ASTHRA_GC_VERIFY) keep each group in the
 * cache's `held` field instead of `bits`, so every allocation takes the
 * slow path, counts toward the stress period and (verify) checks that the
 * slot's poison is intact before handing it out.
 */
#include <stddef.h>
#include <string.h>

#include "gc/own/heap.h"

uint8_t gc_class_pages[GC_NUM_CLASSES];
ASTHRA__TLS_IE ASTHRA__THREAD_LOCAL asthra__gc_mutator asthra__gc_self;
/* ASTHRA__GC_SAVE_REGISTERS stores the stack pointer one past the eight
 * register slots. */
_Static_assert(offsetof(asthra__gc_mutator, saved_sp) ==
                   offsetof(asthra__gc_mutator, saved_regs) + 8 * sizeof(uintptr_t),
               "saved_sp follows saved_regs");
span *gc_partial[2][GC_NUM_CLASSES];
span *gc_taken;

#define MIN_TRIGGER ((uint64_t)256 << 10)
#define MIN_NURSERY ((uint64_t)4 << 20)

static uint64_t allocated_since_gc; /* atomic */
static uint64_t allocated_before_gc;
static uint64_t trigger = MIN_TRIGGER;
static bool next_full;         /* gc_lock */
static uint64_t stress_count; /* atomic */
static int collection_due;     /* atomic: pacing asks for a collection */

void gc_alloc_init(void) {
  for (unsigned c = 0; c < GC_NUM_CLASSES; c++) {
    size_t size = asthra__gc_class_size(c), pages = 1;
    while (pages < 16 && ((pages * GC_PAGE_SIZE) / size < 4 ||
                          (pages * GC_PAGE_SIZE) % size > pages * GC_PAGE_SIZE / 8)) {
      pages++;
    }
    gc_class_pages[c] = (uint8_t)pages;
    if ((pages * GC_PAGE_SIZE) / size > GC_MAX_SPAN_OBJECTS) {
      asthra_panic_cstr("internal error: a size class has too many slots per span", NULL);
    }
  }
}

/* The next collection starts (or a concurrent mark is finished) once the
 * program has allocated `bytes` more (gc_lock). */
static void set_allocation_trigger(uint64_t bytes) {
  trigger = bytes < MIN_TRIGGER ? MIN_TRIGGER : bytes;
  __atomic_store_n(&collection_due, 0, __ATOMIC_RELAXED);
  allocated_before_gc += __atomic_exchange_n(&allocated_since_gc, 0, __ATOMIC_RELAXED);
}

/* The young survivors' share of what was allocated, as of the last minor
 * collection that had something to measure (gc_lock): promoted bytes per
 * 2^16 bytes allocated. */
static uint64_t survival = 1u << 16;

/* How much may be allocated before the next minor collection: as much as
 * leaves `budget` bytes of survivors to trace, if the program goes on
 * keeping what it keeps now. */
static uint64_t nursery_for(uint64_t budget) {
  return survival == 0 ? UINT64_MAX : (budget << 16) / survival;
}

void gc_set_trigger(uint64_t marked_bytes, bool full, bool marking, uint64_t settled_live) {
  static uint64_t full_live;   /* live bytes after the last full collection */
  static uint64_t last_marked; /* marked bytes after the last collection */
  uint64_t allocated = __atomic_load_n(&allocated_since_gc, __ATOMIC_RELAXED);
  if (!full && allocated >= MIN_TRIGGER) {
    uint64_t promoted = marked_bytes > last_marked ? marked_bytes - last_marked : 0;
    survival = promoted >= allocated ? 1u << 16 : (promoted << 16) / allocated;
  }
  last_marked = marked_bytes;
  if (full) full_live = settled_live;
  uint64_t headroom = gc_config.cfg.percent * (full_live / 100);
  if (headroom < MIN_TRIGGER) headroom = MIN_TRIGGER;
  uint64_t goal = full_live + headroom;
  uint64_t room = goal > marked_bytes ? goal - marked_bytes : 0;
  /* Old objects have eaten half the headroom: the next collection is full
   * (or starts a concurrent mark). While a concurrent mark runs, minor
   * collections go on until they have eaten 7/8 of it; then the world
   * stops to finish the mark. */
  next_full = room < (marking ? headroom / 8 : headroom / 2);
  /* In concurrent mode, where full collections no longer make the longest
   * pauses, minor ones do: a minor pause grows with the young objects it
   * finds alive (all of them while the program builds a structure, few
   * while it churns). Allocating until about an eighth of the live heap
   * survives keeps it a small part of a full mark's, without collecting
   * more often than pacing asks when little survives. */
  uint64_t nursery = UINT64_MAX;
  if (gc_config.cfg.concurrent) {
    nursery = nursery_for(full_live / 8 > MIN_NURSERY ? full_live / 8 : MIN_NURSERY);
  }
  set_allocation_trigger(room < nursery ? room : nursery);
}

bool gc_pacing_wants_full(void) { return next_full; }

uint64_t gc_allocated_total(void) {
  return allocated_before_gc + __atomic_load_n(&allocated_since_gc, __ATOMIC_RELAXED);
}

void gc_flush_cache(asthra__gc_mutator *m) { memset(m->cache, 0, sizeof m->cache); }

/* ASTHRA_GC_STRESS: one allocation more; collects every N-th. */
static void stress_tick(void) {
  if (gc_config.stress != 0 &&
      __atomic_add_fetch(&stress_count, 1, __ATOMIC_RELAXED) % gc_config.stress == 0) {
    gc_collect(GC_STRESS);
  }
}

/* Counts `bytes` of allocation; when that crosses the trigger, the next
 * slow path collects (collect_if_due). Never collecting here is what keeps
 * a refill from looping: a group handed out is never emptied again by the
 * collection its own bytes caused. */
static void account(uint64_t bytes) {
  uint64_t after = __atomic_add_fetch(&allocated_since_gc, bytes, __ATOMIC_RELAXED);
  if (gc_config.cfg.automatic && after >= trigger && after - bytes < trigger) {
    __atomic_store_n(&collection_due, 1, __ATOMIC_RELAXED);
  }
}

/* At the start of every slow path, with no lock held. */
static void collect_if_due(void) {
  if (gc_debug_alloc) stress_tick(); /* debug modes come here every time */
  if (__atomic_load_n(&collection_due, __ATOMIC_RELAXED) &&
      __atomic_exchange_n(&collection_due, 0, __ATOMIC_RELAXED)) {
    gc_collect(GC_PACING);
  }
}

/* A new span of a class; every slot free. */
static span *new_small_span(int kind, unsigned cls) {
  span *s = gc_pages_alloc(gc_class_pages[cls], SPAN_SMALL, kind == KIND_SCAN);
  if (s == NULL) return NULL;
  s->kind = (uint8_t)kind;
  s->cls = (uint8_t)cls;
  s->obj_size = (uint32_t)asthra__gc_class_size(cls);
  s->nobjs = (uint32_t)((s->npages * GC_PAGE_SIZE) / s->obj_size);
  s->magic = (uint32_t)(((uint64_t)1 << 32) / s->obj_size + 1);
  if (gc_config.verify) gc_poison_free_slots(s);
  return s;
}

/* Puts s on gc_taken, for the next minor collection's accounting
 * (heap_lock held). */
static void note_taken(span *s) {
  s->taken_next = gc_taken;
  gc_taken = s;
}

/* A span of the class with free slots that no thread holds (heap_lock
 * held); NULL when the heap cannot grow. */
static span *take_span(int kind, unsigned cls) {
  span *s = gc_partial[kind][cls];
  if (s != NULL) {
    gc_list_remove(&gc_partial[kind][cls], s);
  } else {
    s = new_small_span(kind, cls);
    if (s == NULL) return NULL;
  }
  s->idle_cycles = 0;
  note_taken(s);
  return s;
}

static span *take_span_or_collect(int kind, unsigned cls, size_t bytes) {
  pthread_mutex_lock(&gc_heap_lock);
  span *s = take_span(kind, cls);
  pthread_mutex_unlock(&gc_heap_lock);
  if (s == NULL) {
    gc_collect(GC_HEAP_LIMIT);
    pthread_mutex_lock(&gc_heap_lock);
    s = take_span(kind, cls);
    pthread_mutex_unlock(&gc_heap_lock);
    if (s == NULL) gc_out_of_memory(bytes);
  }
  return s;
}

static void check_thread(const asthra__gc_mutator *m) {
  if (ASTHRA_UNLIKELY(m->state != ASTHRA__GC_RUNNING)) {
    asthra_panic_cstr(m->state == ASTHRA__GC_DETACHED
                          ? "GC memory allocated by a thread the runtime does not know"
                          : "internal error: GC memory allocated in native state",
                      NULL);
  }
}

/* Fills the cache with the next group of free slots of its span, or of a
 * span taken from the class (which collects when the heap limit is
 * reached; the cache is refilled after that). */
static void refill(asthra__gc_cache *k, int kind, unsigned cls, size_t bytes) {
  uint64_t *group = gc_debug_alloc ? &k->held : &k->bits;
  while (*group == 0) {
    span *s = (span *)k->span;
    uint64_t bits = 0;
    while (s != NULL && bits == 0 && k->next_group * 64u < s->nobjs) {
      bits = gc_free_bits(s, k->next_group++);
    }
    if (bits == 0) {
      s = take_span_or_collect(kind, cls, bytes);
      k->span = s;
      k->next_group = 0;
      continue;
    }
    k->base = s->start + (uintptr_t)(k->next_group - 1) * 64u * s->obj_size;
    *group = bits;
    account((uint64_t)__builtin_popcountll(bits) * s->obj_size);
  }
}

/* One free slot of the class, from this thread's cache. Scanned slots
 * come back zeroed; pointer-free ones as they are. */
static uintptr_t *alloc_small(int kind, unsigned cls, size_t bytes) {
  asthra__gc_mutator *m = &asthra__gc_self;
  check_thread(m);
  asthra__gc_cache *k = &m->cache[kind][cls];
  collect_if_due();
  refill(k, kind, cls, bytes);
  uint64_t *group = gc_debug_alloc ? &k->held : &k->bits;
  uint64_t bits = *group;
  *group = bits & (bits - 1);
  size_t size = asthra__gc_class_size(cls);
  uintptr_t *p = (uintptr_t *)(k->base + (uintptr_t)__builtin_ctzll(bits) * size);
  if (gc_config.verify && !gc_poison_intact(p, size)) {
    asthra_panic_cstr("heap corruption: a freed GC object was written to (ASTHRA_GC_VERIFY)", NULL);
  }
  if (kind == KIND_SCAN || gc_debug_alloc) memset(p, 0, size);
  return p;
}

/* A large object of `bytes` (header or spare byte included); `asked` is
 * what the program asked for, for the out-of-memory message. */
static void *alloc_large(size_t bytes, size_t asked, int kind, uintptr_t layout) {
  check_thread(&asthra__gc_self);
  size_t npages = (bytes + GC_PAGE_SIZE - 1) >> GC_PAGE_SHIFT;
  collect_if_due();
  account((uint64_t)npages * GC_PAGE_SIZE);
  pthread_mutex_lock(&gc_heap_lock);
  span *s = gc_pages_alloc(npages, SPAN_LARGE, kind == KIND_SCAN);
  if (s == NULL) {
    pthread_mutex_unlock(&gc_heap_lock);
    gc_collect(GC_HEAP_LIMIT);
    pthread_mutex_lock(&gc_heap_lock);
    s = gc_pages_alloc(npages, SPAN_LARGE, kind == KIND_SCAN);
  }
  if (s != NULL) note_taken(s);
  pthread_mutex_unlock(&gc_heap_lock);
  if (s == NULL) gc_out_of_memory(asked);
  s->kind = (uint8_t)kind;
  s->obj_size = 0; /* a large object's size is its pages */
  s->nobjs = 1;
  s->magic = 0;
  uintptr_t *p = (uintptr_t *)s->start;
  if (kind == KIND_SCAN) {
    p[0] = layout;
    return p + 1;
  }
  return p;
}

void *asthra__gc_alloc_typed_slow(size_t n, uintptr_t layout) {
  if (n > SIZE_MAX / 2) gc_out_of_memory(n);
  size_t total = n + GC_WORD;
  if (total > ASTHRA__GC_SMALL_MAX) return alloc_large(total, n, KIND_SCAN, layout);
  uintptr_t *p = alloc_small(KIND_SCAN, asthra__gc_class_of(total), n);
  p[0] = layout;
  return p + 1;
}

void *asthra_gc_alloc(size_t n) { return asthra_gc_alloc_typed(n, ASTHRA_GC_CONSERVATIVE); }

/* Pointer-free objects get one spare byte, so that a pointer one past the
 * end (an empty tail slice) still points into the object's slot; scanned
 * objects have the next slot's header word for that (mark.c). */
void *asthra__gc_alloc_noscan_raw(size_t n) {
  if (n > SIZE_MAX / 2) gc_out_of_memory(n);
  size_t total = n + 1;
  if (total > ASTHRA__GC_SMALL_MAX) return alloc_large(total, n, KIND_NOSCAN, 0);
  unsigned cls = asthra__gc_class_of(total);
  asthra__gc_cache *k = &asthra__gc_self.cache[KIND_NOSCAN][cls];
  uint64_t bits = k->bits;
  if (ASTHRA_LIKELY(bits != 0)) {
    k->bits = bits & (bits - 1);
    return (void *)(k->base + (uintptr_t)__builtin_ctzll(bits) * asthra__gc_class_size(cls));
  }
  return alloc_small(KIND_NOSCAN, cls, n);
}

void *asthra_gc_alloc_noscan(size_t n) {
  void *p = asthra__gc_alloc_noscan_raw(n);
  memset(p, 0, n);
  return p;
}
