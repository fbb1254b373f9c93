/*
 * slice.c: slices and strings as views, and the crossings between zones.
 *
 * A slice is a {ptr, len} header passed by value; `len` counts elements,
 * and the element size is a compile-time constant the compiler passes in.
 * Views never copy: s[lo:hi] points into the same memory, which for GC
 * memory is kept alive by the interior pointer (gc/gc.c guarantees interior
 * and one-past-the-end pointers count). Copies across zones are explicit:
 * asthra_to_c and asthra_string_to_cstr produce malloc'd memory the caller
 * owns (zone c), asthra_cstr_to_string produces a GC copy.
 *
 * Invariants kept here:
 *   - every size computation count * elem_size is overflow-checked; an
 *     overflow is "out of memory" (no such object could exist), never a
 *     wrapped small allocation;
 *   - a NULL pointer is only ever paired with length 0, and no pointer
 *     arithmetic is done on NULL (s[0:0] of an empty slice keeps ptr);
 *   - a zero-length allocation returns a non-NULL pointer (a static zero
 *     word, like Go's zerobase), so `.ptr` handed to C is never NULL for a
 *     slice Asthra allocated; `to_c` always mallocs at least one byte so
 *     `free(copy.ptr)` is uniform.
 *
 * Bounds-failure messages are part of the language (memory-model.md §4):
 * "slice bounds [3:9] out of range for slice of length 5" and, for
 * strings, "... for string of length N".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The address of every zero-length allocation. */
static uint64_t zerobase;

/* Whether 0 <= lo <= hi <= len, each bound signed or (its bit in
 * unsigned_bounds: 1 lo, 2 hi) unsigned. */
static bool bounds_fit(int64_t lo, int64_t hi, size_t len, unsigned unsigned_bounds) {
  if ((lo < 0 && !(unsigned_bounds & 1)) || (hi < 0 && !(unsigned_bounds & 2))) return false;
  return (uint64_t)lo <= (uint64_t)hi && (uint64_t)hi <= (uint64_t)len;
}

static void format_bound(char *buf, size_t size, int64_t v, bool is_unsigned) {
  if (is_unsigned) {
    snprintf(buf, size, "%" PRIu64, (uint64_t)v);
  } else {
    snprintf(buf, size, "%" PRId64, v);
  }
}

static _Noreturn void bounds_panic(int64_t lo, int64_t hi, unsigned unsigned_bounds, size_t len,
                                   const char *what, const asthra_loc *loc) {
  char lo_text[24], hi_text[24], buf[160];
  format_bound(lo_text, sizeof lo_text, lo, unsigned_bounds & 1);
  format_bound(hi_text, sizeof hi_text, hi, unsigned_bounds & 2);
  snprintf(buf, sizeof buf, "slice bounds [%s:%s] out of range for %s of length %zu", lo_text,
           hi_text, what, len);
  asthra_panic_cstr(buf, loc);
}

static size_t checked_bytes(size_t count, size_t elem_size, const char *what,
                            const asthra_loc *loc) {
  size_t bytes;
  if (__builtin_mul_overflow(count, elem_size, &bytes)) {
    char buf[160];
    snprintf(buf, sizeof buf,
             "out of memory: %s of %zu elements of %zu bytes is too large", what,
             count, elem_size);
    asthra_panic_cstr(buf, loc);
  }
  return bytes;
}

asthra_slice asthra_subslice(asthra_slice s, size_t elem_size, int64_t lo,
                             int64_t hi, unsigned unsigned_bounds,
                             const asthra_loc *loc) {
  if (!bounds_fit(lo, hi, s.len, unsigned_bounds)) {
    bounds_panic(lo, hi, unsigned_bounds, s.len, "slice", loc);
  }
  void *p = lo == 0 ? s.ptr : (void *)((char *)s.ptr + (size_t)lo * elem_size);
  return (asthra_slice){p, (size_t)(hi - lo)};
}

asthra_string asthra_substring(asthra_string s, int64_t lo, int64_t hi,
                               unsigned unsigned_bounds, const asthra_loc *loc) {
  if (!bounds_fit(lo, hi, s.len, unsigned_bounds)) {
    bounds_panic(lo, hi, unsigned_bounds, s.len, "string", loc);
  }
  const uint8_t *p = lo == 0 ? s.ptr : s.ptr + lo;
  return (asthra_string){p, (size_t)(hi - lo)};
}

