/*
 * sweep.c: turning a marked span back into free slots.
 *
 * A span is swept once after each collection, lazily: by the first thread
 * that needs a span of its class (alloc.c). Sweeping walks the mark bits;
 * every unmarked slot goes on the span's free list, in address order so
 * that allocation walks memory forwards. What a free slot holds:
 *   - scanned spans: all zero but word 1, the link. An unmarked slot whose
 *     header (word 0) is non-zero held an object and is cleared whole; one
 *     whose header is zero was already free and only its link is rewritten.
 *     Keeping free slots zero is what lets the fast path hand out a slot
 *     with two stores, and a zero header is how the marker knows a slot is
 *     free when a stale pointer leads it there.
 *   - pointer-free spans: word 0 is the link; the rest is whatever was there
 *     (asthra_gc_alloc_noscan clears, the _raw variant's callers overwrite).
 * Under ASTHRA_GC_VERIFY free slots are filled with a poison pattern past
 * their link (and zero header), which the debug allocator checks before
 * handing a slot out: a write through a dangling pointer is caught at the
 * next allocation of that slot.
 */
#include <string.h>

#include "gc/own/heap.h"

#define POISON_BYTE 0xA5

void gc_poison(void *p, size_t n) { memset(p, POISON_BYTE, n); }

bool gc_poison_intact(const void *p, size_t n, size_t skip) {
  const unsigned char *b = (const unsigned char *)p;
  for (size_t i = skip * GC_WORD; i < n; i++) {
    if (b[i] != POISON_BYTE) return false;
  }
  return true;
}

void gc_sweep_fresh_span(span *s) {
  const size_t size = s->obj_size;
  const size_t link = s->kind == KIND_SCAN ? 1 : 0;
  uintptr_t head = 0;
  for (uint32_t i = s->nobjs; i-- > 0;) {
    uintptr_t *slot = (uintptr_t *)(s->start + (uintptr_t)i * size);
    if (gc_config.verify) {
      gc_poison(slot, size);
      slot[0] = 0;
    }
    slot[link] = head;
    head = (uintptr_t)slot;
  }
  s->freelist = (void *)head;
  s->free_count = s->nobjs;
}

/* memset for the small slots that dominate sweeping, without a call. */
static inline void zero_slot(uintptr_t *slot, size_t size) {
  if (size <= 64) {
    for (size_t w = 0; w < size / GC_WORD; w++) slot[w] = 0;
  } else {
    memset(slot, 0, size);
  }
}

uint32_t gc_sweep_span(span *s) {
  const size_t size = s->obj_size;
  const bool scan = s->kind == KIND_SCAN;
  const size_t link = scan ? 1 : 0;
  const bool poison = gc_config.verify;
  uintptr_t head = 0;
  uint32_t nfree = 0;
  for (uint32_t i = s->nobjs; i-- > 0;) {
    if (gc_is_marked(s, i)) continue;
    uintptr_t *slot = (uintptr_t *)(s->start + (uintptr_t)i * size);
    if (poison) {
      gc_poison(slot, size);
      if (scan) slot[0] = 0;
    } else if (scan && slot[0] != 0) {
      zero_slot(slot, size);
    }
    slot[link] = head;
    head = (uintptr_t)slot;
    nfree++;
  }
  s->freelist = (void *)head;
  s->free_count = nfree;
  return nfree;
}
