/*
 * os.c: the small layer of operating-system primitives the rest of the
 * runtime is written against (the mimalloc `os.c` idea: every raw OS call
 * that more than one module needs lives here, once).
 *
 * Everything here is async-signal-safe unless it says otherwise, because
 * the fatal-signal handler reuses it: number-to-text conversion without
 * stdio, write(2) loops that survive EINTR and short writes.
 *
 * Randomness comes from getrandom(2), which never returns predictable
 * bytes once the kernel pool is initialised (it blocks until then, which
 * only matters in very early boot). getrandom returns at most 32 MiB per
 * call and may be interrupted, so callers loop until the buffer is full;
 * on kernels without the syscall we fall back to /dev/urandom. If neither
 * works, asthra_fill_random panics: silently returning weak randomness to a
 * program that asked for key material is not an option.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

size_t asthra__page_size(void) {
  static atomic_size_t cached;
  size_t p = atomic_load_explicit(&cached, memory_order_relaxed);
  if (p == 0) {
    long v = sysconf(_SC_PAGESIZE);
    p = v > 0 ? (size_t)v : 4096;
    atomic_store_explicit(&cached, p, memory_order_relaxed);
  }
  return p;
}

void asthra__write_all(int fd, const void *buf, size_t len) {
  const char *p = (const char *)buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* nothing sensible left to do with an error on stderr */
    }
    p += n;
    len -= (size_t)n;
  }
}

size_t asthra__utoa(uint64_t v, char *buf) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

size_t asthra__itoa(int64_t v, char *buf) {
  if (v >= 0) return asthra__utoa((uint64_t)v, buf);
  buf[0] = '-';
  /* 0 - (uint64_t)v is |v| even for INT64_MIN. */
  return 1 + asthra__utoa((uint64_t)0 - (uint64_t)v, buf + 1);
}

size_t asthra__hextoa(uint64_t v, char *buf) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v != 0);
  buf[0] = '0';
  buf[1] = 'x';
  for (size_t i = 0; i < n; i++) buf[2 + i] = tmp[n - 1 - i];
  return n + 2;
}

static bool urandom_fill(uint8_t *p, size_t len) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return false;
    }
    p += n;
    len -= (size_t)n;
  }
  close(fd);
  return true;
}

bool asthra__os_random(void *buf, size_t len) {
  uint8_t *p = (uint8_t *)buf;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOSYS) return urandom_fill(p, len);
      return false;
    }
    p += n;
    len -= (size_t)n;
  }
  return true;
}

void asthra_fill_random(asthra_slice bytes, const asthra_loc *loc) {
  if (bytes.len == 0) return;
  asthra__secure_check_not_freed(bytes.ptr, bytes.len, loc);
  if (!asthra__os_random(bytes.ptr, bytes.len)) {
    asthra_panic_cstr("fill_random: the kernel's random source is unavailable",
                      loc);
  }
}
