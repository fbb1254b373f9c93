/*
 * heap.c: the arena, the page table, spans and the page heap.
 *
 * All collected memory lives in one arena reserved at start-up (64 GiB of
 * address space, PROT_READ|WRITE, MAP_NORESERVE: untouched pages cost
 * nothing). One range means "is this word a heap pointer?" is a subtraction
 * and a compare, and the page table, an array with one span pointer per
 * 8 KiB page, is indexed by the difference. The arena is carved from its
 * start by a bump pointer (gc_arena_used); pages never move.
 *
 * A span is a run of pages: free, the slots of one size class and kind
 * (small), or one large object. Free spans form the page heap: lists by
 * length (1..GC_FREE_EXACT pages exact, longer ones in one first-fit
 * list); freeing merges a span with free neighbours, found through the
 * page table, so free runs never sit side by side. A free span is `dirty`
 * when its pages may hold old data, and `released` when they were given
 * back with madvise(MADV_DONTNEED) (reading them gives zeros again, and
 * they no longer count toward RSS). The scavenger releases runs that have
 * stayed free through a whole collection cycle, so memory goes back to the
 * OS when the heap shrinks and is kept while the program reuses it
 * (releasing more eagerly made binary-trees fault 25 times as often).
 *
 * Invariants (asserted by the verifier in collect.c):
 *   - every page below gc_arena_used maps to exactly the span covering it;
 *   - no two free spans are adjacent;
 *   - in_use_bytes is the sum of in-use spans' sizes; mapped bytes are
 *     in-use plus free-not-released.
 * Span descriptors come from mmap'd batches and are recycled through a
 * free list; they are not in the arena, so the collector never scans them.
 * While a concurrent mark runs, helper markers read descriptors without a
 * lock: a span made then is `fresh`, stored before its state leaves
 * SPAN_FREE, and the helpers leave fresh spans alone (mark.c); a span in
 * use when the mark started keeps its fields until the final pause.
 *
 * The card table (runtime.h, asthra_gc_wrote) has one byte per 512 bytes
 * of the arena, reserved like the page table; the write barrier sets
 * bytes, minor collections read them (mark.c) and every collection clears
 * the used part (gc_clear_cards).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "gc/own/heap.h"

#define GC_FREE_EXACT 128u

uintptr_t gc_arena_lo;
uintptr_t gc_arena_used;
span **gc_page_table;
pthread_mutex_t gc_heap_lock = PTHREAD_MUTEX_INITIALIZER;
bool gc_marking_concurrently;

asthra__gc_card_table asthra__gc_cards;

static size_t arena_size;
static span *free_exact[GC_FREE_EXACT + 1]; /* by npages */
static span *free_long;                     /* npages > GC_FREE_EXACT */
static span *spare_descriptors;
static uint64_t in_use_bytes, free_unreleased_bytes;

void gc_list_push(span **head, span *s) {
  s->prev = NULL;
  s->next = *head;
  if (*head != NULL) (*head)->prev = s;
  *head = s;
}

void gc_list_remove(span **head, span *s) {
  if (s->prev != NULL) {
    s->prev->next = s->next;
  } else {
    *head = s->next;
  }
  if (s->next != NULL) s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

static void *reserve(size_t *size) {
  for (size_t n = *size; n >= ((size_t)1 << 30); n /= 2) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      *size = n;
      return p;
    }
  }
  return NULL;
}

