/* Sets ASTHRA_GC_MAX_HEAP before main() runs (the golden runner has no
 * per-test environment): a constructor runs before asthra_rt_init reads it. */
#include <stdlib.h>

__attribute__((constructor)) static void set_heap_limit(void) {
  setenv("ASTHRA_GC_MAX_HEAP", "16M", 1);
}
