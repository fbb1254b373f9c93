/*
 * asthra/runtime.h: the one public header of the Asthra runtime.
 *
 * The compiler translates an Asthra program to C11 and links it against
 * `asthra_rt`; everything the generated C may call is declared here, and
 * nothing else is public. The ABI is fixed by docs/design/runtime.md: value
 * types are passed by value (`asthra_string`, `asthra_slice` are two-word
 * headers), source locations are pointers to static constants emitted by the
 * compiler, and every function that can fail at run time panics (message on
 * stderr, exit status 101) instead of returning an error.
 *
 * Hot paths (bounds checks, integer arithmetic, float-to-int casts) are
 * `static inline` here so the C compiler can fold them; their failure paths
 * are out of line (`asthra__panic_*`, `asthra_panic_cstr`) so the inline part
 * stays one compare and one predictable branch. Nothing in this header has
 * C undefined behaviour for any argument: signed wrapping is done through
 * unsigned arithmetic, shifts are range-checked or masked, and float-to-int
 * casts saturate.
 *
 * The header compiles as C11 and as C++ (the unit tests include it), with
 * -Wall -Wextra -pedantic clean in both.
 *
 * Naming: `asthra_` is public ABI; `asthra__` (two underscores) is internal
 * to the runtime but has to be visible because inline code here calls it.
 */
