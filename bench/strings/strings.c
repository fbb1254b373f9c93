/*
 * strings in C, the baseline for strings.asthra: the same lines, built
 * the same way, as immutable strings: each piece is formatted into a stack
 * buffer (no allocation, as a C programmer would), then line + piece is a
 * new allocation holding a copy of both, and the old line is freed (or,
 * under Boehm, dropped). Asthra also allocates for each integer it formats
 * and each `+` inside the piece; the C version does not.
 */
#include <stdint.h>

#include "../common/alloc.h"

typedef struct {
  char *ptr;
  size_t len;
} str;

static str concat(str a, const char *b, size_t blen) {
  str s = {B_ALLOC_ATOMIC(a.len + blen), a.len + blen};
  memcpy(s.ptr, a.ptr, a.len);
  memcpy(s.ptr + a.len, b, blen);
  return s;
}

int main(int argc, char **argv) {
  B_INIT();
  long lines = b_arg(argc, argv, 1, 200000);
  uint64_t total = 0, hash = 0;
  for (long i = 0; i < lines; i++) {
    str line = {NULL, 0};
    for (long k = 0; k < 24; k++) {
      char piece[64];
      int n = snprintf(piece, sizeof piece, "item%ld=%ld; ", i * 24 + k, k * k);
      str next = concat(line, piece, (size_t)n);
      B_FREE(line.ptr);
      line = next;
    }
    total += line.len;
    for (size_t j = 0; j < line.len; j++) {
      hash = (hash * 31 + (unsigned char)line.ptr[j]) & 0xFFFFFFFFu;
    }
    B_FREE(line.ptr);
  }
  printf("lines %ld bytes %llu hash %llu\n", lines, (unsigned long long)total,
         (unsigned long long)hash);
  return 0;
}
