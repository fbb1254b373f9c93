/*
 * secure.c: memory for secrets (memory-model.md §5).
 *
 * Each secure buffer of n bytes gets a mapping of its own:
 *
 *   | guard | slack+canary |<------- n bytes ------->| guard |
 *   ^ map_base            ^ buf                     ^ data_end
 *   PROT_NONE   PROT_READ|PROT_WRITE (data pages)     PROT_NONE
 *
 * The buffer ENDS exactly at the trailing guard page, so the first byte
 * written past the end faults (os/signals.c reports "secure buffer
 * overflow"). When n is not a multiple of the page size the slack in front
 * of the buffer holds a canary derived from a per-process random key and
 * the slack byte's address; asthra_secure_free checks it, so an underflow
 * that stays inside the first data page is still caught (a panic). The data
 * pages are mlock'ed (a failure is reported once, with RLIMIT_MEMLOCK and
 * how to raise it; the buffer still works) and marked MADV_DONTDUMP. The
 * collector never sees these mappings: they hold bytes, not references.
 *
 * Freeing zeroes the buffer, unlocks it, discards the pages and makes the
 * whole reservation PROT_NONE *without unmapping it*: a dangling slice then
 * faults ("use of freed secure buffer") instead of reaching memory the
 * address space has reused. The price is address space (not RAM) for every
 * buffer ever allocated; discarded PROT_NONE neighbours merge into one VMA.
 *
 * The registry. Every block is a node in an append-only, lock-free singly
 * linked list (`all_blocks`): nodes are published with a release store and
 * never freed, so the fatal-signal handler can walk the list without a lock
 * to classify a faulting address and to zero live buffers
 * (asthra__secure_zero_all runs at exit, at panic and on fatal signals).
 * Exact lookup for asthra_secure_free goes through a hash table keyed by
 * the buffer's start address, guarded by `registry_lock`; it holds live
 * blocks only. A block's `state` (LIVE -> FREEING -> FREED) is atomic: the
 * handler zeroes only LIVE blocks, and a block leaves LIVE before its pages
 * change protection, so the handler never writes to a page being revoked.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

enum { BLOCK_LIVE = 0, BLOCK_FREEING = 1, BLOCK_FREED = 2 };

typedef struct secure_block {
  struct secure_block *next; /* immutable once published */
  uintptr_t map_base;        /* leading guard page */
  size_t map_len;            /* guards included */
  uintptr_t data_lo;         /* first data page */
  uintptr_t data_end;        /* == trailing guard page == buf + len */
  uintptr_t buf;             /* start of the user's bytes */
  size_t len;
  atomic_int state;
} secure_block;

static _Atomic(secure_block *) all_blocks;

/* ---- live-block hash table (open addressing, linear probing) -------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static secure_block **table; /* capacity is a power of two; NULL = empty */
static size_t table_cap, table_count;

static size_t hash_ptr(uintptr_t p, size_t cap) {
  uint64_t h = (uint64_t)p * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 17) & (cap - 1);
}

static void table_insert_raw(secure_block **t, size_t cap, secure_block *b) {
  size_t i = hash_ptr(b->buf, cap);
  while (t[i] != NULL) i = (i + 1) & (cap - 1);
  t[i] = b;
}

static void table_insert(secure_block *b) {
  if ((table_count + 1) * 2 > table_cap) {
    size_t cap = table_cap ? table_cap * 2 : 64;
    secure_block **t = (secure_block **)calloc(cap, sizeof *t);
    if (t == NULL) {
      asthra_panic_cstr("out of memory: secure memory registry", NULL);
    }
    for (size_t i = 0; i < table_cap; i++) {
      if (table[i] != NULL) table_insert_raw(t, cap, table[i]);
    }
    free(table);
    table = t;
    table_cap = cap;
  }
  table_insert_raw(table, table_cap, b);
  table_count++;
}

static secure_block *table_find(uintptr_t buf, size_t *slot) {
  if (table_cap == 0) return NULL;
  for (size_t i = hash_ptr(buf, table_cap); table[i] != NULL;
       i = (i + 1) & (table_cap - 1)) {
    if (table[i]->buf == buf) {
      *slot = i;
      return table[i];
    }
  }
  return NULL;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void table_remove(size_t slot) {
  size_t mask = table_cap - 1;
  size_t i = slot;
  table[i] = NULL;
  for (size_t j = (i + 1) & mask; table[j] != NULL; j = (j + 1) & mask) {
    size_t home = hash_ptr(table[j]->buf, table_cap);
    /* Move table[j] into the hole if its home is not in (i, j]. */
    bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!between) {
      table[i] = table[j];
      table[j] = NULL;
      i = j;
    }
  }
  table_count--;
}