#ifndef ASTHRA_RUNTIME_H
#define ASTHRA_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define ASTHRA_NORETURN [[noreturn]]
extern "C" {
#else
#define ASTHRA_NORETURN _Noreturn
#endif

#define ASTHRA_LIKELY(x) __builtin_expect(!!(x), 1)
#define ASTHRA_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------------ */
/* Core types                                                          */
/* ------------------------------------------------------------------ */

/* A source location; the compiler emits `static const` instances. */
typedef struct asthra_loc {
  const char *file;
  int32_t line;
  int32_t col;
} asthra_loc;

/* Immutable UTF-8 text, not NUL-terminated. `ptr` may be NULL when len == 0. */
typedef struct asthra_string {
  const uint8_t *ptr;
  size_t len;
} asthra_string;

/* A view of `len` ELEMENTS starting at `ptr`. */
typedef struct asthra_slice {
  void *ptr;
  size_t len;
} asthra_slice;

/* A Unicode scalar value. */
typedef uint32_t asthra_char;

/* Collector statistics; all byte counts in bytes, times in nanoseconds. */
typedef struct asthra_gc_stats {
  uint64_t collections;     /* completed collections since start-up */
  uint64_t heap_bytes;      /* heap currently obtained from the OS (mapped) */
  uint64_t live_bytes;      /* bytes in use after the last collection (approx.) */
  uint64_t allocated_bytes; /* cumulative bytes allocated since start-up */
  uint64_t peak_heap_bytes; /* largest heap_bytes ever seen */
  uint64_t total_pause_ns;  /* sum of collection pauses */
  uint64_t max_pause_ns;    /* longest collection pause */
  /* Appended after the seven fields memory-model.md §7 requires (those are
   * what the compiler's GcStats declares today). */
  uint64_t p50_pause_ns;    /* median pause (histogram, within 1.6%) */
  uint64_t p99_pause_ns;    /* 99th-percentile pause (nearest rank, ditto) */
  uint64_t total_mark_ns;   /* sum of the mark phases inside the pauses */
  uint64_t total_sweep_ns;  /* sum of the sweep work inside the pauses */
  uint64_t elapsed_ns;      /* wall time since asthra_rt_init; the GC share
                               of wall time is total_pause_ns / elapsed_ns */
} asthra_gc_stats;

/* Ownership zones for asthra_slice_from_raw_parts (memory-model.md §1). */
enum {
  ASTHRA_OWNERSHIP_GC = 0,
  ASTHRA_OWNERSHIP_C = 1,
  ASTHRA_OWNERSHIP_PINNED = 2,
  ASTHRA_OWNERSHIP_BORROWED = 3
};

#ifndef __cplusplus
/* A string literal as an asthra_string (C only: a compound literal). */
#define ASTHRA_STR(lit) \
  ((asthra_string){(const uint8_t *)("" lit), sizeof("" lit) - 1})
#endif

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

/* Generated main(): asthra_rt_init(argc, argv); <user main>;
 * return asthra_rt_finish(status);
 * asthra_rt_init reads the ASTHRA_GC* environment, starts the collector and
 * installs signal handlers. It is idempotent (later calls do nothing). */
void asthra_rt_init(int argc, char **argv);
/* Flushes stdout, zeroes live secure memory; returns `status` (the GC
 * statistics of ASTHRA_GCSTATS=1 follow at exit). */
int asthra_rt_finish(int status);
/* Flushes stdout, zeroes live secure memory and exits with `status`. */
ASTHRA_NORETURN void asthra_exit(int32_t status);

/* ------------------------------------------------------------------ */
/* Panics                                                              */
/* ------------------------------------------------------------------ */

/* Flushes stdout, prints "panic: <msg>\n  at <file>:<line>:<col>\n" to
 * stderr (no "at" line when loc is NULL), zeroes secure memory, _exit(101). */
ASTHRA_NORETURN void asthra_panic(asthra_string msg, const asthra_loc *loc);
ASTHRA_NORETURN void asthra_panic_cstr(const char *msg, const asthra_loc *loc);

/* Out-of-line failure paths of the inline helpers below. */
ASTHRA_NORETURN void asthra__panic_index_s(int64_t i, size_t len,
                                           const char *what,
                                           const asthra_loc *loc);
ASTHRA_NORETURN void asthra__panic_index_u(uint64_t i, size_t len,
                                           const char *what,
                                           const asthra_loc *loc);

/* ------------------------------------------------------------------ */
/* Bounds checks                                                       */
/* ------------------------------------------------------------------ */

/* `what` is "slice", "array" or "string". Returns i as an index. */
static inline size_t asthra_index_s(int64_t i, size_t len, const char *what,
                                    const asthra_loc *loc) {
  if (ASTHRA_UNLIKELY(i < 0 || (uint64_t)i >= (uint64_t)len)) {
    asthra__panic_index_s(i, len, what, loc);
  }
  return (size_t)i;
}

static inline size_t asthra_index_u(uint64_t i, size_t len, const char *what,
                                    const asthra_loc *loc) {
  if (ASTHRA_UNLIKELY(i >= (uint64_t)len)) {
    asthra__panic_index_u(i, len, what, loc);
  }
  return (size_t)i;
}

/* s[lo:hi] with 0 <= lo <= hi <= s.len, else panics
 * "slice bounds [lo:hi] out of range for slice of length N". A bound whose
 * bit is set in unsigned_bounds (1: lo, 2: hi) is read as uint64_t. */
asthra_slice asthra_subslice(asthra_slice s, size_t elem_size, int64_t lo,
                             int64_t hi, unsigned unsigned_bounds,
                             const asthra_loc *loc);
/* Same for strings (byte offsets; the message says "string"). */
asthra_string asthra_substring(asthra_string s, int64_t lo, int64_t hi,
                               unsigned unsigned_bounds, const asthra_loc *loc);

/* *p, with p checked: an address in the first page is a null pointer plus an
 * offset (`*(p + 8)`, a field of a null struct), which the fault handler
 * would also report, but without the source location. */
static inline void *asthra_nonnull(void *p, const asthra_loc *loc) {
  if (ASTHRA_UNLIKELY((uintptr_t)p < 4096)) {
    asthra_panic_cstr("null pointer dereference", loc);
  }
  return p;
}

/* ------------------------------------------------------------------ */
/* Integer arithmetic                                                  */
/* ------------------------------------------------------------------ */
/*
 * For T in i8 i16 i32 i64 u8 u16 u32 u64:
 *   checked (debug builds):  asthra_add_T asthra_sub_T asthra_mul_T (a, b, loc)
 *                            asthra_neg_T (a, loc)
 *                            asthra_shl_T asthra_shr_T (a, uint64_t n, loc)
 *                            asthra_div_T asthra_rem_T (a, b, loc)
 *   wrapping (release):      asthra_wadd_T asthra_wsub_T asthra_wmul_T (a, b)
 *                            asthra_wneg_T (a)
 *                            asthra_wshl_T asthra_wshr_T (a, uint64_t n)
 *                            asthra_wdiv_T asthra_wrem_T (a, b, loc)
 *   casts:                   asthra_f2i_T (double x): saturating, NaN -> 0
 * Wrapping arithmetic is computed in uint64_t (no integer promotion to a
 * signed type can overflow) and truncated; converting the result back to a
 * signed type is two's complement on every compiler we support.
 */

#define ASTHRA__MSG_ADD "attempt to add with overflow"
#define ASTHRA__MSG_SUB "attempt to subtract with overflow"
#define ASTHRA__MSG_MUL "attempt to multiply with overflow"
#define ASTHRA__MSG_NEG "attempt to negate with overflow"
#define ASTHRA__MSG_SHL "attempt to shift left with overflow"
#define ASTHRA__MSG_SHR "attempt to shift right with overflow"
#define ASTHRA__MSG_DIV0 "attempt to divide by zero"
#define ASTHRA__MSG_REM0 \
  "attempt to calculate the remainder with a divisor of zero"
#define ASTHRA__MSG_DIVOVF "attempt to divide with overflow"
#define ASTHRA__MSG_REMOVF "attempt to calculate the remainder with overflow"

/* Operations whose definition is the same for signed and unsigned T. */
#define ASTHRA__DEF_INT_COMMON(T, S, UT, BITS)                                \
  static inline T asthra_add_##S(T a, T b, const asthra_loc *loc) {          \
    T r;                                                                      \
    if (ASTHRA_UNLIKELY(__builtin_add_overflow(a, b, &r)))                    \
      asthra_panic_cstr(ASTHRA__MSG_ADD, loc);                                \
    return r;                                                                 \
  }                                                                           \
  static inline T asthra_sub_##S(T a, T b, const asthra_loc *loc) {          \
    T r;                                                                      \
    if (ASTHRA_UNLIKELY(__builtin_sub_overflow(a, b, &r)))                    \
      asthra_panic_cstr(ASTHRA__MSG_SUB, loc);                                \
    return r;                                                                 \
  }                                                                           \
  static inline T asthra_mul_##S(T a, T b, const asthra_loc *loc) {          \
    T r;                                                                      \
    if (ASTHRA_UNLIKELY(__builtin_mul_overflow(a, b, &r)))                    \
      asthra_panic_cstr(ASTHRA__MSG_MUL, loc);                                \
    return r;                                                                 \
  }                                                                           \
  static inline T asthra_shl_##S(T a, uint64_t n, const asthra_loc *loc) {   \
    if (ASTHRA_UNLIKELY(n >= (BITS))) asthra_panic_cstr(ASTHRA__MSG_SHL, loc); \
    return (T)(UT)((uint64_t)(UT)a << n);                                     \
  }                                                                           \
  static inline T asthra_shr_##S(T a, uint64_t n, const asthra_loc *loc) {   \
    if (ASTHRA_UNLIKELY(n >= (BITS))) asthra_panic_cstr(ASTHRA__MSG_SHR, loc); \
    return (T)(a >> n);                                                       \
  }                                                                           \
  static inline T asthra_wadd_##S(T a, T b) {                                 \
    return (T)(UT)((uint64_t)(UT)a + (uint64_t)(UT)b);                        \
  }                                                                           \
  static inline T asthra_wsub_##S(T a, T b) {                                 \
    return (T)(UT)((uint64_t)(UT)a - (uint64_t)(UT)b);                        \
  }                                                                           \
  static inline T asthra_wmul_##S(T a, T b) {                                 \
    return (T)(UT)((uint64_t)(UT)a * (uint64_t)(UT)b);                        \
  }                                                                           \
  static inline T asthra_wneg_##S(T a) {                                      \
    return (T)(UT)((uint64_t)0 - (uint64_t)(UT)a);                            \
  }                                                                           \
  static inline T asthra_wshl_##S(T a, uint64_t n) {                          \
    return (T)(UT)((uint64_t)(UT)a << (n & ((BITS)-1)));                      \
  }                                                                           \
  static inline T asthra_wshr_##S(T a, uint64_t n) {                          \
    return (T)(a >> (n & ((BITS)-1)));                                        \
  }

