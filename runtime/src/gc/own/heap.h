/*
 * heap.h: the runtime's own collector, what its files say to each other.
 * The design, its invariants and why are in docs/design/gc.md; each file's
 * essay says what it owns:
 *
 *   heap.c     the arena, the page table, spans and the page heap
 *   alloc.c    size classes, per-thread free lists, the allocation slow
 *              path, large objects, pacing
 *   slots.c    a span's free slots (its unmarked ones), poisoning
 *   mark.c     roots and (parallel) marking
 *   world.c    thread registry, safepoints, native state, stop-the-world
 *   collect.c  one collection from start to end, the heap verifier,
 *              statistics, the public asthra_gc_* entry points
 *
 * Locks, always taken in this order: gc_lock (world.c: one collection or
 * registry change at a time) then heap_lock (heap.c: spans and pages).
 * Nothing that can stop for a collection (a safepoint, an allocation) runs
 * while heap_lock is held.
 */
#ifndef ASTHRA_GC_OWN_HEAP_H
#define ASTHRA_GC_OWN_HEAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gc/common/gc_common.h"

#define GC_PAGE_SHIFT 13u
#define GC_PAGE_SIZE ((size_t)1 << GC_PAGE_SHIFT) /* 8 KiB */
#define GC_WORD sizeof(uintptr_t)
#define GC_MAX_SPAN_OBJECTS 512u /* 8 KiB of 16-byte slots */
#define GC_CARD_SHIFT ASTHRA__GC_CARD_SHIFT
#define GC_CARD_SIZE ((size_t)1 << GC_CARD_SHIFT) /* 512 bytes: within one page */

/* No sanitizer instruments the collector's reads of other threads' stacks
 * and of heap words: they are conservative by design. */
#define GC_NO_SANITIZE                                                     \
  __attribute__((no_sanitize_address, no_sanitize_thread,                   \
                 no_sanitize_undefined))

enum span_state { SPAN_FREE = 0, SPAN_SMALL = 1, SPAN_LARGE = 2 };
enum span_kind { KIND_NOSCAN = 0, KIND_SCAN = 1 };

/* A run of pages: free, one size class's slots, or one large object. Every
 * page of a span maps to it in the page table. */
typedef struct span {
  uintptr_t start;
  uint32_t npages;
  uint8_t state;     /* span_state */
  uint8_t kind;      /* span_kind (in-use spans) */
  uint8_t cls;       /* size class (small spans) */
  bool dirty;        /* free span: pages may hold old data (else zero) */
  bool released;     /* free span: pages given back to the OS */
  /* In-use span made while a concurrent mark runs: its objects are all
   * newer than the mark's roots, so the concurrent markers leave it alone
   * (mark.c) and the final pause marks it. Set before `state` leaves
   * SPAN_FREE (a release store), read after it (an acquire load). */
  bool fresh;
  uint32_t obj_size; /* bytes per slot; a large span's whole size */
  uint32_t nobjs;
  uint32_t magic;    /* slot index = (offset * magic) >> 32 */
  uint64_t freed_epoch; /* free span: the collection count when freed */
  uint32_t idle_cycles; /* small span: collections since a thread last took it */
  uint32_t nmarked;     /* in-use span: marked slots when last accounted */
  struct span *next, *prev;
  struct span *taken_next; /* gc_taken: allocated from since the last collection */
  /* One byte per slot, not one bit: parallel markers set them with plain
   * stores (no locked instruction; two markers racing on one slot both
   * scan it, which is harmless). */
  _Alignas(8) uint8_t marks[GC_MAX_SPAN_OBJECTS];
  /* While a concurrent mark runs: the slots in use when it started, one
   * bit each (its marks were the allocation state then, and are cleared
   * for the new mark); zero in a fresh span. A slot outside it is free or
   * holds an object made since, which the concurrent markers leave alone. */
  uint64_t snapshot[GC_MAX_SPAN_OBJECTS / 64];
} span;

/* ---- heap.c ------------------------------------------------------------ */

extern uintptr_t gc_arena_lo;       /* first byte of the arena */
extern uintptr_t gc_arena_used;     /* bytes handed out from its start */
extern span **gc_page_table;        /* page index -> span (or NULL) */
extern pthread_mutex_t gc_heap_lock;
extern uint64_t gc_epoch;           /* collections finished (gc_lock) */
/* A concurrent mark is running: new spans are `fresh` (set and cleared
 * with the world stopped, under gc_lock and heap_lock). */
extern bool gc_marking_concurrently;

