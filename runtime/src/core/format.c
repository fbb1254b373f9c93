/*
 * format.c: the text of numbers, booleans and characters.
 *
 * Used wherever Asthra turns a value into a string: `"n = " + 5`, `log(x)`,
 * `string(e)`. The rules (language.md, "Formatting"):
 *   - integers in decimal;
 *   - floats in the SHORTEST decimal form that reads back to the same value
 *     (f32 values read back as f32), with ".0" on integral values, fixed
 *     notation for 1e-4 <= |v| < 1e16 and exponent notation outside it in
 *     C style ("1e+30", "1e-05", "1.5e+20": sign and at least two digits);
 *     "NaN", "inf", "-inf", and "-0.0" for negative zero;
 *   - bools as true/false; a char as its UTF-8 encoding.
 *
 * Shortest floats without a Ryu-sized table: glibc's printf rounds exactly,
 * so "%.{p-1}e" gives the correctly rounded p-digit decimal d_p(v). Then:
 *   1. Every decimal with at most DIG significant digits (15 for double, 6
 *      for float) is at least 4 ulps from every other, so if the shortest
 *      round-tripping decimal S has k <= DIG digits, S padded with zeros IS
 *      d_DIG(v). Hence: if d_DIG(v) reads back to v, strip its trailing
 *      zeros and that is the answer. This is the common, one-try case.
 *   2. Otherwise try p = DIG+1 .. MAX (17 / 9 digits, which always round-
 *      trip). Where v's rounding interval is symmetric, some p-digit decimal
 *      reads back iff the nearest one (d_p) does. At a power of two the
 *      interval is wider above v than below, so when d_p(v) < v fails we
 *      also try the p-digit decimal just above it.
 *   3. Subnormals have fewer significant bits than DIG promises, so step 1
 *      does not hold for them; they search upward from p = 1.
 * Reading back uses strtod/strtof (correctly rounded). Both this and
 * printf assume the C locale's decimal point, which the runtime never
 * changes.
 *
 * Results live in pointer-free GC memory; constant results ("true",
 * "NaN", ...) point at static storage, which is fine for immutable text.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static asthra_string lit(const char *s) {
  return (asthra_string){(const uint8_t *)s, strlen(s)};
}

static asthra_string copy_out(const char *buf, size_t len) {
  uint8_t *p = (uint8_t *)asthra__gc_alloc_noscan_raw(len);
  memcpy(p, buf, len);
  return (asthra_string){p, len};
}

asthra_string asthra_fmt_i64(int64_t v) {
  char buf[24];
  return copy_out(buf, asthra__itoa(v, buf));
}

asthra_string asthra_fmt_u64(uint64_t v) {
  char buf[24];
  return copy_out(buf, asthra__utoa(v, buf));
}

asthra_string asthra_fmt_bool(bool v) { return lit(v ? "true" : "false"); }

asthra_string asthra_fmt_char(asthra_char c) {
  char b[4];
  size_t n;
  if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD; /* surrogates are not scalars */
  if (c > 0x10FFFF) c = 0xFFFD;
  if (c < 0x80) {
    b[0] = (char)c;
    n = 1;
  } else if (c < 0x800) {
    b[0] = (char)(0xC0 | (c >> 6));
    b[1] = (char)(0x80 | (c & 0x3F));
    n = 2;
  } else if (c < 0x10000) {
    b[0] = (char)(0xE0 | (c >> 12));
    b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[2] = (char)(0x80 | (c & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | (c >> 18));
    b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[3] = (char)(0x80 | (c & 0x3F));
    n = 4;
  }
  return copy_out(b, n);
}

/* ---- shortest round-trip decimal ------------------------------------ */

/* v == 0.d[0]d[1]...d[k-1] * 10^(exp+1), i.e. d[0] is the 10^exp digit. */
typedef struct decimal {
  char d[24];
  int k;
  int exp;
} decimal;

/* The correctly rounded `p`-digit decimal of v (v > 0, finite). */
static void round_to(double v, int p, decimal *out) {
  char buf[48];
  snprintf(buf, sizeof buf, "%.*e", p - 1, v);
  /* buf is "D.DDDDe[+-]XX" or, for p == 1, "De[+-]XX". */
  int k = 0;
  const char *s = buf;
  for (; *s != 'e'; s++) {
    if (*s >= '0' && *s <= '9') out->d[k++] = *s;
  }
  out->k = k;
  out->exp = atoi(s + 1);
}

