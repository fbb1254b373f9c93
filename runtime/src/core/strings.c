/*
 * strings.c: operations on Asthra strings and the program's text output.
 *
 * An asthra_string is an immutable {ptr, len} view of UTF-8 bytes with no
 * terminator. Immutability is what lets these routines share instead of
 * copy: concatenating with an empty string returns the other operand, and
 * a substring (slice/slice.c) is a view of the same bytes. New text always
 * lives in pointer-free GC memory (asthra__gc_alloc_noscan_raw), so the
 * collector never scans string contents.
 *
 * Comparison is bytewise (memcmp order, then length), which for UTF-8 is
 * also code-point order. `ptr` may be NULL when `len` is 0; no routine
 * here passes such a pointer to a libc function.
 *
 * Output: asthra_log writes to C's stdout, which stays buffered (fully when
 * it is a pipe or file, by line on a terminal). Every door out of the
 * process (finish, exit, panic, fatal signal) flushes it first. Each log
 * call holds the stdout lock for its whole line, so lines from concurrent
 * tasks never interleave.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

asthra_string asthra_str_concat(asthra_string a, asthra_string b) {
  if (a.len == 0) return b;
  if (b.len == 0) return a;
  if (a.len > SIZE_MAX - b.len) {
    asthra_panic_cstr("out of memory: string concatenation is too long", NULL);
  }
  uint8_t *p = (uint8_t *)asthra__gc_alloc_noscan_raw(a.len + b.len);
  memcpy(p, a.ptr, a.len);
  memcpy(p + a.len, b.ptr, b.len);
  return (asthra_string){p, a.len + b.len};
}

bool asthra_str_eq(asthra_string a, asthra_string b) {
  if (a.len != b.len) return false;
  if (a.len == 0 || a.ptr == b.ptr) return true;
  return memcmp(a.ptr, b.ptr, a.len) == 0;
}

int32_t asthra_str_cmp(asthra_string a, asthra_string b) {
  size_t n = a.len < b.len ? a.len : b.len;
  if (n > 0 && a.ptr != b.ptr) {
    int c = memcmp(a.ptr, b.ptr, n);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  if (a.len == b.len) return 0;
  return a.len < b.len ? -1 : 1;
}

void asthra_log(asthra_string s) {
  flockfile(stdout);
  if (s.len > 0) fwrite_unlocked(s.ptr, 1, s.len, stdout);
  putc_unlocked('\n', stdout);
  funlockfile(stdout);
}

void asthra_log_level(asthra_string level, asthra_string msg) {
  flockfile(stdout);
  putc_unlocked('[', stdout);
  if (level.len > 0) fwrite_unlocked(level.ptr, 1, level.len, stdout);
  putc_unlocked(']', stdout);
  putc_unlocked(' ', stdout);
  if (msg.len > 0) fwrite_unlocked(msg.ptr, 1, msg.len, stdout);
  putc_unlocked('\n', stdout);
  funlockfile(stdout);
}