void gc_heap_init(void);
/* The span holding address a, if a is inside a span in use; NULL if not. */
static inline span *gc_span_of(uintptr_t a) {
  uintptr_t off = a - gc_arena_lo;
  if (off >= gc_arena_used) return NULL;
  span *s = gc_page_table[off >> GC_PAGE_SHIFT];
  return s != NULL && s->state != SPAN_FREE ? s : NULL;
}
/* A zeroed run of n pages as an in-use span (heap_lock held); NULL when the
 * heap limit or the address space is exhausted. */
span *gc_pages_alloc(size_t npages, uint8_t state, bool need_zero);
/* Gives a span's pages back to the page heap (heap_lock held). */
void gc_pages_free(span *s, bool dirty);
/* Returns to the OS the free runs that stayed free through a whole
 * collection cycle, about 16 MiB at most (heap_lock held); the bytes
 * released. */
uint64_t gc_pages_scavenge(void);
/* Bytes of pages in spans or free but not released (what RSS can hold). */
uint64_t gc_heap_mapped(void);
/* Calls visit for every in-use span (heap_lock held or world stopped). */
void gc_each_span(void (*visit)(span *, void *), void *ctx);

/* Cards covering the arena's used part; clearing them (world stopped). */
size_t gc_used_cards(void);
void gc_clear_cards(void);

void gc_list_push(span **head, span *s);
void gc_list_remove(span **head, span *s);

/* ---- alloc.c ----------------------------------------------------------- */

#define GC_NUM_CLASSES ASTHRA__GC_CLASSES
extern uint8_t gc_class_pages[GC_NUM_CLASSES];

/* Per kind and class: spans with free slots that no thread holds
 * (heap_lock); rebuilt by every full collection, added to by minor ones. */
extern span *gc_partial[2][GC_NUM_CLASSES];
/* The spans threads took and the large objects allocated since the last
 * collection, linked by taken_next (heap_lock): the only spans whose marks
 * a minor collection can change (but for stale conservative pointers into
 * free slots, which only retain). */
extern span *gc_taken;

void gc_alloc_init(void);
/* Empties a thread's caches (world stopped, or the thread itself). */
void gc_flush_cache(asthra__gc_mutator *m);
/* Pacing, after a collection that left `marked_bytes` marked (while a
 * concurrent mark runs: marked when it started, plus the survivors since):
 * when the next collection starts and whether it is full (or, while
 * `marking`, finishes the mark). A full collection's heap goal grows from
 * `settled_live`: its live bytes, less those a concurrent mark may have
 * kept only because they died while it ran. */
void gc_set_trigger(uint64_t marked_bytes, bool full, bool marking, uint64_t settled_live);
bool gc_pacing_wants_full(void);
uint64_t gc_allocated_total(void);

/* ---- slots.c ----------------------------------------------------------- */

/* The marked slots of group `group` (slots 64g..64g+63) of s, one bit
 * each. */
uint64_t gc_marked_bits(const span *s, uint32_t group);
/* Its free slots: unmarked, and while a concurrent mark runs, not in the
 * snapshot either; gc_free_of_marked when the marked ones are known. */
uint64_t gc_free_bits(const span *s, uint32_t group);
uint64_t gc_free_of_marked(const span *s, uint32_t group, uint64_t marked);
/* ASTHRA_GC_VERIFY: a free slot holds a zero header and poison. */
void gc_poison_slot(uintptr_t *slot, size_t size);
bool gc_poison_intact(const uintptr_t *slot, size_t size);
void gc_poison_free_slots(span *s);

/* ---- mark.c ------------------------------------------------------------ */

typedef struct gc_mark_stack {
  uintptr_t *items;
  size_t len, cap;
} gc_mark_stack;

void gc_mark_init(void);
/* When a collection expects to mark fewer bytes of scanned objects than
 * this (a full one: what the last collection found marked; a minor one:
 * what the last minor one marked), one thread marks (waking helpers costs
 * more than they save). */
#define GC_PARALLEL_MARK_MIN_SCANNED ((uint64_t)2 << 20)
extern uint64_t gc_expected_mark_work; /* gc_lock */
/* Starts the helper markers once a full collection would mark
 * `scanned_live` bytes, enough for them (gc_lock held). */
void gc_start_markers_if_needed(uint64_t scanned_live);
/* Marks everything reachable from the roots (world stopped). A minor
 * collection keeps the old objects' marks and adds the old objects' words
 * on written cards to the roots. */
