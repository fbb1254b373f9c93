/* The seed's `process_data` (memory-management.md, "FFI Transfer Semantics"):
   it takes ownership of `output` (frees it) and returns a new malloc'ed
   record owned by the caller, here one byte: the length of `input`. */
#include <stdlib.h>
#include <string.h>

void *process_data(const unsigned char *input, unsigned char *output) {
  free(output);
  unsigned char *r = malloc(1);
  if (r) *r = (unsigned char)strlen((const char *)input);
  return r;
}
