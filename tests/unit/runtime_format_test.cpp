// Formatting of numbers, booleans and characters (language.md, "Formatting"):
// shortest round-trip floats with ".0" on integral values and C-style
// exponents outside [1e-4, 1e16), integers in decimal, chars as UTF-8.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "asthra/runtime.h"

namespace {

const bool kRuntimeReady = (asthra_rt_init(0, nullptr), true);

std::string S(asthra_string s) {
  return std::string(reinterpret_cast<const char *>(s.ptr), s.len);
}

asthra_string A(const char *s) {
  return asthra_string{reinterpret_cast<const uint8_t *>(s), std::strlen(s)};
}

TEST(RuntimeFormat, F64Table) {
  ASSERT_TRUE(kRuntimeReady);
  struct Case {
    double v;
    const char *want;
  };
  const Case cases[] = {
      {2.0, "2.0"},
      {0.1, "0.1"},
      {1e30, "1e+30"},
      {1e-5, "1e-05"},
      {1e16, "1e+16"},
      {9999999999999998.0, "9999999999999998.0"},
      {0.0001, "0.0001"},
      {123.456, "123.456"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1.0 / 3.0, "0.3333333333333333"},
      {2.0 / 3.0, "0.6666666666666666"},
      {0.1 + 0.2, "0.30000000000000004"},
      {5e-324, "5e-324"},
      {DBL_MAX, "1.7976931348623157e+308"},
      {DBL_MIN, "2.2250738585072014e-308"},
      {-DBL_MAX, "-1.7976931348623157e+308"},
      {1.5e20, "1.5e+20"},
      {-2.5e-7, "-2.5e-07"},
      {100.0, "100.0"},
      {-1.0, "-1.0"},
      {1e15, "1000000000000000.0"},
      {123456789012345680.0, "1.2345678901234568e+17"},
      {0.00001234, "1.234e-05"},
      {0.000123, "0.000123"},
      {1e100, "1e+100"},
      {1e-100, "1e-100"},
      {3.141592653589793, "3.141592653589793"},
      {9007199254740993.0, "9007199254740992.0"},
      {0.5, "0.5"},
      {1e21, "1e+21"},
      {1e22, "1e+22"},
      {1e23, "1e+23"},
      {5e-310, "5e-310"},
      {2.2250738585072009e-308, "2.225073858507201e-308"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(S(asthra_fmt_f64(c.v)), c.want) << "value " << c.v;
  }
}

TEST(RuntimeFormat, F64Specials) {
  EXPECT_EQ(S(asthra_fmt_f64(std::numeric_limits<double>::quiet_NaN())), "NaN");
  EXPECT_EQ(S(asthra_fmt_f64(-std::numeric_limits<double>::quiet_NaN())), "NaN");
  EXPECT_EQ(S(asthra_fmt_f64(INFINITY)), "inf");
  EXPECT_EQ(S(asthra_fmt_f64(-INFINITY)), "-inf");
}

TEST(RuntimeFormat, F32Table) {
  struct Case {
    float v;
    const char *want;
  };
  const Case cases[] = {
      {0.1f, "0.1"},
      {2.0f, "2.0"},
      {1.0f / 3.0f, "0.33333334"},
      {16777216.0f, "16777216.0"},
      {1e10f, "10000000000.0"},
      {1e-5f, "1e-05"},
      {0.0001f, "0.0001"},
      {FLT_MAX, "3.4028235e+38"},
      {FLT_MIN, "1.1754944e-38"},
      {1e-45f, "1e-45"},
      {-0.0f, "-0.0"},
      {3.14159265f, "3.1415927"},
      {1.1f, "1.1"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(S(asthra_fmt_f32(c.v)), c.want) << "value " << c.v;
  }
  EXPECT_EQ(S(asthra_fmt_f32(std::numeric_limits<float>::quiet_NaN())), "NaN");
  EXPECT_EQ(S(asthra_fmt_f32(-INFINITY)), "-inf");
}

// Every printed double must read back to itself, and no shorter digit
// string may: checked against random bit patterns with a fixed seed.
TEST(RuntimeFormat, F64RoundTripsRandom) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 20000; i++) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::string s = S(asthra_fmt_f64(v));
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
    // Shortness: %.{p}g with fewer significant digits must not round-trip.
    std::string digits;
    for (char ch : s.substr(0, s.find('e'))) {
      if (ch >= '0' && ch <= '9') digits += ch;
    }
    size_t first = digits.find_first_not_of('0');
    size_t sig = digits.size() - first;
    while (sig > 1 && digits[first + sig - 1] == '0') sig--;
    if (sig > 1) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*e", static_cast<int>(sig) - 2, v);
      EXPECT_NE(std::strtod(buf, nullptr), v) << s << " vs " << buf;
    }
  }
}

TEST(RuntimeFormat, F32RoundTripsRandom) {
  std::mt19937 rng(77);
  for (int i = 0; i < 20000; i++) {
    uint32_t bits = static_cast<uint32_t>(rng());
    float v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::string s = S(asthra_fmt_f32(v));
    EXPECT_EQ(std::strtof(s.c_str(), nullptr), v) << s;
  }
}