void gc_mark_all(bool minor);
/* Whether the helper markers run (so a full collection can mark
 * concurrently). */
bool gc_markers_started(void);
/* Marks the roots and hands the marking on to the helpers, which go on
 * while the world runs (world stopped, marks cleared; gc_wake_markers
 * wakes them once it runs). When they run out of work the last one calls
 * gc_finish_concurrent_mark. */
void gc_mark_start_concurrent(void);
void gc_wake_markers(void);
/* The final pause's marking (world stopped): stops the helpers' concurrent
 * marking where it is and marks the rest, from the roots, the objects on
 * cards written since the start and what the helpers had left. */
void gc_mark_finish_concurrent(void);
/* A minor collection's marking while a concurrent mark runs (world
 * stopped): traces the objects made since the mark started (young) from
 * the roots and from every object on a written card, and hands the older
 * objects it reaches to the concurrent mark. Cards stay set: the final
 * pause needs them. */
void gc_mark_young(void);
/* Bytes of young objects the minor collections during the running
 * concurrent mark marked (gc_lock; reset by the final pause's accounting). */
extern uint64_t gc_young_marked_bytes;
/* Whether the slot a candidate word w keeps alive (the one holding or
 * ending at w) is marked; true if there is none. */
bool gc_target_marked(uintptr_t w);
/* Slot index of address a in s. */
static inline uint32_t gc_slot_index(const span *s, uintptr_t a) {
  return (uint32_t)(((uint64_t)(a - s->start) * s->magic) >> 32);
}
static inline bool gc_is_marked(const span *s, uint32_t i) {
  return __atomic_load_n(&s->marks[i], __ATOMIC_RELAXED) != 0;
}
/* Whether slot i was in use when the running concurrent mark started. */
static inline bool gc_in_snapshot(const span *s, uint32_t i) {
  return ((s->snapshot[i / 64] >> (i % 64)) & 1) != 0;
}
/* Calls visit(word address) for every pointer word the layout of the
 * scanned slot at `slot` names (the verifier uses it). */
void gc_each_pointer_word(const span *s, uintptr_t slot,
                          void (*visit)(uintptr_t *, void *), void *ctx);

/* ---- world.c ----------------------------------------------------------- */

typedef struct gc_thread {
  asthra__gc_mutator *m;   /* the thread's asthra__gc_self */
  pthread_t thread;        /* for the signal that stops a leaf loop */
  uintptr_t stack_base;    /* highest address of its stack */
  struct gc_thread *next, *prev;
} gc_thread;

extern pthread_mutex_t gc_lock;
extern gc_thread *gc_threads;

void gc_world_init(void);
/* Registers the thread that calls asthra_rt_init, RUNNING. */
void gc_register_main_thread(void);
/* Stops every other registered thread (gc_lock held); returns how many. */
unsigned gc_stop_world(void);
/* Restarts the world and lets go of gc_lock. */
void gc_start_world_and_unlock(void);
/* Saves the calling thread's registers and stack pointer into its record,
 * for a collection it runs itself. */
void gc_save_own_context(void);
/* Takes gc_lock without holding up a collection another thread runs. */
void gc_lock_for_collection(void);

/* ---- collect.c ------------------------------------------------------- */

typedef struct gc_settings {
  asthra__gc_config cfg;
  uint64_t stress;   /* ASTHRA_GC_STRESS: collect every N allocations */
  bool verify;       /* ASTHRA_GC_VERIFY: check the heap at every collection */
  unsigned markers;  /* marking threads, the collector's included */
} gc_settings;
extern gc_settings gc_config;
/* Whether thread caches are bypassed (stress or verify: every allocation
 * takes the slow path, so it can count, check and poison). */
extern bool gc_debug_alloc;

/* Why a collection runs. Pacing and the heap limit are satisfied by a
 * collection another thread finished while this one waited; explicit and
 * stress collections always run. */
typedef enum gc_reason { GC_EXPLICIT, GC_STRESS, GC_PACING, GC_HEAP_LIMIT } gc_reason;
/* One collection (the caller does not hold gc_lock or heap_lock). */
void gc_collect(gc_reason why);
/* Ends the concurrent mark if one runs (a helper marker, once the marking
 * has run out of work). */
void gc_finish_concurrent_mark(void);
/* Takes gc_lock with no concurrent mark running (fork). */
void gc_lock_without_marking(void);
/* Out of memory: panics with the heap limit or the size asked for. */
_Noreturn void gc_out_of_memory(size_t bytes);

#endif
