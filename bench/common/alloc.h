/*
 * alloc.h: the allocator a C baseline is built against, chosen at compile
 * time, so that one C source per benchmark serves four baselines:
 *
 *   -DBENCH_GC       Boehm's collector (libgc, defaults: GC_INIT, no tuning);
 *                    B_FREE does nothing, the collector reclaims
 *   (no macro)       malloc/free, from glibc, or from mimalloc or jemalloc
 *                    when the program is linked with -lmimalloc or
 *                    -ljemalloc (both replace malloc and free)
 *
 * B_ALLOC is for objects that may hold pointers (GC_MALLOC scans them),
 * B_ALLOC_ATOMIC for pointer-free bytes (GC_MALLOC_ATOMIC never scans them;
 * neither is zeroed by malloc, so callers that need zeroes say so with
 * B_CALLOC_ATOMIC, the way Asthra's allocate_slice is zeroed).
 * Allocation failure aborts: a benchmark never runs on with NULL.
 * A multi-threaded benchmark defines BENCH_THREADS before including this,
 * so that Boehm knows its threads (GC_THREADS).
 */
#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_GC
#ifdef BENCH_THREADS
#define GC_THREADS 1 /* gc.h then redirects pthread_create to Boehm's */
#endif
#include <gc/gc.h>
#define B_INIT() GC_INIT()
#define B_RAW_ALLOC(n) GC_MALLOC(n)
#define B_RAW_ALLOC_ATOMIC(n) GC_MALLOC_ATOMIC(n)
#define B_FREE(p) ((void)(p))
#define B_USES_GC 1
#else
#define B_INIT() ((void)0)
#define B_RAW_ALLOC(n) malloc(n)
#define B_RAW_ALLOC_ATOMIC(n) malloc(n)
#define B_FREE(p) free(p)
#define B_USES_GC 0
#endif

static inline void *b_check(void *p, size_t n) {
  if (p == NULL && n != 0) {
    fprintf(stderr, "out of memory allocating %zu bytes\n", n);
    abort();
  }
  return p;
}

#define B_ALLOC(n) b_check(B_RAW_ALLOC(n), (n))
#define B_ALLOC_ATOMIC(n) b_check(B_RAW_ALLOC_ATOMIC(n), (n))

static inline void *B_CALLOC_ATOMIC(size_t n) {
#ifdef BENCH_GC
  void *p = B_ALLOC_ATOMIC(n);
  memset(p, 0, n);
  return p;
#else
  return b_check(calloc(1, n), n);
#endif
}

/* The first argument as an integer, or `fallback` without one. */
static inline long b_arg(int argc, char **argv, int i, long fallback) {
  return argc > i ? strtol(argv[i], NULL, 10) : fallback;
}

#endif /* BENCH_ALLOC_H */
