/*
 * binary-trees in C, the baseline for binary_trees.asthra: the same trees,
 * the same walk, the same output. One node per allocation, leaves have
 * NULL children. With malloc the trees are freed after they are checked;
 * with Boehm (-DBENCH_GC) they are dropped and collected.
 */
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

static long check_and_drop(node *n) {
  long c = check(n);
  if (!B_USES_GC) drop(n);
  return c;
}

int main(int argc, char **argv) {
  B_INIT();
  int n = (int)b_arg(argc, argv, 1, 16);
  int min_depth = 4, max_depth = n < min_depth + 2 ? min_depth + 2 : n;
  printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1,
         check_and_drop(make(max_depth + 1)));
  node *long_lived = make(max_depth);
  for (int d = min_depth; d <= max_depth; d += 2) {
    long iterations = 1L << (max_depth - d + min_depth), total = 0;
    for (long i = 0; i < iterations; i++) total += check_and_drop(make(d));
    printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, total);
  }
  printf("long lived tree of depth %d\t check: %ld\n", max_depth,
         check_and_drop(long_lived));
  return 0;
}
