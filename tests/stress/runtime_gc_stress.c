/*
 * runtime_gc_stress.c: seeded stress test of the runtime's memory services.
 *
 * Each worker thread keeps a table of "slots" in GC memory and performs a
 * long random sequence of operations on it: allocate objects of random size
 * (tiny to several hundred KiB; with a precise layout, conservative, or
 * pointer-free), link them into chains, re-link chains into each other
 * (sharing, cycles), keep some reachable ONLY through an interior pointer
 * (as a sub-slice would), ONLY through a pinned C range (asthra_pin) or ONLY
 * from the C stack across collections, drop others, collect explicitly now
 * and then, block in "foreign" code (native state) while others collect,
 * and churn secure buffers. Every object carries its id and a payload
 * pattern derived from it; verifying a slot walks its chain and checks
 * every byte, so a collector that frees or reuses something still
 * reachable is caught as corruption.
 *
 * Usage:  runtime_gc_stress [seed] [iterations] [threads]
 * The seed is printed first; rerun with it to replay the same operations
 * (thread interleaving aside). Exit status 0 = no corruption, 1 = corruption
 * (the first bad object is described on stderr).
 *
 * ctest runs it against both collectors (gc_stress/own, gc_stress/boehm)
 * with fixed seeds; tools/gc-stress.sh runs long campaigns with new ones.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asthra/runtime.h"

enum { SLOTS = 256, PINNED_SLOTS = 32, MAX_CHAIN = 64 };

typedef struct obj {
  uint64_t id;
  uint64_t size;        /* payload bytes */
  struct obj *next;     /* chain (only in scanned objects) */
  uint64_t scanned;     /* whether `next` may be set */
  uint8_t payload[];
} obj;

/* Word 2 (`next`) of every 57-word stretch may be a pointer: exact for the
 * header, and payload words at those positions are harmless candidates. */
#define OBJ_LAYOUT ASTHRA_GC_LAYOUT(57, (uint64_t)1 << 2)

/* How a slot refers to its object. */
enum { REF_EMPTY, REF_DIRECT, REF_INTERIOR, REF_PINNED };

typedef struct worker {
  uint64_t rng;
  uint64_t next_id;
  long iterations;
  int index;
  /* GC-allocated (scanned) so the collector sees the references. */
  void **slots;         /* REF_DIRECT / REF_INTERIOR pointers */
  uint8_t *kind;        /* noscan: REF_* per slot */
  uint32_t *offset;     /* noscan: interior offset per slot */
  void **pinned;        /* malloc'd, pinned: REF_PINNED pointers */
  long checked, corrupt;
} worker;

