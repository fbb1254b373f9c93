/*
 * GCBench in C, the baseline for gcbench.asthra: Boehm's GCBench.c with
 * the changes the Asthra version makes (both passes build bottom-up,
 * checksums instead of times; see gcbench.asthra). With malloc the trees
 * are freed once touched; with Boehm (-DBENCH_GC) they are dropped.
 */
#include "../common/alloc.h"

typedef struct node {
  struct node *left, *right;
  int i, j;
} node;

static long tree_size(int d) { return (1L << (d + 1)) - 1; }

static node *make_tree(int d) {
  node *n = B_ALLOC(sizeof *n);
  if (d <= 0) {
    n->left = n->right = NULL;
    n->i = n->j = 0;
  } else {
    n->left = make_tree(d - 1);
    n->right = make_tree(d - 1);
    n->i = d;
    n->j = 0;
  }
  return n;
}

static long count(const node *n) {
  long c = 1;
  if (n->left) c += count(n->left);
  if (n->right) c += count(n->right);
  return c;
}

static void drop(node *n) {
  if (n->left) drop(n->left);
  if (n->right) drop(n->right);
  B_FREE(n);
}

static long touch_and_drop(node *n) {
  long s = n->i + (n->left ? n->left->i : 0);
  if (!B_USES_GC) drop(n);
  return s;
}

int main(int argc, char **argv) {
  B_INIT();
  int scale = (int)b_arg(argc, argv, 1, 0);
  int stretch_depth = 18 - scale, long_lived_depth = 16 - scale;
  long array_size = 500000;
  int min_depth = 4, max_depth = 16 - scale;

  node *stretch = make_tree(stretch_depth);
  printf("Stretching memory with a binary tree of depth %d: %ld nodes\n",
         stretch_depth, count(stretch));
  if (!B_USES_GC) drop(stretch);
  printf("Creating a long-lived binary tree of depth %d\n", long_lived_depth);
  node *long_lived = make_tree(long_lived_depth);
  printf("Creating a long-lived array of %ld doubles\n", array_size);
  double *array = B_CALLOC_ATOMIC((size_t)array_size * sizeof(double));
  for (long i = 0; i < array_size / 2; i++) array[i] = 1.0 / (double)i;
  for (int d = min_depth; d <= max_depth; d += 2) {
    long iterations = 2 * tree_size(stretch_depth) / tree_size(d), sum = 0;
    for (long i = 0; i < iterations; i++) {
      sum += touch_and_drop(make_tree(d));
      sum += touch_and_drop(make_tree(d));
    }
    printf("Creating %ld trees of depth %d twice: checksum %ld\n", iterations,
           d, sum);
  }
  /* Asthra prints 1/1000 as 0.001 (shortest round-trip form). */
  printf("Long-lived tree: %ld nodes; array[1000] = %.3f\n", count(long_lived),
         array[1000]);
  if (!B_USES_GC) {
    drop(long_lived);
    B_FREE(array);
  }
  return 0;
}