/* Signed T: MIN / -1 overflows, negation of MIN overflows. `>>` on a
 * negative value is an arithmetic shift (GCC and Clang define it so). */
#define ASTHRA__DEF_INT_SIGNED(T, S, UT, BITS, TMIN, TMAX, DMIN, DLIM)       \
  ASTHRA__DEF_INT_COMMON(T, S, UT, BITS)                                      \
  static inline T asthra_neg_##S(T a, const asthra_loc *loc) {               \
    if (ASTHRA_UNLIKELY(a == (TMIN))) asthra_panic_cstr(ASTHRA__MSG_NEG, loc); \
    return (T)-a;                                                             \
  }                                                                           \
  static inline T asthra_div_##S(T a, T b, const asthra_loc *loc) {          \
    if (ASTHRA_UNLIKELY(b == 0)) asthra_panic_cstr(ASTHRA__MSG_DIV0, loc);    \
    if (ASTHRA_UNLIKELY(a == (TMIN) && b == -1))                              \
      asthra_panic_cstr(ASTHRA__MSG_DIVOVF, loc);                             \
    return (T)(a / b);                                                        \
  }                                                                           \
  static inline T asthra_rem_##S(T a, T b, const asthra_loc *loc) {          \
    if (ASTHRA_UNLIKELY(b == 0)) asthra_panic_cstr(ASTHRA__MSG_REM0, loc);    \
    if (ASTHRA_UNLIKELY(a == (TMIN) && b == -1))                              \
      asthra_panic_cstr(ASTHRA__MSG_REMOVF, loc);                             \
    return (T)(a % b);                                                        \
  }                                                                           \
  static inline T asthra_wdiv_##S(T a, T b, const asthra_loc *loc) {         \
    if (ASTHRA_UNLIKELY(b == 0)) asthra_panic_cstr(ASTHRA__MSG_DIV0, loc);    \
    if (ASTHRA_UNLIKELY(b == -1)) return asthra_wneg_##S(a);                  \
    return (T)(a / b);                                                        \
  }                                                                           \
  static inline T asthra_wrem_##S(T a, T b, const asthra_loc *loc) {         \
    if (ASTHRA_UNLIKELY(b == 0)) asthra_panic_cstr(ASTHRA__MSG_REM0, loc);    \
    if (ASTHRA_UNLIKELY(b == -1)) return 0;                                   \
    return (T)(a % b);                                                        \
  }                                                                           \
  static inline T asthra_f2i_##S(double x) {                                  \
    if (x != x) return 0;                                                     \
    if (x < (DMIN)) return (TMIN);                                            \
    if (x >= (DLIM)) return (TMAX);                                           \
    return (T)x;                                                              \
  }

