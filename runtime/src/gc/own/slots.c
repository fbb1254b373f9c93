/*
 * slots.c: which slots of a span are free, and poisoning them.
 *
 * There is no sweep phase. After a collection a small span's free slots
 * are exactly its unmarked ones (while a concurrent mark runs, those that
 * are neither marked nor in the snapshot of the slots in use when it
 * started: heap.h); a thread takes them 64 at a time as a
 * bitmap (gc_free_bits) and zeroes each slot as it hands it out (the inline
 * fast path in runtime.h). Dead objects are never touched until their slot
 * is reused, so reclaiming costs nothing per dead object — the lazy
 * free-list sweep this replaced read and rewrote every dead slot, 22% of
 * binary-trees' time (Go's allocBits work the same way).
 *
 * What an unallocated slot of a scanned span holds: zeros (a span is
 * cleared when made from recycled pages) or a dead object with its valid
 * layout word. Either is safe for the marker to meet through a stale
 * pointer: a zero header is skipped, a dead object is scanned (and kept one
 * more cycle). Under ASTHRA_GC_VERIFY every free slot instead holds a zero
 * header and the poison pattern, written at each collection and on new
 * spans, and the debug allocator checks the pattern before it hands a slot
 * out: a write through a dangling pointer is caught at the slot's reuse.
 */
#include <string.h>

#include "gc/own/heap.h"

#define POISON_BYTE 0xA5

/* Eight mark bytes read as one word (atomically: helper markers may be
 * setting some of them). */
typedef uint64_t __attribute__((may_alias)) eight_marks;

uint64_t gc_marked_bits(const span *s, uint32_t group) {
  uint32_t first = group * 64u;
  uint64_t bits = 0;
  /* Marks are 0/1 bytes: gather eight at a time into a byte of bits. */
  for (uint32_t j = 0; j < 64u && first + j < s->nobjs; j += 8) {
    /* The marks are 8-aligned; said so, or clang sees a byte's alignment and
     * calls libatomic's __atomic_load_8, which we do not link. */
    const eight_marks *word = __builtin_assume_aligned(&s->marks[first + j], 8);
    uint64_t eight = __atomic_load_n(word, __ATOMIC_RELAXED);
    bits |= ((eight * UINT64_C(0x0102040810204080)) >> 56) << j;
  }
  return bits;
}

uint64_t gc_free_of_marked(const span *s, uint32_t group, uint64_t marked) {
  uint32_t n = s->nobjs - group * 64u;
  uint64_t valid = n >= 64u ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
  if (gc_marking_concurrently) marked |= s->snapshot[group];
  return ~marked & valid;
}

uint64_t gc_free_bits(const span *s, uint32_t group) {
  return gc_free_of_marked(s, group, gc_marked_bits(s, group));
}

void gc_poison_slot(uintptr_t *slot, size_t size) {
  memset(slot, POISON_BYTE, size);
  slot[0] = 0;
}

bool gc_poison_intact(const uintptr_t *slot, size_t size) {
  if (slot[0] != 0) return false;
  const unsigned char *b = (const unsigned char *)slot;
  for (size_t i = GC_WORD; i < size; i++) {
    if (b[i] != POISON_BYTE) return false;
  }
  return true;
}

void gc_poison_free_slots(span *s) {
  for (uint32_t g = 0; g * 64u < s->nobjs; g++) {
    for (uint64_t b = gc_free_bits(s, g); b != 0; b &= b - 1) {
      uint32_t i = g * 64u + (uint32_t)__builtin_ctzll(b);
      gc_poison_slot((uintptr_t *)(s->start + (uintptr_t)i * s->obj_size), s->obj_size);
    }
  }
}
