/*
 * churn in C, the baseline for churn.asthra: the same table, the same
 * random steps and sizes, zeroed buffers (calloc, or GC_MALLOC_ATOMIC and
 * memset under Boehm). With malloc the replaced buffer is freed; under
 * Boehm the table itself is GC_MALLOC'd so the collector scans it.
 */
#include <stdint.h>

#include "../common/alloc.h"

#define SLOTS 32768

typedef struct {
  uint8_t *ptr;
  size_t len;
} buf;

int main(int argc, char **argv) {
  B_INIT();
  long steps = b_arg(argc, argv, 1, 20000000);
  buf *table = B_ALLOC(SLOTS * sizeof *table);
  for (size_t i = 0; i < SLOTS; i++) table[i] = (buf){NULL, 0};
  uint64_t x = 88172645463325252u, checksum = 0;
  for (long step = 0; step < steps; step++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t slot = (size_t)((x >> 20) & (SLOTS - 1));
    size_t size = 16 + (size_t)((x >> 40) & 255);
    if ((x & 63) == 0) size = 1024 + (size_t)((x >> 48) & 8191);
    buf old = table[slot];
    if (old.len > 0) {
      checksum += old.len + old.ptr[0] + old.ptr[old.len - 1];
      B_FREE(old.ptr);
    }
    uint8_t *fresh = B_CALLOC_ATOMIC(size);
    fresh[0] = (uint8_t)(x & 255);
    fresh[size - 1] = (uint8_t)((x >> 8) & 255);
    table[slot] = (buf){fresh, size};
  }
  uint64_t live = 0;
  for (size_t i = 0; i < SLOTS; i++) live += table[i].len;
  printf("steps %ld checksum %llu live bytes %llu\n", steps,
         (unsigned long long)checksum, (unsigned long long)live);
  if (!B_USES_GC) {
    for (size_t i = 0; i < SLOTS; i++) B_FREE(table[i].ptr);
    B_FREE(table);
  }
  return 0;
}