/* ---- canary ----------------------------------------------------------- */

static uint8_t canary_key[32];
static pthread_once_t canary_once = PTHREAD_ONCE_INIT;

static void canary_init(void) {
  if (!asthra__os_random(canary_key, sizeof canary_key)) {
    /* No kernel randomness: fall back to an address-derived key, which
     * still catches accidental underflows. */
    uint64_t k = (uint64_t)(uintptr_t)&canary_key ^ UINT64_C(0xA5A5A5A55A5A5A5A);
    for (size_t i = 0; i < sizeof canary_key; i++) {
      canary_key[i] = (uint8_t)(k >> (8 * (i % 8))) ^ (uint8_t)i;
    }
  }
}

static uint8_t canary_byte(uintptr_t addr) {
  return (uint8_t)(canary_key[addr % sizeof canary_key] ^ (uint8_t)(addr >> 5) ^
                   0x5C);
}

/* ---- mlock reporting -------------------------------------------------- */

static atomic_bool mlock_reported;

static void report_mlock_failure(int err) {
  if (atomic_exchange(&mlock_reported, true)) return;
  struct rlimit rl;
  char limit[64] = "unknown";
  if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
    if (rl.rlim_cur == RLIM_INFINITY) {
      snprintf(limit, sizeof limit, "unlimited");
    } else {
      snprintf(limit, sizeof limit, "%" PRIu64 " bytes (%" PRIu64 " KiB)",
               (uint64_t)rl.rlim_cur, (uint64_t)rl.rlim_cur / 1024);
    }
  }
  fprintf(stderr,
          "asthra: warning: secure memory could not be locked into RAM "
          "(mlock: %s); it may be swapped to disk.\n"
          "asthra: RLIMIT_MEMLOCK is %s; raise it with `ulimit -l <KiB>` (or "
          "`ulimit -l unlimited`) in the shell that starts the program, or "
          "with a memlock entry in /etc/security/limits.conf.\n",
          strerror(err), limit);
}

/* ---- allocation --------------------------------------------------------- */

asthra_slice asthra_allocate_secure(size_t n, const asthra_loc *loc) {
  pthread_once(&canary_once, canary_init);
  size_t page = asthra__page_size();
  size_t data_pages = n == 0 ? 1 : n / page + (n % page != 0);
  if (data_pages > SIZE_MAX / page - 2) {
    asthra_panic_cstr("out of memory: secure buffer too large", loc);
  }
  /* Locked into RAM, the buffer must fit in it: mlock (which succeeds for
   * root whatever the size) would fault in every page and wake the OOM
   * killer instead of panicking. */
  long phys_pages = sysconf(_SC_PHYS_PAGES);
  if (phys_pages > 0 && data_pages > (size_t)phys_pages) {
    asthra_panic_cstr("out of memory: secure buffer larger than the machine's memory", loc);
  }
  size_t data_len = data_pages * page;
  size_t map_len = data_len + 2 * page;

  void *base = mmap(NULL, map_len, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    asthra_panic_cstr("out of memory: could not map secure memory", loc);
  }
  uintptr_t data_lo = (uintptr_t)base + page;
  if (mprotect((void *)data_lo, data_len, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, map_len);
    asthra_panic_cstr("out of memory: could not map secure memory", loc);
  }
  if (mlock((void *)data_lo, data_len) != 0) report_mlock_failure(errno);
#ifdef MADV_DONTDUMP
  madvise((void *)data_lo, data_len, MADV_DONTDUMP);
#endif

  secure_block *b = (secure_block *)calloc(1, sizeof *b);
  if (b == NULL) {
    munlock((void *)data_lo, data_len);
    munmap(base, map_len);
    asthra_panic_cstr("out of memory: secure memory registry", loc);
  }
  b->map_base = (uintptr_t)base;
  b->map_len = map_len;
  b->data_lo = data_lo;
  b->data_end = data_lo + data_len;
  b->buf = b->data_end - n;
  b->len = n;
  atomic_init(&b->state, BLOCK_LIVE);
  for (uintptr_t a = data_lo; a < b->buf; a++) *(uint8_t *)a = canary_byte(a);

  pthread_mutex_lock(&registry_lock);
  table_insert(b);
  b->next = atomic_load_explicit(&all_blocks, memory_order_relaxed);
  atomic_store_explicit(&all_blocks, b, memory_order_release);
  pthread_mutex_unlock(&registry_lock);

  return (asthra_slice){(void *)b->buf, n};
}