/* Unsigned T: only a divisor of zero fails; negation of anything but 0
 * overflows (checked) or wraps (0 - a). */
#define ASTHRA__DEF_INT_UNSIGNED(T, S, BITS, TMAX, DLIM)                      \
  ASTHRA__DEF_INT_COMMON(T, S, T, BITS)                                       \
  static inline T asthra_neg_##S(T a, const asthra_loc *loc) {               \
    if (ASTHRA_UNLIKELY(a != 0)) asthra_panic_cstr(ASTHRA__MSG_NEG, loc);     \
    return 0;                                                                 \
  }                                                                           \
  static inline T asthra_div_##S(T a, T b, const asthra_loc *loc) {          \
    if (ASTHRA_UNLIKELY(b == 0)) asthra_panic_cstr(ASTHRA__MSG_DIV0, loc);    \
    return (T)(a / b);                                                        \
  }                                                                           \
  static inline T asthra_rem_##S(T a, T b, const asthra_loc *loc) {          \
    if (ASTHRA_UNLIKELY(b == 0)) asthra_panic_cstr(ASTHRA__MSG_REM0, loc);    \
    return (T)(a % b);                                                        \
  }                                                                           \
  static inline T asthra_wdiv_##S(T a, T b, const asthra_loc *loc) {         \
    return asthra_div_##S(a, b, loc);                                         \
  }                                                                           \
  static inline T asthra_wrem_##S(T a, T b, const asthra_loc *loc) {         \
    return asthra_rem_##S(a, b, loc);                                         \
  }                                                                           \
  static inline T asthra_f2i_##S(double x) {                                  \
    if (!(x > -1.0)) return 0; /* NaN, and everything truncating below 0 */  \
    if (x >= (DLIM)) return (TMAX);                                           \
    return (T)x;                                                              \
  }

ASTHRA__DEF_INT_SIGNED(int8_t, i8, uint8_t, 8, INT8_MIN, INT8_MAX, -128.0,
                       128.0)
ASTHRA__DEF_INT_SIGNED(int16_t, i16, uint16_t, 16, INT16_MIN, INT16_MAX,
                       -32768.0, 32768.0)
ASTHRA__DEF_INT_SIGNED(int32_t, i32, uint32_t, 32, INT32_MIN, INT32_MAX,
                       -2147483648.0, 2147483648.0)
ASTHRA__DEF_INT_SIGNED(int64_t, i64, uint64_t, 64, INT64_MIN, INT64_MAX,
                       -9223372036854775808.0, 9223372036854775808.0)
ASTHRA__DEF_INT_UNSIGNED(uint8_t, u8, 8, UINT8_MAX, 256.0)
ASTHRA__DEF_INT_UNSIGNED(uint16_t, u16, 16, UINT16_MAX, 65536.0)
ASTHRA__DEF_INT_UNSIGNED(uint32_t, u32, 32, UINT32_MAX, 4294967296.0)
ASTHRA__DEF_INT_UNSIGNED(uint64_t, u64, 64, UINT64_MAX,
                         18446744073709551616.0)

/* ------------------------------------------------------------------ */
/* Strings, formatting, output                                         */
/* ------------------------------------------------------------------ */
/* Results are GC-allocated pointer-free memory (or static constants). */

asthra_string asthra_str_concat(asthra_string a, asthra_string b);

/* `for c in s`: the scalar whose UTF-8 encoding starts at byte i (< s.len),
 * with *next set to the byte after it. A byte that does not start a valid
 * sequence decodes as U+FFFD and advances by one. i >= s.len panics. */
asthra_char asthra__str_decode_slow(asthra_string s, size_t i, size_t *next);
static inline asthra_char asthra_str_decode(asthra_string s, size_t i,
                                            size_t *next) {
  if (ASTHRA_LIKELY(i < s.len && s.ptr[i] < 0x80)) {
    *next = i + 1;
    return s.ptr[i];
  }
  return asthra__str_decode_slow(s, i, next);
}

