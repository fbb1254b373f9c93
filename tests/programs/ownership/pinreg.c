/* A foreign library that hands out pointers into its own static memory
   (the pinned_struct_* and c_struct_* tests). */
#include <stdint.h>
#include <stdlib.h>

struct reg { uint32_t v; };
static struct reg the_reg = {7};

struct reg *get_reg(void) { return &the_reg; }

/* A record the caller may free (its struct is `#[ownership(c)]` in Asthra). */
struct rec { int32_t n; };
struct rec *make_rec(int32_t n) {
  struct rec *r = malloc(sizeof *r);
  if (r) r->n = n;
  return r;
}
