/*
 * threads in C, the baseline for threads.asthra: four POSIX threads each
 * build, check and drop ITERATIONS binary trees while one tree stays alive.
 * malloc, mimalloc and jemalloc are thread-safe with per-thread caches;
 * under Boehm (-DBENCH_GC) the threads are created through Boehm's
 * pthread_create wrapper so it can stop and scan them.
 */
#define BENCH_THREADS 1
#include <pthread.h>

#include "../common/alloc.h"

typedef struct node {
  struct node *left, *right;
} node;

static node *make(int d) {
  node *n = B_ALLOC(sizeof *n);
  if (d == 0) {
    n->left = n->right = NULL;
  } else {
    n->left = make(d - 1);
    n->right = make(d - 1);
  }
  return n;
}

static long check(const node *n) {
  long c = 1;
  if (n->left) c += check(n->left);
  if (n->right) c += check(n->right);
  return c;
}

static void drop(node *n) {
  if (n->left) drop(n->left);
  if (n->right) drop(n->right);
  B_FREE(n);
}

typedef struct {
  int depth;
  long iterations, total;
} task;

static void *work(void *arg) {
  task *t = arg;
  t->total = 0;
  for (long i = 0; i < t->iterations; i++) {
    node *n = make(t->depth);
    t->total += check(n);
    if (!B_USES_GC) drop(n);
  }
  return NULL;
}

int main(int argc, char **argv) {
  B_INIT();
  int depth = (int)b_arg(argc, argv, 1, 14);
  long iterations = b_arg(argc, argv, 2, 400);
  node *long_lived = make(depth + 2);
  pthread_t threads[4];
  task tasks[4];
  for (int i = 0; i < 4; i++) {
    tasks[i] = (task){depth, iterations, 0};
    if (pthread_create(&threads[i], NULL, work, &tasks[i]) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
  printf("4 tasks x %ld trees of depth %d check: %ld %ld %ld %ld\n", iterations,
         depth, tasks[0].total, tasks[1].total, tasks[2].total, tasks[3].total);
  printf("long lived tree of depth %d check: %ld\n", depth + 2, check(long_lived));
  if (!B_USES_GC) drop(long_lived);
  return 0;
}
