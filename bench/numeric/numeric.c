/*
 * numeric in C, the baseline for numeric.asthra: the same matrix product
 * (i-k-j order) and sieve over arrays allocated once.
 */
#include <stdint.h>

#include "../common/alloc.h"

static void matmul(const int64_t *a, const int64_t *b, int64_t *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int64_t *crow = c + i * n;
    const int64_t *arow = a + i * n;
    for (size_t k = 0; k < n; k++) {
      int64_t aik = arow[k];
      const int64_t *brow = b + k * n;
      for (size_t j = 0; j < n; j++) crow[j] += aik * brow[j];
    }
  }
}

static long sieve(size_t limit) {
  uint8_t *composite = B_CALLOC_ATOMIC(limit + 1);
  long count = 0;
  for (size_t p = 2; p <= limit; p++) {
    if (composite[p] == 0) {
      count++;
      for (size_t m = p * p; m <= limit; m += p) composite[m] = 1;
    }
  }
  B_FREE(composite);
  return count;
}

int main(int argc, char **argv) {
  B_INIT();
  size_t n = (size_t)b_arg(argc, argv, 1, 400);
  int64_t *a = B_CALLOC_ATOMIC(n * n * sizeof *a);
  int64_t *b = B_CALLOC_ATOMIC(n * n * sizeof *b);
  int64_t *c = B_CALLOC_ATOMIC(n * n * sizeof *c);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      a[i * n + j] = (int64_t)((i + 2 * j) % 100);
      b[i * n + j] = (int64_t)((3 * i + j) % 100);
    }
  }
  matmul(a, b, c, n);
  int64_t sum = 0, weighted = 0;
  for (size_t i = 0; i < n * n; i++) {
    sum += c[i];
    weighted = (weighted * 7 + c[i]) % 1000000007;
  }
  printf("matmul %zu: sum %lld weighted %lld\n", n, (long long)sum,
         (long long)weighted);
  printf("primes up to %zu: %ld\n", 10 * n * n, sieve(10 * n * n));
  B_FREE(a);
  B_FREE(b);
  B_FREE(c);
  return 0;
}
