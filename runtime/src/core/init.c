/*
 * init.c: start-up and shutdown of an Asthra process.
 *
 * The compiler emits
 *
 *     int main(int argc, char **argv) {
 *       asthra_rt_init(argc, argv);
 *       <user main>
 *       return asthra_rt_finish(status);
 *     }
 *
 * asthra_rt_init runs, in this order: read and validate the ASTHRA_GC_*
 * environment (a malformed value is a usage error, exit 2, before anything
 * else happens); start the collector with those settings; install the
 * fatal-signal handlers and the main thread's alternate signal stack; and
 * register an atexit hook that zeroes secure memory, so a foreign `exit()`
 * (libc.exit from Asthra code, or C code) still wipes secrets.
 *
 * Shutdown has two doors: falling off main (asthra_rt_finish, which returns
 * the status for main to return) and `exit(n)` (asthra_exit). Both flush
 * stdout first and zero secure memory; the ASTHRA_GCSTATS summary is an
 * atexit hook, so it follows these and a foreign `exit()` alike. Panics
 * are the third door (panic.c, _exit) and skip it.
 *
 * Invariant: init is idempotent and runs on the main thread before any
 * other runtime call that allocates; the unit tests call it from a static
 * initialiser in each test file, with argc 0.
 *
 * The environment (memory-model.md §6):
 *   ASTHRA_GC_PERCENT   integer >= 10 (default 100) or "off"
 *   ASTHRA_GC_MAX_HEAP  bytes, optionally with a K, M or G suffix (binary)
 *   ASTHRA_GCSTATS=1    summary at exit; ASTHRA_GCTRACE=1 a line per GC
 * How the percentage maps onto the collector is gc/gc.c's business.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static atomic_bool initialised;
static int saved_argc;
static char **saved_argv;

static _Noreturn void bad_env(const char *name, const char *value,
                              const char *why) {
  fprintf(stderr, "asthra: invalid %s=%s: %s\n", name, value, why);
  exit(ASTHRA__USAGE_STATUS);
}

/* A flag variable is on unless unset, empty or "0". */
static bool env_flag(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/* Parse an unsigned decimal prefix of s; *end is set past it. Returns false
 * when there is no digit or the value does not fit in 64 bits. */
static bool parse_u64(const char *s, uint64_t *out, const char **end) {
  uint64_t v = 0;
  const char *p = s;
  if (!isdigit((unsigned char)*p)) return false;
  for (; isdigit((unsigned char)*p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  *end = p;
  return true;
}

static void read_gc_percent(asthra__gc_config *cfg) {
  static const char name[] = "ASTHRA_GC_PERCENT";
  const char *v = getenv(name);
  cfg->automatic = true;
  cfg->percent = 100;
  if (v == NULL) return;
  if (strcmp(v, "off") == 0) {
    cfg->automatic = false;
    return;
  }
  uint64_t n;
  const char *end;
  if (!parse_u64(v, &n, &end) || *end != '\0') {
    bad_env(name, v, "expected an integer >= 10 or `off`");
  }
  if (n < 10) bad_env(name, v, "must be at least 10 (or `off`)");
  if (n > 1000000) bad_env(name, v, "must be at most 1000000");
  cfg->percent = (uint32_t)n;
}

static void read_gc_max_heap(asthra__gc_config *cfg) {
  static const char name[] = "ASTHRA_GC_MAX_HEAP";
  const char *v = getenv(name);
  cfg->max_heap = 0;
  cfg->max_heap_text = NULL;
  if (v == NULL) return;
  uint64_t n;
  const char *end;
  if (!parse_u64(v, &n, &end)) {
    bad_env(name, v, "expected a byte count such as 67108864, 64M or 1G");
  }
  unsigned shift = 0;
  switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default:
      bad_env(name, v, "unknown suffix (use K, M or G, binary units)");
  }
  if (*end != '\0') bad_env(name, v, "unknown suffix (use K, M or G, binary units)");
  if (n == 0) bad_env(name, v, "must be greater than zero");
  if (shift != 0 && n > (UINT64_MAX >> shift)) bad_env(name, v, "too large");
  cfg->max_heap = n << shift;
  cfg->max_heap_text = v;
}

/* A positive count from the environment (0 when unset). */
static uint64_t read_count(const char *name, uint64_t max) {
  const char *v = getenv(name);
  if (v == NULL) return 0;
  uint64_t n;
  const char *end;
  if (!parse_u64(v, &n, &end) || *end != '\0' || n == 0 || n > max) {
    char why[64];
    snprintf(why, sizeof why, "expected an integer from 1 to %" PRIu64, max);
    bad_env(name, v, why);
  }
  return n;
}

static void zero_secure_at_exit(void) { asthra__secure_zero_all(); }

/* An atexit handler, so the summary also follows C's exit() called from
 * Asthra (`libc.exit(3)`); a panic ends with _exit and prints none (it
 * takes no lock, core/panic.c). */
static void print_stats_at_exit(void) {
  asthra__flush_stdout(false);
  asthra__gc_print_summary();
}

void asthra_rt_init(int argc, char **argv) {
  if (atomic_exchange(&initialised, true)) return;
  saved_argc = argc > 0 && argv != NULL ? argc : 0;
  saved_argv = argv;

  asthra__gc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  read_gc_percent(&cfg);
  read_gc_max_heap(&cfg);
  cfg.trace = env_flag("ASTHRA_GCTRACE");
  cfg.stats = env_flag("ASTHRA_GCSTATS");
  cfg.stress = read_count("ASTHRA_GC_STRESS", UINT32_MAX);
  cfg.verify = env_flag("ASTHRA_GC_VERIFY");
  cfg.markers = (unsigned)read_count("ASTHRA_GC_MARKERS", 64);
  cfg.concurrent = env_flag("ASTHRA_GC_CONCURRENT");

  asthra__gc_init(&cfg);
  asthra__os_install_signals();
  atexit(zero_secure_at_exit);
  if (cfg.stats) atexit(print_stats_at_exit);
}

static void shutdown_common(void) {
  asthra__flush_stdout(false);
  asthra__secure_zero_all();
}

int asthra_rt_finish(int status) {
  asthra__tasks_join_all();  /* the program waits for tasks still running */
  shutdown_common();
  return status;
}

_Noreturn void asthra_exit(int32_t status) {
  shutdown_common();
  exit(status);
}

asthra_slice asthra_args(void) {
  int argc = saved_argc;
  asthra_slice out = asthra_slice_alloc((size_t)argc, sizeof(asthra_string),
                                        ASTHRA_GC_LAYOUT(2, 1));
  asthra_string *elems = (asthra_string *)out.ptr;
  for (int i = 0; i < argc; i++) {
    const char *a = saved_argv[i] != NULL ? saved_argv[i] : "";
    elems[i] = asthra_cstr_to_string((const uint8_t *)a, NULL);
    asthra_gc_wrote(&elems[i], sizeof elems[i]); /* `out` may be old by now */
  }
  return out;
}
