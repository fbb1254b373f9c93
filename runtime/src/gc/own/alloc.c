/*
 * alloc.c: size classes, per-thread free lists, the slow path, large
 * objects, pacing.
 *
 * Small objects (at most ASTHRA__GC_SMALL_MAX bytes with the header) are
 * rounded up to one of 41 size classes, spaced so that rounding wastes at
 * most 1/4 at the small end and 1/8 above 128 bytes (Go's and mimalloc's
 * tables have the same shape). Each class has two kinds of span: scanned
 * (every slot starts with the layout word, runtime.h) and pointer-free
 * (no header; never scanned). A span of a class is 1..16 pages, chosen so
 * that it holds at least 4 slots and wastes at most 1/8 of its bytes.
 *
 * Each thread allocates from its own free lists (asthra__gc_self.free), so
 * the fast path (runtime.h) needs no lock and no atomic: pop a slot, write
 * the header. A free scanned slot is zero except for word 1, the link, so
 * after the pop it is a zeroed object. When a list is empty the slow path
 * takes a whole span's free list under heap_lock: a swept span with free
 * slots, else an unswept one it sweeps now (lazy sweeping: the sweep work
 * follows allocation, outside pauses), else fresh pages. A collection
 * empties every thread's lists (their slots are unmarked, so the next
 * sweep finds them free again).
 *
 * Pacing (Go's GOGC rule): after a collection that found L live bytes, the
 * next starts once the program has taken max(L * P / 100, 1 MiB) more
 * bytes, P = ASTHRA_GC_PERCENT (default 100). Bytes count when a span's
 * free list or a large object is handed out, so a thread's unused cached
 * slots count as allocated until the next collection (at most one span per
 * class and thread).
 *
 * Debug modes (ASTHRA_GC_STRESS, ASTHRA_GC_VERIFY) bypass the thread lists:
 * every allocation takes one slot under heap_lock, counts toward the
 * stress period, and (verify) checks that the slot's poison is intact.
 */
#include <string.h>

#include "gc/own/heap.h"

const uint32_t gc_class_size[GC_NUM_CLASSES] = {
    16,    24,    32,    48,    64,    80,    96,    112,   128,   160,   192,
    224,   256,   320,   384,   448,   512,   640,   768,   896,   1024,  1280,
    1536,  1792,  2048,  2560,  3072,  3584,  4096,  5120,  6144,  7168,  8192,
    10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768};
uint8_t gc_class_pages[GC_NUM_CLASSES];
uint8_t asthra__gc_size_class[ASTHRA__GC_SMALL_MAX / 8 + 1];
ASTHRA__TLS_IE ASTHRA__THREAD_LOCAL asthra__gc_mutator asthra__gc_self;

span *gc_partial[2][GC_NUM_CLASSES];
span *gc_unswept[2][GC_NUM_CLASSES];

#define MIN_TRIGGER ((uint64_t)1 << 20)

static uint64_t allocated_since_gc; /* atomic */
static uint64_t allocated_before_gc;
static uint64_t trigger = MIN_TRIGGER;
static uint64_t stress_count; /* atomic */

_Static_assert(GC_NUM_CLASSES <= ASTHRA__GC_CLASSES, "runtime.h has room");