static uint64_t next_rand(uint64_t *s) {
  /* splitmix64 */
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static uint8_t pattern(uint64_t id, uint64_t i) {
  return (uint8_t)((id * 31 + i * 7) ^ (id >> 8));
}

static size_t random_size(worker *w) {
  uint64_t r = next_rand(&w->rng) % 100;
  if (r < 60) return 8 + next_rand(&w->rng) % 120;
  if (r < 90) return 128 + next_rand(&w->rng) % 4000;
  if (r < 98) return 4096 + next_rand(&w->rng) % 60000;
  return 65536 + next_rand(&w->rng) % (400 * 1024);
}

static obj *make_obj(worker *w, obj *next) {
  size_t size = random_size(w);
  uint64_t how = next_rand(&w->rng) % 4;
  bool scanned = next != NULL || how != 0;
  obj *o = (obj *)(!scanned    ? asthra_gc_alloc_noscan(sizeof(obj) + size)
                   : how == 1 ? asthra_gc_alloc(sizeof(obj) + size)
                              : asthra_gc_alloc_typed(sizeof(obj) + size, OBJ_LAYOUT));
  o->scanned = scanned;
  o->id = ++w->next_id * 64 + (uint64_t)w->index;
  o->size = size;
  o->next = next;
  for (size_t i = 0; i < size; i++) o->payload[i] = pattern(o->id, i);
  return o;
}

static bool check_obj(worker *w, const obj *o, int slot) {
  for (int depth = 0; o != NULL && depth < MAX_CHAIN; depth++, o = o->next) {
    asthra_safepoint();
    w->checked++;
    for (uint64_t i = 0; i < o->size; i++) {
      if (o->payload[i] != pattern(o->id, i)) {
        fprintf(stderr,
                "CORRUPT: worker %d slot %d depth %d object id %" PRIu64
                " size %" PRIu64 " byte %" PRIu64 "\n",
                w->index, slot, depth, o->id, o->size, i);
        w->corrupt++;
        return false;
      }
    }
  }
  return true;
}

/* A pointer store into a GC object that may be old, as generated code
 * does it: the store, then the write barrier. */
static void store_ptr(void **field, void *value) {
  *field = value;
  asthra_gc_wrote(field, sizeof *field);
}

static const obj *slot_obj(worker *w, int s) {
  switch (w->kind[s]) {
    case REF_DIRECT: return (const obj *)w->slots[s];
    case REF_INTERIOR: return (const obj *)((char *)w->slots[s] - w->offset[s]);
    case REF_PINNED: return (const obj *)w->pinned[s % PINNED_SLOTS];
    default: return NULL;
  }
}

static void clear_slot(worker *w, int s) {
  if (w->kind[s] == REF_PINNED) w->pinned[s % PINNED_SLOTS] = NULL;
  w->slots[s] = NULL;
  w->kind[s] = REF_EMPTY;
}

static void step(worker *w) {
  int s = (int)(next_rand(&w->rng) % SLOTS);
  uint64_t op = next_rand(&w->rng) % 100;
  if (op < 55) {
    /* Replace the slot with a fresh chain of 1-4 objects. */
    clear_slot(w, s);
    obj *o = NULL;
    for (int n = 1 + (int)(next_rand(&w->rng) % 4); n > 0; n--) o = make_obj(w, o);
    uint64_t how = next_rand(&w->rng) % 10;
    if (how < 6) {
      store_ptr(&w->slots[s], o);
      w->kind[s] = REF_DIRECT;
    } else if (how < 9) {
      /* Only an interior pointer survives (a sub-slice of the payload). */
      uint32_t off = (uint32_t)(sizeof(obj) + next_rand(&w->rng) % (o->size + 1));
      store_ptr(&w->slots[s], (char *)o + off);
      w->offset[s] = off;
      w->kind[s] = REF_INTERIOR;
    } else if (w->pinned[s % PINNED_SLOTS] == NULL) {
      /* Only the pinned C range refers to it. */
      w->pinned[s % PINNED_SLOTS] = o;
      w->kind[s] = REF_PINNED;
    } else {
      store_ptr(&w->slots[s], o);
      w->kind[s] = REF_DIRECT;
    }
  } else if (op < 80) {
    check_obj(w, slot_obj(w, s), s);
  } else if (op < 85) {
    /* Share: hang another slot's chain (maybe this one: a cycle) here. */
    obj *o = (obj *)slot_obj(w, s);
    if (o != NULL && o->scanned) {
      store_ptr((void **)&o->next, (void *)slot_obj(w, (int)(next_rand(&w->rng) % SLOTS)));
    }
  } else if (op < 86) {
    /* A chain only this C frame refers to, across allocations and
     * collections (the slot is cleared first). */
    obj *held = (obj *)slot_obj(w, s);
    uint64_t offset = held != NULL ? next_rand(&w->rng) % (held->size + 1) : 0;
    volatile uintptr_t interior = held != NULL ? (uintptr_t)held + sizeof(obj) + offset : 0;
    held = NULL;
    clear_slot(w, s);
    for (int i = 0; i < 50; i++) make_obj(w, NULL);
    if (next_rand(&w->rng) % 4 == 0) asthra_gc_collect();
    if (interior != 0) check_obj(w, (const obj *)(interior - sizeof(obj) - offset), s);
  } else if (op < 87) {
    /* Foreign code that blocks: a collection must not wait for us. */
    asthra_enter_native();
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
    asthra_leave_native();
  } else if (op < 95) {
    clear_slot(w, s);
  } else if (op < 98) {
    asthra_slice sec = asthra_allocate_secure(1 + next_rand(&w->rng) % 9000, NULL);
    memset(sec.ptr, 0x3C, sec.len);
    asthra_secure_free(sec, NULL);
  } else if (op < 99) {
    /* Re-pin (counts once) to exercise the pin table. */
    asthra_pin(w->pinned, PINNED_SLOTS * sizeof(void *));
  } else if (next_rand(&w->rng) % 20 == 0) {
    asthra_gc_collect();
  }
}

static void *run_worker(void *arg) {
  worker *w = (worker *)arg;
  if (w->index != 0) {
    asthra_thread_attach(); /* as a C thread calling back does */
    asthra_callback_enter();
  }
  w->slots = (void **)asthra_gc_alloc(SLOTS * sizeof(void *));
  w->kind = (uint8_t *)asthra_gc_alloc_noscan(SLOTS);
  w->offset = (uint32_t *)asthra_gc_alloc_noscan(SLOTS * sizeof(uint32_t));
  w->pinned = (void **)calloc(PINNED_SLOTS, sizeof(void *));
  asthra_pin(w->pinned, PINNED_SLOTS * sizeof(void *));
  for (long i = 0; i < w->iterations; i++) {
    asthra_safepoint();
    step(w);
  }
  for (int s = 0; s < SLOTS; s++) check_obj(w, slot_obj(w, s), s);
  asthra_unpin(w->pinned);
  free(w->pinned);
  w->pinned = NULL;
  if (w->index != 0) asthra_callback_exit(1); /* detached at thread exit */
  return NULL;
}

int main(int argc, char **argv) {
  asthra_rt_init(argc, argv);
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0)
                           : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
  long iterations = argc > 2 ? strtol(argv[2], NULL, 0) : 200000;
  int threads = argc > 3 ? atoi(argv[3]) : 4;
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  printf("runtime_gc_stress seed=%" PRIu64 " iterations=%ld threads=%d\n", seed,
         iterations, threads);
  fflush(stdout);

  /* The workers live in C memory and hold the GC tables: pin them. */
  worker *ws = (worker *)calloc((size_t)threads, sizeof(worker));
  asthra_pin(ws, (size_t)threads * sizeof(worker));
  pthread_t *tids = (pthread_t *)calloc((size_t)threads, sizeof(pthread_t));
  for (int t = 0; t < threads; t++) {
    ws[t].rng = seed + (uint64_t)t * UINT64_C(0x632BE59BD9B4E019);
    ws[t].iterations = iterations;
    ws[t].index = t;
  }
  for (int t = 1; t < threads; t++) pthread_create(&tids[t], NULL, run_worker, &ws[t]);
  run_worker(&ws[0]);
  asthra_enter_native();
  for (int t = 1; t < threads; t++) pthread_join(tids[t], NULL);
  asthra_leave_native();

  long checked = 0, corrupt = 0;
  for (int t = 0; t < threads; t++) {
    checked += ws[t].checked;
    corrupt += ws[t].corrupt;
  }
  asthra_gc_stats st = asthra_gc_get_stats();
  printf("checked %ld objects, %ld corrupt; %" PRIu64 " collections, peak heap %" PRIu64
         " KiB, allocated %" PRIu64 " MiB, max pause %.3f ms\n",
         checked, corrupt, st.collections, st.peak_heap_bytes >> 10,
         st.allocated_bytes >> 20, (double)st.max_pause_ns / 1e6);
  if (corrupt != 0) printf("FAILED (replay with seed %" PRIu64 ")\n", seed);
  asthra_unpin(ws);
  free(ws);
  free(tids);
  return asthra_rt_finish(corrupt != 0 ? 1 : 0);
}