bool asthra_str_eq(asthra_string a, asthra_string b);
int32_t asthra_str_cmp(asthra_string a, asthra_string b); /* <0, 0, >0 */
asthra_string asthra_fmt_i64(int64_t v);
asthra_string asthra_fmt_u64(uint64_t v);
/* Shortest text that reads back to the same double; ".0" on integral
 * values; exponent form (1e+30, 1e-05) outside [1e-4, 1e16); "NaN", "inf",
 * "-inf"; -0.0 prints "-0.0". */
asthra_string asthra_fmt_f64(double v);
/* The same rules, shortest that reads back to the same float. */
asthra_string asthra_fmt_f32(float v);
asthra_string asthra_fmt_bool(bool v);
/* UTF-8 of the scalar (U+FFFD for a surrogate or a value above U+10FFFF). */
asthra_string asthra_fmt_char(asthra_char c);

/* s + "\n" to stdout (buffered; panics and exits flush it). */
void asthra_log(asthra_string s);
/* "[LEVEL] msg\n" to stdout. */
void asthra_log_level(asthra_string level, asthra_string msg);
/* []string of argv (including argv[0]) in GC memory; empty before init. */
asthra_slice asthra_args(void);

/* ------------------------------------------------------------------ */
/* Garbage-collected memory                                            */
/* ------------------------------------------------------------------ */

/* Two collectors implement this section (docs/design/gc.md): the runtime's
 * own (library asthra_rt, the default) and Boehm's (asthra_rt_boehm, chosen
 * by `asthra build --gc=boehm`, which defines ASTHRA_GC_BOEHM in the
 * generated C). Generated code uses only what is declared here, so the same
 * C compiles against either.
 *
 * Layouts. A scanned allocation carries a layout word telling the collector
 * which words may hold pointers: the object is read as a repetition of a
 * `period`-word pattern (1..ASTHRA_GC_MAX_PERIOD) whose bit i marks word i
 * of each repetition. A struct is one repetition, an array of structs many.
 * Types wider than the maximum period use ASTHRA_GC_CONSERVATIVE (every
 * word). Pointer-free memory uses the *_noscan functions (layout 0). */
#define ASTHRA_GC_MAX_PERIOD 57
#define ASTHRA_GC_LAYOUT(period, bits)                                        \
  ((((uintptr_t)(bits)) << 7) | (((uintptr_t)(period)) << 1) | (uintptr_t)1)
#define ASTHRA_GC_CONSERVATIVE ASTHRA_GC_LAYOUT(1, 1)

/* Zeroed memory that may hold pointers anywhere (scanned conservatively).
 * Never returns NULL: running out of memory panics. */
void *asthra_gc_alloc(size_t n);
/* Zeroed pointer-free memory: the collector never scans its contents. */
void *asthra_gc_alloc_noscan(size_t n);
/* `count` zeroed elements of `elem_size` bytes; layout 0 means pointer-free,
 * otherwise it is the element type's layout. count*elem_size overflowing
 * panics "out of memory". A zero count gives a non-NULL pointer and len 0. */
asthra_slice asthra_slice_alloc(size_t count, size_t elem_size,
                                uintptr_t layout);
/* []u8 of n zero bytes, pointer-free. */
asthra_slice asthra_allocate_slice(size_t n, const asthra_loc *loc);

/* Zeroed memory whose pointer words `layout` describes (see above). */
void *asthra__gc_alloc_typed_slow(size_t n, uintptr_t layout);

/* `log` output waits in stdout's buffer; foreign code may write to file
 * descriptor 1 itself (`libc.write`, `printf`) or end the process. Before
 * each foreign call, text still in the buffer is flushed, so output stays in
 * program order: one load and a branch not taken when nothing is pending. */
extern int asthra__stdout_pending;
void asthra__flush_pending_stdout(void);
static inline void asthra_before_foreign_call(void) {
  if (__builtin_expect(__atomic_load_n(&asthra__stdout_pending, __ATOMIC_RELAXED), 0)) {
    asthra__flush_pending_stdout();
  }
}

#if defined(ASTHRA_GC_BOEHM)
/* Boehm scans everything conservatively and stops threads with signals:
 * layouts are ignored and threads need no safepoints. */
static inline void *asthra_gc_alloc_typed(size_t n, uintptr_t layout) {
  (void)layout;
  return asthra_gc_alloc(n);
}
static inline void asthra_safepoint(void) {}
static inline void asthra_leaf_loop_enter(void) {}
static inline void asthra_leaf_loop_exit(void) {}
static inline void asthra_gc_wrote(const void *p, size_t n) {
  (void)p;
  (void)n;
}
static inline void asthra_enter_native(void) {}
static inline void asthra_leave_native(void) {}
static inline int asthra_callback_enter(void) { return 0; }
static inline void asthra_callback_exit(int was_native) { (void)was_native; }
#else
/* The runtime's collector. Small objects come from the slots of a span
 * (a run of pages of one size class) that the last collection left
 * unmarked; each thread takes them 64 at a time as a bitmap, so the inline
 * fast path below is: find the lowest set bit, clear it, zero the slot,
 * write its header. Sizes and classes are closed forms, so for a constant
 * size the C compiler folds them to constants. */