void gc_alloc_init(void) {
  unsigned c = 0;
  for (size_t i = 0; i <= ASTHRA__GC_SMALL_MAX / 8; i++) {
    while (gc_class_size[c] < i * 8) c++;
    asthra__gc_size_class[i] = (uint8_t)c;
  }
  for (c = 0; c < GC_NUM_CLASSES; c++) {
    size_t size = gc_class_size[c], pages = 1;
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

void gc_set_trigger(uint64_t live_bytes) {
  uint64_t t = gc_config.cfg.percent * (live_bytes / 100);
  trigger = t < MIN_TRIGGER ? MIN_TRIGGER : t;
  allocated_before_gc += __atomic_exchange_n(&allocated_since_gc, 0, __ATOMIC_RELAXED);
}

uint64_t gc_allocated_total(void) {
  return allocated_before_gc + __atomic_load_n(&allocated_since_gc, __ATOMIC_RELAXED);
}

void gc_flush_cache(asthra__gc_mutator *m) { memset(m->free, 0, sizeof m->free); }

/* Counts `bytes` of allocation; collects first when pacing or stress says
 * so. Called on the slow path only, never under a lock. */
static void account(uint64_t bytes) {
  if (gc_config.stress != 0 &&
      __atomic_add_fetch(&stress_count, 1, __ATOMIC_RELAXED) % gc_config.stress == 0) {
    gc_collect("stress");
  }
  uint64_t after = __atomic_add_fetch(&allocated_since_gc, bytes, __ATOMIC_RELAXED);
  if (gc_config.cfg.automatic && after >= trigger && after - bytes < trigger) {
    gc_collect("pacing");
  }
}

/* A fresh span for a class with every slot on its free list. */
static span *new_small_span(int kind, unsigned cls) {
  span *s = gc_pages_alloc(gc_class_pages[cls], SPAN_SMALL, kind == KIND_SCAN);
  if (s == NULL) return NULL;
  s->kind = (uint8_t)kind;
  s->cls = (uint8_t)cls;
  s->obj_size = gc_class_size[cls];
  s->nobjs = (uint32_t)((s->npages * GC_PAGE_SIZE) / s->obj_size);
  s->magic = (uint32_t)(((uint64_t)1 << 32) / s->obj_size + 1);
  s->free_count = 0;
  return s;
}

/* A span of the class with free slots on its free list (heap_lock held);
 * NULL when the heap cannot grow. */
static span *take_span(int kind, unsigned cls) {
  span *s;
  while ((s = gc_partial[kind][cls]) != NULL) {
    gc_list_remove(&gc_partial[kind][cls], s);
    if (s->freelist != NULL) return s;
  }
  while ((s = gc_unswept[kind][cls]) != NULL) {
    gc_list_remove(&gc_unswept[kind][cls], s);
    if (gc_sweep_span(s) > 0) return s;
  }
  s = new_small_span(kind, cls);
  if (s != NULL) gc_sweep_fresh_span(s);
  return s;
}

static span *take_span_or_collect(int kind, unsigned cls, size_t bytes) {
  pthread_mutex_lock(&gc_heap_lock);
  span *s = take_span(kind, cls);
  pthread_mutex_unlock(&gc_heap_lock);
  if (s == NULL) {
    gc_collect("heap limit");
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

/* One slot of the class, taken under heap_lock (debug modes). */
static uintptr_t *alloc_one(int kind, unsigned cls, size_t bytes) {
  account(gc_class_size[cls]);
  span *s = take_span_or_collect(kind, cls, bytes);
  pthread_mutex_lock(&gc_heap_lock);
  uintptr_t *p = (uintptr_t *)s->freelist;
  size_t link = kind == KIND_SCAN ? 1 : 0;
  s->freelist = (void *)p[link];
  s->free_count--;
  if (s->freelist != NULL) gc_list_push(&gc_partial[kind][cls], s, ON_PARTIAL);
  pthread_mutex_unlock(&gc_heap_lock);
  if (gc_config.verify && !gc_poison_intact(p, s->obj_size, link + 1)) {
    asthra_panic_cstr("heap corruption: a freed GC object was written to", NULL);
  }
  memset(p, 0, s->obj_size);
  return p;
}

/* A slot of the class from this thread's free list, refilling it first. */
static uintptr_t *alloc_small(int kind, unsigned cls, size_t bytes) {
  asthra__gc_mutator *m = &asthra__gc_self;
  check_thread(m);
  if (gc_debug_alloc) return alloc_one(kind, cls, bytes);
  size_t link = kind == KIND_SCAN ? 1 : 0;
  while (m->free[kind][cls] == NULL) {
    span *s = take_span_or_collect(kind, cls, bytes);
    m->free[kind][cls] = s->freelist;
    uint64_t got = (uint64_t)s->free_count * s->obj_size;
    s->freelist = NULL;
    s->free_count = 0;
    /* A collection started here empties the list again: loop. */
    account(got);
  }
  uintptr_t *p = (uintptr_t *)m->free[kind][cls];
  m->free[kind][cls] = (void *)p[link];
  p[link] = 0;
  return p;
}

/* A large object of `bytes` (header or spare byte included); `asked` is
 * what the program asked for, for the out-of-memory message. */
static void *alloc_large(size_t bytes, size_t asked, int kind, uintptr_t layout) {
  check_thread(&asthra__gc_self);
  size_t npages = (bytes + GC_PAGE_SIZE - 1) >> GC_PAGE_SHIFT;
  account((uint64_t)npages * GC_PAGE_SIZE);
  pthread_mutex_lock(&gc_heap_lock);
  span *s = gc_pages_alloc(npages, SPAN_LARGE, kind == KIND_SCAN);
  pthread_mutex_unlock(&gc_heap_lock);
  if (s == NULL) {
    gc_collect("heap limit");
    pthread_mutex_lock(&gc_heap_lock);
    s = gc_pages_alloc(npages, SPAN_LARGE, kind == KIND_SCAN);
    pthread_mutex_unlock(&gc_heap_lock);
    if (s == NULL) gc_out_of_memory(asked);
  }
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
  uintptr_t *p = alloc_small(KIND_SCAN, asthra__gc_size_class[(total + 7) >> 3], n);
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
  unsigned cls = asthra__gc_size_class[(total + 7) >> 3];
  asthra__gc_mutator *m = &asthra__gc_self;
  uintptr_t *p = (uintptr_t *)m->free[KIND_NOSCAN][cls];
  if (ASTHRA_LIKELY(p != NULL)) {
    m->free[KIND_NOSCAN][cls] = (void *)p[0];
    return p;
  }
  return alloc_small(KIND_NOSCAN, cls, n);
}

void *asthra_gc_alloc_noscan(size_t n) {
  void *p = asthra__gc_alloc_noscan_raw(n);
  memset(p, 0, n);
  return p;
}