asthra_slice asthra_slice_alloc(size_t count, size_t elem_size,
                                uintptr_t layout) {
  if (layout != 0 && ((layout & 1) == 0 || ((layout >> 1) & 63) == 0)) {
    asthra_panic_cstr("internal error: asthra_slice_alloc given an invalid layout word", NULL);
  }
  size_t bytes = checked_bytes(count, elem_size, "slice", NULL);
  if (bytes == 0) return (asthra_slice){&zerobase, count};
  void *p = layout != 0 ? asthra_gc_alloc_typed(bytes, layout) : asthra_gc_alloc_noscan(bytes);
  return (asthra_slice){p, count};
}

void asthra_free_c(void *p, const asthra_loc *loc) {
  if (p == (void *)&zerobase || asthra__gc_owns(p)) {
    asthra_panic_cstr("libc.free of GC memory: the collector reclaims it; free only memory from "
                      "malloc, calloc, realloc or strdup (zone c)", loc);
  }
  if (asthra__secure_owns(p)) {
    asthra_panic_cstr("libc.free of a secure buffer: release it with Asthra_runtime.secure_free", loc);
  }
  free(p);
}

ASTHRA__TLS_IE _Thread_local const asthra_loc *asthra__alloc_site;

asthra_slice asthra_allocate_slice(size_t n, const asthra_loc *loc) {
  asthra__alloc_site = loc;
  asthra_slice s = asthra_slice_alloc(n, 1, 0);
  asthra__alloc_site = NULL;
  return s;
}

asthra_slice asthra_slice_from_raw_parts(void *p, size_t len, size_t elem_size,
                                         int32_t ownership,
                                         const asthra_loc *loc) {
  if (ownership < ASTHRA_OWNERSHIP_GC || ownership > ASTHRA_OWNERSHIP_BORROWED) {
    char buf[96];
    snprintf(buf, sizeof buf, "slice_from_raw_parts: invalid ownership %" PRId32,
             ownership);
    asthra_panic_cstr(buf, loc);
  }
  if (p == NULL) {
    if (len > 0) {
      char buf[96];
      snprintf(buf, sizeof buf, "slice_from_raw_parts: null pointer with length %zu",
               len);
      asthra_panic_cstr(buf, loc);
    }
    return (asthra_slice){NULL, 0};
  }
  size_t bytes = checked_bytes(len, elem_size, "slice_from_raw_parts", loc);
  if (ownership == ASTHRA_OWNERSHIP_PINNED) asthra_pin(p, bytes);
  return (asthra_slice){p, len};
}

asthra_slice asthra_to_c(asthra_slice s, size_t elem_size) {
  size_t bytes = checked_bytes(s.len, elem_size, "to_c", NULL);
  void *p = malloc(bytes == 0 ? 1 : bytes);
  if (p == NULL) {
    char buf[96];
    snprintf(buf, sizeof buf, "out of memory: to_c could not malloc %zu bytes",
             bytes);
    asthra_panic_cstr(buf, NULL);
  }
  if (bytes > 0) memcpy(p, s.ptr, bytes);
  return (asthra_slice){p, s.len};
}

uint8_t *asthra_string_to_cstr(asthra_string s) {
  if (s.len == SIZE_MAX) {
    asthra_panic_cstr("out of memory: string_to_cstr: string too long", NULL);
  }
  uint8_t *p = (uint8_t *)malloc(s.len + 1);
  if (p == NULL) {
    char buf[96];
    snprintf(buf, sizeof buf,
             "out of memory: string_to_cstr could not malloc %zu bytes",
             s.len + 1);
    asthra_panic_cstr(buf, NULL);
  }
  if (s.len > 0) memcpy(p, s.ptr, s.len);
  p[s.len] = 0;
  return p;
}

asthra_string asthra_cstr_to_string(const uint8_t *p, const asthra_loc *loc) {
  if (p == NULL) asthra_panic_cstr("cstr_to_string: null pointer", loc);
  size_t n = strlen((const char *)p);
  if (n == 0) return (asthra_string){(const uint8_t *)&zerobase, 0};
  uint8_t *q = (uint8_t *)asthra__gc_alloc_noscan_raw(n);
  memcpy(q, p, n);
  return (asthra_string){q, n};
}
