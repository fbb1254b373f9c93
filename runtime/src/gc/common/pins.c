/*
 * pins.c: the table of pinned ranges (asthra_pin), shared by both
 * collectors, which call it under their own lock and scan every range
 * conservatively at each collection.
 *
 * A hash map {start -> length} with open addressing and linear probing;
 * deletion shifts later entries back, so there are no tombstones. Pinning
 * a start twice stores one entry (the later length), so one unpin removes
 * it. Its memory is malloc's: the table is never itself scanned.
 */
#include <stdlib.h>

#include "gc/common/gc_common.h"

typedef struct pin_entry {
  uintptr_t start; /* 0 = empty slot */
  size_t len;
} pin_entry;

static pin_entry *pins;
static size_t pins_cap, pins_count;

static size_t pin_hash(uintptr_t p, size_t cap) {
  uint64_t h = (uint64_t)p * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 17) & (cap - 1);
}

static size_t pin_probe(const pin_entry *t, size_t cap, uintptr_t p) {
  size_t i = pin_hash(p, cap);
  while (t[i].start != 0 && t[i].start != p) i = (i + 1) & (cap - 1);
  return i;
}

bool asthra__pins_put(uintptr_t start, size_t len) {
  if ((pins_count + 1) * 2 > pins_cap) {
    size_t cap = pins_cap ? pins_cap * 2 : 64;
    pin_entry *t = (pin_entry *)calloc(cap, sizeof *t);
    if (t == NULL) return false;
    for (size_t i = 0; i < pins_cap; i++) {
      if (pins[i].start != 0) t[pin_probe(t, cap, pins[i].start)] = pins[i];
    }
    free(pins);
    pins = t;
    pins_cap = cap;
  }
  size_t i = pin_probe(pins, pins_cap, start);
  if (pins[i].start == 0) pins_count++;
  pins[i].start = start;
  pins[i].len = len;
  return true;
}

void asthra__pins_remove(uintptr_t p) {
  if (pins_cap == 0) return;
  size_t mask = pins_cap - 1;
  size_t i = pin_probe(pins, pins_cap, p);
  if (pins[i].start == 0) return;
  pins[i].start = 0;
  pins_count--;
  for (size_t j = (i + 1) & mask; pins[j].start != 0; j = (j + 1) & mask) {
    size_t home = pin_hash(pins[j].start, pins_cap);
    bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!between) {
      pins[i] = pins[j];
      pins[j].start = 0;
      i = j;
    }
  }
}

void asthra__pins_each(void (*visit)(uintptr_t, size_t, void *), void *ctx) {
  for (size_t i = 0; i < pins_cap; i++) {
    if (pins[i].start != 0 && pins[i].len > 0) visit(pins[i].start, pins[i].len, ctx);
  }
}