#define ASTHRA__GC_SMALL_MAX 32768 /* bytes, header included */
#define ASTHRA__GC_CLASSES 41

#ifdef __cplusplus
#define ASTHRA__THREAD_LOCAL thread_local
#else
#define ASTHRA__THREAD_LOCAL _Thread_local
#endif

/* Thread states (asthra__gc_mutator.state). */
enum {
  ASTHRA__GC_DETACHED = 0, /* not known to the collector */
  ASTHRA__GC_RUNNING = 1,  /* runs Asthra code; stops at safepoints */
  ASTHRA__GC_NATIVE = 2    /* in foreign or blocking code: never waited for */
};

/* A thread's current group of free slots in one class: slot i of the
 * group is at base + i * size and is free when bit i of `bits` is set. */
typedef struct asthra__gc_cache {
  uintptr_t base;
  uint64_t bits;
  /* The runtime's: */
  void *span;          /* where the group came from */
  uint64_t held;       /* debug modes keep the group here, not in `bits` */
  uint32_t next_group; /* the span's next group of 64 */
  uint32_t pad;
} asthra__gc_cache;

/* Per-thread collector state; fields are the runtime's, listed here only
 * because the inline fast paths use them. */
typedef struct asthra__gc_mutator {
  asthra__gc_cache cache[2][ASTHRA__GC_CLASSES]; /* [0 pointer-free, 1 scanned] */
  int state;
  /* Callee-saved registers and the stack pointer, saved when the thread
   * stops for a collection or enters native code; they and the stack above
   * the saved pointer are the thread's roots meanwhile. */
  uintptr_t saved_regs[8];
  uintptr_t saved_sp;
  /* Nonzero while the thread runs a loop without a safepoint
   * (asthra_leaf_loop_enter): a collection stops it with a signal. */
  int in_leaf_loop;
} asthra__gc_mutator;

extern ASTHRA__THREAD_LOCAL asthra__gc_mutator asthra__gc_self;
extern int asthra__gc_stop_requested;

void asthra__gc_park(void);
void asthra__gc_leave_native_slow(void);

/* Size classes (bytes): 16, 24, 32, then 4 per power of two up to 32768
 * (48 64 80 96 112 128, 160 192 224 256, 320 ... 32768). `total` is 1 to
 * ASTHRA__GC_SMALL_MAX. */
static inline unsigned asthra__gc_class_of(size_t total) {
  if (total <= 32) return total <= 16 ? 0u : (unsigned)((total + 7) / 8 - 2);
  if (total <= 128) return (unsigned)((total + 15) / 16);
  unsigned e = 63u - (unsigned)__builtin_clzll((unsigned long long)(total - 1)); /* >= 7 */
  size_t step = (size_t)1 << (e - 2);
  return 8u + (e - 7u) * 4u + (unsigned)((total - ((size_t)1 << e) + step - 1) / step);
}
static inline size_t asthra__gc_class_size(unsigned c) {
  if (c <= 2) return 16 + 8 * (size_t)c;
  if (c <= 8) return 16 * (size_t)c;
  unsigned e = (c - 9) / 4 + 7, k = (c - 9) % 4 + 1;
  return ((size_t)1 << e) + k * ((size_t)1 << (e - 2));
}

/* Writes the callee-saved registers and stack pointer of the calling code
 * (always inlined, so they are the caller's). The caller-saved registers
 * are declared clobbered, so a pointer the caller keeps in one is moved to
 * a callee-saved register or spilled to its frame before the state change,
 * where the collector sees it (a stress run found the hole: a value spilled
 * only after the thread had become native). */