void asthra__secure_check_not_freed(const void *p, size_t n, const asthra_loc *loc) {
  if (n == 0 || atomic_load_explicit(&all_blocks, memory_order_acquire) == NULL) return;
  if (asthra__secure_classify((uintptr_t)p) == ASTHRA__SECURE_FAULT_FREED) {
    asthra_panic_cstr("use of freed secure buffer", loc);
  }
}

void asthra_secure_zero(void *p, size_t n, const asthra_loc *loc) {
  if (n == 0) return;
  if (p == NULL) asthra_panic_cstr("secure_zero: null pointer with a non-zero length", loc);
  asthra__secure_check_not_freed(p, n, loc);
  explicit_bzero(p, n);
}

/* Is b's whole mapping (guards included) the home of s's pointer? */
static secure_block *find_any_block(uintptr_t p) {
  for (secure_block *b = atomic_load_explicit(&all_blocks, memory_order_acquire);
       b != NULL; b = b->next) {
    if (p >= b->map_base && p < b->map_base + b->map_len) return b;
  }
  return NULL;
}

bool asthra__secure_owns(const void *p) { return find_any_block((uintptr_t)p) != NULL; }

void asthra_secure_free(asthra_slice s, const asthra_loc *loc) {
  uintptr_t p = (uintptr_t)s.ptr;
  pthread_mutex_lock(&registry_lock);
  size_t slot = 0;
  secure_block *b = table_find(p, &slot);
  if (b == NULL || b->len != s.len) {
    pthread_mutex_unlock(&registry_lock);
    secure_block *any = b != NULL ? b : find_any_block(p);
    if (any != NULL &&
        atomic_load_explicit(&any->state, memory_order_acquire) != BLOCK_LIVE) {
      asthra_panic_cstr("secure_free: secure buffer already freed", loc);
    }
    asthra_panic_cstr(any != NULL
                          ? "secure_free: not a secure slice (a part of one: "
                            "free the whole slice that allocate_secure returned)"
                          : "secure_free: not a secure slice",
                      loc);
  }
  table_remove(slot);
  atomic_store_explicit(&b->state, BLOCK_FREEING, memory_order_seq_cst);
  pthread_mutex_unlock(&registry_lock);

  bool canary_ok = true;
  for (uintptr_t a = b->data_lo; a < b->buf; a++) {
    if (*(volatile uint8_t *)a != canary_byte(a)) canary_ok = false;
  }
  size_t data_len = b->data_end - b->data_lo;
  explicit_bzero((void *)b->data_lo, data_len);
  munlock((void *)b->data_lo, data_len);
  madvise((void *)b->data_lo, data_len, MADV_DONTNEED);
#ifdef MADV_DODUMP
  /* The pages are now empty; clearing the flag lets the kernel merge the
   * reservation with its guards (and freed neighbours) into one mapping. */
  madvise((void *)b->data_lo, data_len, MADV_DODUMP);
#endif
  mprotect((void *)b->data_lo, data_len, PROT_NONE);
  atomic_store_explicit(&b->state, BLOCK_FREED, memory_order_release);
  if (!canary_ok) {
    asthra_panic_cstr(
        "secure buffer underflow: the canary before the buffer was "
        "overwritten (detected by secure_free)",
        loc);
  }
}

/* ---- signal-time services ------------------------------------------------ */

void asthra__secure_zero_all(void) {
  for (secure_block *b = atomic_load_explicit(&all_blocks, memory_order_acquire);
       b != NULL; b = b->next) {
    if (atomic_load_explicit(&b->state, memory_order_acquire) == BLOCK_LIVE &&
        b->len > 0) {
      explicit_bzero((void *)b->buf, b->len);
    }
  }
}

asthra__secure_fault asthra__secure_classify(uintptr_t addr) {
  size_t page = asthra__page_size();
  for (secure_block *b = atomic_load_explicit(&all_blocks, memory_order_acquire);
       b != NULL; b = b->next) {
    if (addr < b->map_base || addr >= b->map_base + b->map_len) continue;
    if (atomic_load_explicit(&b->state, memory_order_acquire) != BLOCK_LIVE) {
      return ASTHRA__SECURE_FAULT_FREED;
    }
    if (addr < b->map_base + page || addr >= b->data_end) {
      return ASTHRA__SECURE_FAULT_GUARD;
    }
    return ASTHRA__SECURE_FAULT_NONE;
  }
  return ASTHRA__SECURE_FAULT_NONE;
}