void gc_heap_init(void) {
  size_t size = (size_t)64 << 30;
  void *arena = reserve(&size);
  if (arena == NULL) {
    asthra_panic_cstr("out of memory: cannot reserve address space for the heap", NULL);
  }
  /* Align the arena to a page so page indices are plain shifts. */
  gc_arena_lo = ((uintptr_t)arena + GC_PAGE_SIZE - 1) & ~(uintptr_t)(GC_PAGE_SIZE - 1);
  arena_size = size - (gc_arena_lo - (uintptr_t)arena);
  size_t table_bytes = (arena_size >> GC_PAGE_SHIFT) * sizeof(span *);
  void *table = mmap(NULL, table_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (table == MAP_FAILED) {
    asthra_panic_cstr("out of memory: cannot map the heap's page table", NULL);
  }
  gc_page_table = (span **)table;
  size_t card_bytes = arena_size >> GC_CARD_SHIFT;
  void *cards = mmap(NULL, card_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (cards == MAP_FAILED) {
    asthra_panic_cstr("out of memory: cannot map the heap's card table", NULL);
  }
  asthra__gc_cards.cards = (uint8_t *)cards;
  asthra__gc_cards.lo = gc_arena_lo;
  asthra__gc_cards.size = arena_size; /* last: the barrier is live from here */
}

void asthra__gc_wrote_range(uintptr_t offset, size_t n) {
  for (uintptr_t card = offset & ~(uintptr_t)(GC_CARD_SIZE - 1); card < offset + n; card += GC_CARD_SIZE) {
    asthra__gc_set_card(card);
  }
}

size_t gc_used_cards(void) { return (gc_arena_used + GC_CARD_SIZE - 1) >> GC_CARD_SHIFT; }

void gc_clear_cards(void) { memset(asthra__gc_cards.cards, 0, gc_used_cards()); }

/* Descriptors come in 64 KiB batches from mmap: outside the arena (never
 * scanned) and outside malloc, whose leak checkers would take descriptors
 * reachable only through the page table for leaks. */
static span *new_descriptor(void) {
  if (spare_descriptors == NULL) {
    size_t batch = (size_t)64 << 10;
    void *p = mmap(NULL, batch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) gc_out_of_memory(batch);
    span *d = (span *)p;
    for (size_t i = 0; i < batch / sizeof *d; i++) {
      d[i].next = spare_descriptors;
      spare_descriptors = &d[i];
    }
  }
  span *s = spare_descriptors;
  spare_descriptors = s->next;
  memset(s, 0, sizeof *s);
  return s;
}

static void drop_descriptor(span *s) {
  s->state = SPAN_FREE;
  s->next = spare_descriptors;
  spare_descriptors = s;
}

/* Maps n pages from `start` to s. */
static void map_pages(uintptr_t start, size_t n, span *s) {
  size_t first = (start - gc_arena_lo) >> GC_PAGE_SHIFT;
  for (size_t i = 0; i < n; i++) gc_page_table[first + i] = s;
}

static span **free_list_for(uint32_t npages) {
  return npages <= GC_FREE_EXACT ? &free_exact[npages] : &free_long;
}

static void free_insert(span *s) {
  s->state = SPAN_FREE;
  gc_list_push(free_list_for(s->npages), s);
  if (!s->released) free_unreleased_bytes += (uint64_t)s->npages * GC_PAGE_SIZE;
}

static void free_remove(span *s) {
  gc_list_remove(free_list_for(s->npages), s);
  if (!s->released) free_unreleased_bytes -= (uint64_t)s->npages * GC_PAGE_SIZE;
}

static span *free_neighbour(uintptr_t page_addr) {
  uintptr_t off = page_addr - gc_arena_lo;
  if (page_addr < gc_arena_lo || off >= gc_arena_used) return NULL;
  span *n = gc_page_table[off >> GC_PAGE_SHIFT];
  return n != NULL && n->state == SPAN_FREE ? n : NULL;
}

/* Merges the free run `hi`, which follows `lo`, with it (both off the
 * lists) and returns the merged run. The larger run's descriptor is kept,
 * so only the smaller's pages are remapped: remapping the whole merged run
 * at every merge made freeing a long row of spans quadratic (a 20 ms pause
 * in binary-trees-20). */
static span *merge(span *lo, span *hi) {
  span *keep = hi->npages > lo->npages ? hi : lo;
  span *gone = keep == hi ? lo : hi;
  keep->dirty = lo->dirty || hi->dirty;
  /* A merged run is released only if both halves were; otherwise it is
   * not (some pages hold memory), and the scavenger releases it later. */
  keep->released = lo->released && hi->released;
  if (gone->freed_epoch > keep->freed_epoch) keep->freed_epoch = gone->freed_epoch;
  keep->start = lo->start;
  keep->npages = lo->npages + hi->npages;
  map_pages(gone->start, gone->npages, keep);
  drop_descriptor(gone);
  return keep;
}

void gc_pages_free(span *s, bool dirty) {
  in_use_bytes -= (uint64_t)s->npages * GC_PAGE_SIZE;
  s->freed_epoch = __atomic_load_n(&gc_epoch, __ATOMIC_RELAXED);
  s->dirty = dirty;
  s->released = false;
  s->state = SPAN_FREE;
  span *before = s->start > gc_arena_lo ? free_neighbour(s->start - GC_PAGE_SIZE) : NULL;
  span *after = free_neighbour(s->start + (uintptr_t)s->npages * GC_PAGE_SIZE);
  if (before != NULL) {
    free_remove(before);
    s = merge(before, s);
  }
  if (after != NULL) {
    free_remove(after);
    s = merge(s, after);
  }
  free_insert(s);
}

/* Splits the last n pages off free span s (off the lists) and returns
 * them, unmapped (the caller maps them); the rest keeps s's descriptor (so
 * its pages need no remapping: taking one page at a time from a long run
 * stays linear) and goes back to the page heap. */
static span *split(span *s, uint32_t n) {
  if (s->npages == n) return s;
  span *tail = new_descriptor();
  s->npages -= n;
  tail->start = s->start + (uintptr_t)s->npages * GC_PAGE_SIZE;
  tail->npages = n;
  tail->dirty = s->dirty;
  tail->released = s->released;
  tail->freed_epoch = s->freed_epoch;
  free_insert(s);
  return tail;
}

static span *find_free(uint32_t n) {
  for (uint32_t k = n; k <= GC_FREE_EXACT; k++) {
    if (free_exact[k] != NULL) return free_exact[k];
  }
  for (span *s = free_long; s != NULL; s = s->next) {
    if (s->npages >= n) return s;
  }
  return NULL;
}

span *gc_pages_alloc(size_t npages, uint8_t state, bool need_zero) {
  if (npages == 0 || npages > (arena_size >> GC_PAGE_SHIFT)) return NULL;
  uint32_t n = (uint32_t)npages;
  uint64_t bytes = (uint64_t)n * GC_PAGE_SIZE;
  uint64_t limit = gc_config.cfg.max_heap;
  if (limit != 0 && in_use_bytes + bytes > limit) return NULL;
  span *s = find_free(n);
  if (s != NULL) {
    free_remove(s);
    s = split(s, n);
    if (need_zero && s->dirty && !s->released) memset((void *)s->start, 0, bytes);
  } else {
    if (gc_arena_used + bytes > arena_size) return NULL;
    s = new_descriptor();
    s->start = gc_arena_lo + gc_arena_used;
    s->npages = n;
    /* Fresh pages read as zero. An atomic store: asthra__gc_owns reads it
     * without heap_lock. */
    __atomic_store_n(&gc_arena_used, gc_arena_used + bytes, __ATOMIC_RELEASE);
  }
  s->dirty = s->released = false;
  s->next = s->prev = NULL;
  memset(s->marks, 0, sizeof s->marks);
  memset(s->snapshot, 0, sizeof s->snapshot);
  s->nmarked = 0;
  /* A concurrent marker may be reading this descriptor (as a free run's):
   * it must see `fresh` whenever it sees the new state. */
  __atomic_store_n(&s->fresh, gc_marking_concurrently, __ATOMIC_RELAXED);
  __atomic_store_n(&s->state, state, __ATOMIC_RELEASE);
  in_use_bytes += bytes;
  map_pages(s->start, s->npages, s);
  return s;
}

/* Releases the runs of one list that stayed free through a whole
 * collection cycle: the program did not need them, so it will not fault
 * them straight back in. */
static uint64_t release_list(span *s, uint64_t epoch, uint64_t budget) {
  uint64_t released = 0;
  for (; s != NULL && released < budget; s = s->next) {
    if (s->released || s->freed_epoch + 2 > epoch) continue;
    size_t bytes = (size_t)s->npages * GC_PAGE_SIZE;
    if (madvise((void *)s->start, bytes, MADV_DONTNEED) != 0) continue;
    s->released = true;
    s->dirty = false;
    free_unreleased_bytes -= bytes;
    released += bytes;
  }
  return released;
}

/* At most GC_SCAVENGE_BUDGET bytes per collection: madvise runs inside the
 * pause (releasing 70 MiB at once made a 9 ms one in binary-trees-20); the
 * rest goes at the next collections. */
#define GC_SCAVENGE_BUDGET ((uint64_t)16 << 20)

uint64_t gc_pages_scavenge(void) {
  uint64_t epoch = __atomic_load_n(&gc_epoch, __ATOMIC_RELAXED);
  uint64_t released = release_list(free_long, epoch, GC_SCAVENGE_BUDGET);
  for (uint32_t k = 1; k <= GC_FREE_EXACT && released < GC_SCAVENGE_BUDGET; k++) {
    released += release_list(free_exact[k], epoch, GC_SCAVENGE_BUDGET - released);
  }
  return released;
}

uint64_t gc_heap_mapped(void) { return in_use_bytes + free_unreleased_bytes; }

void gc_each_span(void (*visit)(span *, void *), void *ctx) {
  uintptr_t a = gc_arena_lo, end = gc_arena_lo + gc_arena_used;
  while (a < end) {
    span *s = gc_page_table[(a - gc_arena_lo) >> GC_PAGE_SHIFT];
    uintptr_t next = s->start + (uintptr_t)s->npages * GC_PAGE_SIZE;
    if (s->state != SPAN_FREE) visit(s, ctx);
    a = next;
  }
}