#if defined(__x86_64__)
#define ASTHRA__GC_SAVE_REGISTERS(m)                                         \
  __asm__ volatile("movq %%rbx, 0(%0)\n\tmovq %%rbp, 8(%0)\n\t"             \
                   "movq %%r12, 16(%0)\n\tmovq %%r13, 24(%0)\n\t"            \
                   "movq %%r14, 32(%0)\n\tmovq %%r15, 40(%0)\n\t"            \
                   "movq %%rsp, 64(%0)"                                      \
                   : : "r"((m)->saved_regs)                                  \
                   : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",   \
                     "r11", "memory")
#elif defined(__aarch64__)
#define ASTHRA__GC_SAVE_REGISTERS(m)                                         \
  __asm__ volatile("stp x19, x20, [%0, #0]\n\tstp x21, x22, [%0, #16]\n\t"  \
                   "stp x23, x24, [%0, #32]\n\tstp x25, x26, [%0, #48]\n\t" \
                   "mov x9, sp\n\tstr x9, [%0, #64]"                         \
                   : : "r"((m)->saved_regs)                                  \
                   : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",     \
                     "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",    \
                     "x17", "memory")
#else
#error "asthra's collector saves registers for x86-64 and AArch64 only"
#endif

static inline void *asthra_gc_alloc_typed(size_t n, uintptr_t layout) {
  size_t total = n + sizeof(uintptr_t);
  if (ASTHRA_LIKELY(total <= ASTHRA__GC_SMALL_MAX)) {
    unsigned c = asthra__gc_class_of(total);
    asthra__gc_cache *k = &asthra__gc_self.cache[1][c];
    uint64_t bits = k->bits;
    if (ASTHRA_LIKELY(bits != 0)) {
      size_t size = asthra__gc_class_size(c);
      k->bits = bits & (bits - 1);
      uintptr_t *p = (uintptr_t *)(k->base + (uintptr_t)__builtin_ctzll(bits) * size);
      __builtin_memset(p, 0, size);
      p[0] = layout;
      return p + 1;
    }
  }
  return asthra__gc_alloc_typed_slow(n, layout);
}

/* The write barrier. Most collections are minor (docs/design/gc.md): they
 * keep the marks of objects that survived an earlier collection (old
 * objects) and do not scan them again, except where the program stored
 * into them since. Every store of a value that may hold a pointer into
 * memory that may be a GC object is followed by asthra_gc_wrote(address,
 * size), which marks the 512-byte cards the store covered; a minor
 * collection scans the old objects' words on marked cards. Stores into an
 * object allocated since the last point where a collection could run (an
 * initializing store) need no barrier. Memory outside the heap costs a
 * compare. C code (the runtime's included) that stores a GC pointer into
 * memory that may be a GC object, such as a `*mut string` out-parameter
 * pointing at a boxed local, calls it too. */
#define ASTHRA__GC_CARD_SHIFT 9
typedef struct asthra__gc_card_table {
  uintptr_t lo;   /* the heap arena's first byte */
  uintptr_t size; /* its reserved bytes */
  uint8_t *cards; /* one byte per card: 1 = written since the last collection */
} asthra__gc_card_table;
extern asthra__gc_card_table asthra__gc_cards;
void asthra__gc_wrote_range(uintptr_t offset, size_t n);

/* Threads may mark one card at once: the stores are (relaxed) atomic,
 * which costs nothing over a plain byte store. */
static inline void asthra__gc_set_card(uintptr_t offset) {
  __atomic_store_n(&asthra__gc_cards.cards[offset >> ASTHRA__GC_CARD_SHIFT], 1,
                   __ATOMIC_RELAXED);
}

static inline void asthra_gc_wrote(const void *p, size_t n) {
  uintptr_t off = (uintptr_t)p - asthra__gc_cards.lo;
  if (off < asthra__gc_cards.size) {
    if (ASTHRA_LIKELY(n <= ((size_t)1 << ASTHRA__GC_CARD_SHIFT))) {
      asthra__gc_set_card(off);
      asthra__gc_set_card(off + n - (n != 0));
    } else {
      asthra__gc_wrote_range(off, n);
    }
  }
}

/* Where generated code lets a collection happen: loop back edges and
 * function entries. One load and a branch not taken. */
static inline void asthra_safepoint(void) {
  if (ASTHRA_UNLIKELY(__atomic_load_n(&asthra__gc_stop_requested,
                                      __ATOMIC_RELAXED))) {
    asthra__gc_park();
  }
}

/* Around an innermost loop that calls nothing, which the compiler leaves
 * without a safepoint so that the C compiler can vectorise it: meanwhile a
 * collection does not wait for the thread to poll but stops it with a
 * signal (world.c). Every way out of the loop (its end, `break`, `return`)
 * passes through the exit. The signal fences keep the stores where they
 * are written, as seen from this thread's own signal handler. */
static inline void asthra_leaf_loop_enter(void) {
  __atomic_store_n(&asthra__gc_self.in_leaf_loop, 1, __ATOMIC_RELAXED);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}
static inline void asthra_leaf_loop_exit(void) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  __atomic_store_n(&asthra__gc_self.in_leaf_loop, 0, __ATOMIC_RELAXED);
}

/* Around a call into foreign code that may block or run long: a collection
 * proceeds without waiting for this thread, scanning the stack above the
 * saved stack pointer. Leaving waits for a collection in progress. */
static __inline__ __attribute__((always_inline)) void asthra_enter_native(void) {
  asthra__gc_mutator *m = &asthra__gc_self;
  if (m->state != ASTHRA__GC_RUNNING) return;
  ASTHRA__GC_SAVE_REGISTERS(m);
  __atomic_store_n(&m->state, ASTHRA__GC_NATIVE, __ATOMIC_SEQ_CST);
}
static inline void asthra_leave_native(void) {
  asthra__gc_mutator *m = &asthra__gc_self;
  if (m->state != ASTHRA__GC_NATIVE) return;
  __atomic_store_n(&m->state, ASTHRA__GC_RUNNING, __ATOMIC_SEQ_CST);
  if (ASTHRA_UNLIKELY(__atomic_load_n(&asthra__gc_stop_requested,
                                      __ATOMIC_SEQ_CST))) {
    asthra__gc_leave_native_slow();
  }
}

/* Around an Asthra function called from C (the compiler's trampolines, after
 * asthra_thread_attach): the thread was native while in C and becomes so
 * again on return. */
static inline int asthra_callback_enter(void) {
  if (asthra__gc_self.state != ASTHRA__GC_NATIVE) return 0;
  asthra_leave_native();
  return 1;
}
static __inline__ __attribute__((always_inline)) void asthra_callback_exit(
    int was_native) {
  if (was_native) asthra_enter_native();
}
#endif

/* A full collection now. */
void asthra_gc_collect(void);
asthra_gc_stats asthra_gc_get_stats(void);
/* Register [p, p+n) as a root range scanned conservatively; pinning the same
 * start again replaces the length (one unpin removes it). */
void asthra_pin(void *p, size_t n);
/* Unregister the range starting at p (no-op if none). */
void asthra_unpin(void *p);

/* Wrap foreign or GC memory as a slice (memory-model.md §4). NULL with
 * len > 0 panics; NULL with len 0 gives {NULL, 0}; PINNED registers the
 * range with asthra_pin. */
asthra_slice asthra_slice_from_raw_parts(void *p, size_t len, size_t elem_size,
                                         int32_t ownership,
                                         const asthra_loc *loc);
/* A malloc'd copy of the elements (zone c), owned by the caller. */
asthra_slice asthra_to_c(asthra_slice s, size_t elem_size);
/* A malloc'd NUL-terminated copy, owned by the caller. */
uint8_t *asthra_string_to_cstr(asthra_string s);
/* A GC copy of a NUL-terminated C string; NULL panics (at loc, if given). */
asthra_string asthra_cstr_to_string(const uint8_t *p, const asthra_loc *loc);
/* `libc.free(p)`: C's free, but GC or secure memory panics (at loc). */
void asthra_free_c(void *p, const asthra_loc *loc);
/* Cryptographically secure random bytes (getrandom). */
void asthra_fill_random(asthra_slice bytes, const asthra_loc *loc);

/* Registers the calling thread with the collector and the runtime's fault
 * handling if it is not yet (a foreign thread calling back into Asthra);
 * idempotent. Generated callback trampolines call it first. */
void asthra_thread_attach(void);

/* `string(bytes)`: a GC copy of the bytes. */
asthra_string asthra_str_from_bytes(asthra_slice bytes);
/* Support for stdlib/io (declared there as extern functions). */
void asthra_write_stdout(asthra_string s);
asthra_string asthra_read_line(bool *eof);
asthra_string asthra_io_read_file(asthra_string path, asthra_string *error);
bool asthra_io_write_file(asthra_string path, asthra_string text, asthra_string *error);

/* Tasks (language.md `spawn`): `run(data)` on a new thread registered with
 * the collector. `data` is GC memory holding the arguments and, first, the
 * result; `name` (the spawned function) names the task in panics. The
 * program waits for unjoined tasks when main returns. */
typedef struct asthra_task asthra_task;
typedef struct asthra_handle {
  asthra_task *task;
  void *data;
} asthra_handle;
asthra_handle asthra_spawn(void (*run)(void *), void *data, const char *name, const asthra_loc *loc);
/* Waits until the task has finished (any number of times, from any thread). */
void asthra_task_join(asthra_task *task);

/* ------------------------------------------------------------------ */
/* Secure memory (memory-model.md §5)                                  */
/* ------------------------------------------------------------------ */

/* A zeroed []u8 of n bytes in its own mapping: PROT_NONE guard pages on both
 * sides, ending exactly at the trailing guard page, a canary in the slack
 * before it, mlock'ed, excluded from core dumps, never seen by the GC. */
asthra_slice asthra_allocate_secure(size_t n, const asthra_loc *loc);
/* Wipe that no optimiser removes. A null p with n > 0 panics (at loc, if
 * given): the caller meant to wipe something. */
void asthra_secure_zero(void *p, size_t n, const asthra_loc *loc);
/* Zero, unlock and make inaccessible (kept reserved: later use faults). A
 * slice that is not exactly a live secure allocation panics. */
void asthra_secure_free(asthra_slice s, const asthra_loc *loc);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ASTHRA_RUNTIME_H */