/* Renders dec in "D.DDDe±X" form for strtod. */
static void render_sci(const decimal *dec, char *buf, size_t size) {
  size_t n = 0;
  buf[n++] = dec->d[0];
  if (dec->k > 1) {
    buf[n++] = '.';
    memcpy(buf + n, dec->d + 1, (size_t)dec->k - 1);
    n += (size_t)dec->k - 1;
  }
  snprintf(buf + n, size - n, "e%d", dec->exp);
}

/* The value dec reads back as (as a double, or as a float widened). */
static double read_back(const decimal *dec, bool f32) {
  char buf[48];
  render_sci(dec, buf, sizeof buf);
  return f32 ? (double)strtof(buf, NULL) : strtod(buf, NULL);
}

/* Adds one unit in the last digit place. */
static void increment(decimal *dec) {
  int i = dec->k - 1;
  while (i >= 0 && dec->d[i] == '9') dec->d[i--] = '0';
  if (i >= 0) {
    dec->d[i]++;
  } else {
    dec->d[0] = '1'; /* 99..9 -> 100..0 */
    dec->exp++;
  }
}

static void strip_zeros(decimal *dec) {
  while (dec->k > 1 && dec->d[dec->k - 1] == '0') dec->k--;
}

/* Tries the p-digit candidates of step 2; true when one reads back. */
static bool try_digits(double v, int p, bool f32, decimal *out) {
  round_to(v, p, out);
  double back = read_back(out, f32);
  if (back == v) return true;
  if (back < v) {
    decimal up = *out;
    increment(&up);
    if (read_back(&up, f32) == v) {
      *out = up;
      return true;
    }
  }
  return false;
}

/* v > 0 and finite; for f32, v is exactly a float value. */
static void shortest(double v, bool f32, decimal *out) {
  int dig = f32 ? FLT_DIG : DBL_DIG;
  int max = f32 ? 9 : 17;
  bool subnormal = f32 ? v < (double)FLT_MIN : v < DBL_MIN;
  int p = 1;
  if (!subnormal) {
    round_to(v, dig, out);
    if (read_back(out, f32) == v) {
      strip_zeros(out);
      return;
    }
    p = dig + 1;
  }
  for (; p < max; p++) {
    if (try_digits(v, p, f32, out)) {
      strip_zeros(out);
      return;
    }
  }
  round_to(v, max, out); /* max digits always round-trip */
  strip_zeros(out);
}

static asthra_string fmt_float(double v, bool f32) {
  if (isnan(v)) return lit("NaN");
  if (isinf(v)) return lit(v < 0 ? "-inf" : "inf");
  char buf[64];
  size_t n = 0;
  if (signbit(v)) {
    buf[n++] = '-';
    v = -v;
  }
  if (v == 0) {
    memcpy(buf + n, "0.0", 3);
    return copy_out(buf, n + 3);
  }
  decimal dec;
  shortest(v, f32, &dec);
  int e = dec.exp;
  if (e >= -4 && e < 16) {
    if (e >= 0) {
      /* Integer part: the first e+1 digits, zero-padded. */
      for (int i = 0; i <= e; i++) buf[n++] = i < dec.k ? dec.d[i] : '0';
      buf[n++] = '.';
      if (dec.k > e + 1) {
        for (int i = e + 1; i < dec.k; i++) buf[n++] = dec.d[i];
      } else {
        buf[n++] = '0';
      }
    } else {
      buf[n++] = '0';
      buf[n++] = '.';
      for (int i = 0; i < -e - 1; i++) buf[n++] = '0';
      for (int i = 0; i < dec.k; i++) buf[n++] = dec.d[i];
    }
  } else {
    buf[n++] = dec.d[0];
    if (dec.k > 1) {
      buf[n++] = '.';
      for (int i = 1; i < dec.k; i++) buf[n++] = dec.d[i];
    }
    buf[n++] = 'e';
    buf[n++] = e < 0 ? '-' : '+';
    int a = e < 0 ? -e : e;
    if (a < 10) buf[n++] = '0';
    n += asthra__utoa((uint64_t)a, buf + n);
  }
  return copy_out(buf, n);
}

asthra_string asthra_fmt_f64(double v) { return fmt_float(v, false); }

asthra_string asthra_fmt_f32(float v) { return fmt_float((double)v, true); }