TEST(RuntimeFormat, Integers) {
  EXPECT_EQ(S(asthra_fmt_i64(0)), "0");
  EXPECT_EQ(S(asthra_fmt_i64(-1)), "-1");
  EXPECT_EQ(S(asthra_fmt_i64(42)), "42");
  EXPECT_EQ(S(asthra_fmt_i64(INT64_MAX)), "9223372036854775807");
  EXPECT_EQ(S(asthra_fmt_i64(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(S(asthra_fmt_u64(0)), "0");
  EXPECT_EQ(S(asthra_fmt_u64(UINT64_MAX)), "18446744073709551615");
}

TEST(RuntimeFormat, BoolAndChar) {
  EXPECT_EQ(S(asthra_fmt_bool(true)), "true");
  EXPECT_EQ(S(asthra_fmt_bool(false)), "false");
  EXPECT_EQ(S(asthra_fmt_char('a')), "a");
  EXPECT_EQ(S(asthra_fmt_char(0xE9)), "\xC3\xA9");             // é
  EXPECT_EQ(S(asthra_fmt_char(0x20AC)), "\xE2\x82\xAC");       // €
  EXPECT_EQ(S(asthra_fmt_char(0x1F600)), "\xF0\x9F\x98\x80");  // 😀
  EXPECT_EQ(S(asthra_fmt_char(0xD800)), "\xEF\xBF\xBD");       // not a scalar
  EXPECT_EQ(S(asthra_fmt_char(0x110000)), "\xEF\xBF\xBD");
  EXPECT_EQ(S(asthra_fmt_char(0)), std::string(1, '\0'));
}

TEST(RuntimeFormat, StringOps) {
  EXPECT_EQ(S(asthra_str_concat(A("n = "), asthra_fmt_i64(5))), "n = 5");
  EXPECT_EQ(S(asthra_str_concat(A(""), A("x"))), "x");
  EXPECT_EQ(S(asthra_str_concat(A("x"), A(""))), "x");
  EXPECT_TRUE(asthra_str_eq(A("abc"), A("abc")));
  EXPECT_FALSE(asthra_str_eq(A("abc"), A("abd")));
  EXPECT_FALSE(asthra_str_eq(A("ab"), A("abc")));
  EXPECT_TRUE(asthra_str_eq(asthra_string{nullptr, 0}, A("")));
  EXPECT_LT(asthra_str_cmp(A("ab"), A("abc")), 0);
  EXPECT_GT(asthra_str_cmp(A("b"), A("abc")), 0);
  EXPECT_EQ(asthra_str_cmp(A("abc"), A("abc")), 0);
  EXPECT_GT(asthra_str_cmp(A("\xC3\xA9"), A("z")), 0);  // bytewise, unsigned
  EXPECT_EQ(asthra_str_cmp(asthra_string{nullptr, 0}, A("")), 0);
}

std::vector<uint32_t> Decode(const std::string &bytes) {
  asthra_string s{reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()};
  std::vector<uint32_t> out;
  for (size_t i = 0, next = 0; i < s.len; i = next) {
    out.push_back(asthra_str_decode(s, i, &next));
    EXPECT_GT(next, i);
  }
  return out;
}

TEST(RuntimeFormat, StringDecode) {
  using V = std::vector<uint32_t>;
  EXPECT_EQ(Decode(""), V{});
  EXPECT_EQ(Decode("ab"), (V{'a', 'b'}));
  EXPECT_EQ(Decode("h\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80!"), (V{'h', 0xE9, 0x20AC, 0x1F600, '!'}));
  EXPECT_EQ(Decode("\xF4\x8F\xBF\xBF"), V{0x10FFFF});
  // Invalid input: one U+FFFD per offending byte, then resynchronise.
  EXPECT_EQ(Decode("\x80"), V{0xFFFD});
  EXPECT_EQ(Decode("\xC0\xAF"), (V{0xFFFD, 0xFFFD}));          // overlong
  EXPECT_EQ(Decode("\xED\xA0\x80"), (V{0xFFFD, 0xFFFD, 0xFFFD}));  // surrogate
  EXPECT_EQ(Decode("\xF4\x90\x80\x80"), (V{0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}));
  EXPECT_EQ(Decode("\xE2\x82"), (V{0xFFFD, 0xFFFD}));          // truncated
  EXPECT_EQ(Decode("\xE2\x82x"), (V{0xFFFD, 0xFFFD, 'x'}));
  // Round trip with fmt_char for every scalar class boundary.
  for (uint32_t c : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    asthra_string e = asthra_fmt_char(c);
    EXPECT_EQ(Decode(S(e)), V{c}) << c;
  }
}

TEST(RuntimeFormat, LogWritesLines) {
  testing::internal::CaptureStdout();
  asthra_log(A("hello"));
  asthra_log_level(A("INFO"), A("ready"));
  asthra_log(A(""));
  fflush(stdout);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "hello\n[INFO] ready\n\n");
}

}  // namespace
