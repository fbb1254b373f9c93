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
 * also code-point order. Iteration (`for c in s`) decodes one scalar at a
 * time (asthra_str_decode, inline for ASCII); invalid bytes, which only
 * foreign text can contain, decode as U+FFFD. `ptr` may be NULL when `len` is 0; no routine
 * here passes such a pointer to a libc function.
 *
 * Output: asthra_log writes to C's stdout, which stays buffered (fully when
 * it is a pipe or file, by line on a terminal). Every door out of the
 * process (finish, exit, panic, fatal or terminating signal) flushes it
 * first, and so do a foreign call (asthra_before_foreign_call: C may write
 * to fd 1 itself) and a read of stdin (a prompt shows before the wait). Each log
 * call holds the stdout lock for its whole line, so lines from concurrent
 * tasks never interleave.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

/* UTF-8 per RFC 3629 / Unicode Table 3-7: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Only the first byte is consumed on
 * an error, so decoding resynchronises at the next byte (as Go does). */
asthra_char asthra__str_decode_slow(asthra_string s, size_t i, size_t *next) {
  if (i >= s.len) asthra__panic_index_u(i, s.len, "string", NULL);
  const uint8_t *p = s.ptr + i;
  size_t left = s.len - i;
  uint8_t b0 = p[0];
  asthra_char c;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
  if (b0 < 0x80) {
    *next = i + 1;
    return b0;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    c = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;      /* no overlong */
    if (b0 == 0xED) hi = 0x9F;      /* no surrogates */
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    c = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;      /* no overlong */
    if (b0 == 0xF4) hi = 0x8F;      /* <= U+10FFFF */
  } else {
    goto invalid;
  }
  if (left < n || p[1] < lo || p[1] > hi) goto invalid;
  for (size_t k = 1; k < n; k++) {
    if ((p[k] & 0xC0) != 0x80) goto invalid;
    c = (c << 6) | (asthra_char)(p[k] & 0x3F);
  }
  *next = i + n;
  return c;
invalid:
  *next = i + 1;
  return 0xFFFD;
}

/* Tasks log concurrently: a line is written whole under `log_lock` (which
 * ThreadSanitizer understands; it does not model flockfile) and the stdio
 * lock (which the panic path's flush respects). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int asthra__stdout_pending;

void asthra__flush_pending_stdout(void) {
  __atomic_store_n(&asthra__stdout_pending, 0, __ATOMIC_RELAXED);
  fflush(stdout);
}

/* Text was buffered: the next foreign call (or read of stdin) flushes it. */
static void note_pending(void) { __atomic_store_n(&asthra__stdout_pending, 1, __ATOMIC_RELAXED); }

static void log_pieces(const asthra_string *pieces, size_t n) {
  pthread_mutex_lock(&log_lock);
  flockfile(stdout);
  for (size_t i = 0; i < n; i++)
    if (pieces[i].len > 0) fwrite_unlocked(pieces[i].ptr, 1, pieces[i].len, stdout);
  putc_unlocked('\n', stdout);
  funlockfile(stdout);
  pthread_mutex_unlock(&log_lock);
  note_pending();
}

void asthra_log(asthra_string s) { log_pieces(&s, 1); }

void asthra_log_level(asthra_string level, asthra_string msg) {
  asthra_string pieces[] = {{(const uint8_t *)"[", 1}, level, {(const uint8_t *)"] ", 2}, msg};
  log_pieces(pieces, 4);
}

asthra_string asthra_str_from_bytes(asthra_slice bytes) {
  if (bytes.len == 0) return (asthra_string){(const uint8_t *)"", 0};
  uint8_t *copy = asthra__gc_alloc_noscan_raw(bytes.len);
  memcpy(copy, bytes.ptr, bytes.len);
  return (asthra_string){copy, bytes.len};
}

/* stdlib/io: text to stdout without a newline, in order with `log`. */
void asthra_write_stdout(asthra_string s) {
  pthread_mutex_lock(&log_lock);
  flockfile(stdout);
  if (s.len > 0) fwrite_unlocked(s.ptr, 1, s.len, stdout);
  funlockfile(stdout);
  pthread_mutex_unlock(&log_lock);
  note_pending();
}

/* stdlib/io: one line of standard input without its line end; *eof is set
 * (and the result empty) at the end of input. */
asthra_string asthra_read_line(bool *eof) {
  fflush(stdout); /* a prompt written with print() shows before reading */
  /* Reading may block for ever: do it as native code (a collection does
   * not wait for this thread), into C memory, and copy afterwards. */
  char *line = NULL;
  size_t cap = 0;
  asthra_enter_native();
  ssize_t got = getline(&line, &cap, stdin);
  asthra_leave_native();
  size_t len = got > 0 ? (size_t)got : 0;
  *eof = got <= 0;
  if (len > 0 && line[len - 1] == '\n') len--;
  if (len > 0 && line[len - 1] == '\r') len--;
  uint8_t *buf = asthra__gc_alloc_noscan_raw(len);
  if (len > 0) memcpy(buf, line, len);
  free(line);
  return (asthra_string){buf, len};
}

/* *error = "WHAT `PATH`: strerror(errno)". The caller's variable lives in
 * a GC box (its address was taken) that may be old: the store takes the
 * write barrier. */
static void set_error(asthra_string *error, const char *what, const char *path_c) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s `%s`: %s", what, path_c, strerror(errno));
  size_t n = strlen(msg);
  uint8_t *copy = asthra__gc_alloc_noscan_raw(n);
  memcpy(copy, msg, n);
  *error = (asthra_string){copy, n};
  asthra_gc_wrote(error, sizeof *error);
}

/* stdlib/io: a whole file, or *error set (non-empty) on failure. */
asthra_string asthra_io_read_file(asthra_string path, asthra_string *error) {
  uint8_t *path_c = asthra_string_to_cstr(path);
  FILE *f = fopen((const char *)path_c, "rb");
  asthra_string out = {(const uint8_t *)"", 0};
  if (f == NULL) {
    set_error(error, "cannot open", (const char *)path_c);
    free(path_c);
    return out;
  }
  size_t cap = 4096, len = 0;
  uint8_t *buf = asthra__gc_alloc_noscan_raw(cap);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t *bigger = asthra__gc_alloc_noscan_raw(cap * 2);
      memcpy(bigger, buf, len);
      buf = bigger;
      cap *= 2;
    }
  }
  if (ferror(f)) set_error(error, "cannot read", (const char *)path_c);
  fclose(f);
  free(path_c);
  return (asthra_string){buf, len};
}

/* stdlib/io: writes (replaces) a file; false with *error set on failure. */
bool asthra_io_write_file(asthra_string path, asthra_string text, asthra_string *error) {
  uint8_t *path_c = asthra_string_to_cstr(path);
  FILE *f = fopen((const char *)path_c, "wb");
  bool ok = f != NULL && (text.len == 0 || fwrite(text.ptr, 1, text.len, f) == text.len);
  if (f != NULL && fclose(f) != 0) ok = false;
  if (!ok) set_error(error, "cannot write", (const char *)path_c);
  free(path_c);
  return ok;
}
