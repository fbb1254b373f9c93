// Integer helpers of asthra/runtime.h at the edges: checked (debug builds)
// panic with Rust's messages and exit 101; wrapping (release builds) wrap,
// except that a zero divisor still panics; float-to-int casts saturate.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>

#include "asthra/runtime.h"

namespace {

const bool kRuntimeReady = (asthra_rt_init(0, nullptr), true);

const asthra_loc kLoc = {"math.asthra", 12, 7};

#define EXPECT_PANIC(stmt, msg)                                                \
  EXPECT_EXIT((stmt), ::testing::ExitedWithCode(101),                          \
              "panic: " msg "\n  at math\\.asthra:12:7")

TEST(RuntimeArith, CheckedInRange) {
  ASSERT_TRUE(kRuntimeReady);
  EXPECT_EQ(asthra_add_i8(100, 27, &kLoc), 127);
  EXPECT_EQ(asthra_sub_i8(-100, 28, &kLoc), -128);
  EXPECT_EQ(asthra_mul_i16(-256, 128, &kLoc), INT16_MIN);
  EXPECT_EQ(asthra_add_u8(200, 55, &kLoc), 255);
  EXPECT_EQ(asthra_sub_u32(5, 5, &kLoc), 0u);
  EXPECT_EQ(asthra_mul_u64(UINT32_MAX, UINT32_MAX + 2ull, &kLoc), UINT64_MAX);
  EXPECT_EQ(asthra_add_i64(INT64_MAX - 1, 1, &kLoc), INT64_MAX);
  EXPECT_EQ(asthra_neg_i32(INT32_MAX, &kLoc), -INT32_MAX);
  EXPECT_EQ(asthra_neg_u16(0, &kLoc), 0);
  EXPECT_EQ(asthra_div_i32(-7, 2, &kLoc), -3);
  EXPECT_EQ(asthra_rem_i32(-7, 2, &kLoc), -1);
  EXPECT_EQ(asthra_div_i64(INT64_MIN, 1, &kLoc), INT64_MIN);
  EXPECT_EQ(asthra_div_u8(255, 16, &kLoc), 15);
  EXPECT_EQ(asthra_rem_u64(UINT64_MAX, 10, &kLoc), 5u);
}

TEST(RuntimeArith, CheckedShifts) {
  EXPECT_EQ(asthra_shl_i32(1, 31, &kLoc), INT32_MIN);  // bits may fall off
  EXPECT_EQ(asthra_shl_u8(0xff, 4, &kLoc), 0xf0);
  EXPECT_EQ(asthra_shl_u16(0xffff, 15, &kLoc), 0x8000);
  EXPECT_EQ(asthra_shl_i64(-1, 63, &kLoc), INT64_MIN);
  EXPECT_EQ(asthra_shr_i8(-128, 7, &kLoc), -1);        // arithmetic
  EXPECT_EQ(asthra_shr_i64(INT64_MIN, 63, &kLoc), -1);
  EXPECT_EQ(asthra_shr_u8(0x80, 7, &kLoc), 1);          // logical
  EXPECT_EQ(asthra_shr_u64(UINT64_MAX, 63, &kLoc), 1u);
}

TEST(RuntimeArith, CheckedOverflowPanics) {
  EXPECT_PANIC(asthra_add_i8(127, 1, &kLoc), "attempt to add with overflow");
  EXPECT_PANIC(asthra_add_u64(UINT64_MAX, 1, &kLoc), "attempt to add with overflow");
  EXPECT_PANIC(asthra_add_i64(INT64_MIN, -1, &kLoc), "attempt to add with overflow");
  EXPECT_PANIC(asthra_sub_u8(0, 1, &kLoc), "attempt to subtract with overflow");
  EXPECT_PANIC(asthra_sub_i32(INT32_MIN, 1, &kLoc), "attempt to subtract with overflow");
  EXPECT_PANIC(asthra_mul_i16(256, 128, &kLoc), "attempt to multiply with overflow");
  EXPECT_PANIC(asthra_mul_u32(65536, 65536, &kLoc), "attempt to multiply with overflow");
  EXPECT_PANIC(asthra_mul_i64(INT64_MIN, -1, &kLoc), "attempt to multiply with overflow");
  EXPECT_PANIC(asthra_neg_i8(INT8_MIN, &kLoc), "attempt to negate with overflow");
  EXPECT_PANIC(asthra_neg_i64(INT64_MIN, &kLoc), "attempt to negate with overflow");
  EXPECT_PANIC(asthra_neg_u32(1, &kLoc), "attempt to negate with overflow");
}

TEST(RuntimeArith, CheckedShiftPanics) {
  EXPECT_PANIC(asthra_shl_i32(1, 32, &kLoc), "attempt to shift left with overflow");
  EXPECT_PANIC(asthra_shl_u8(1, 8, &kLoc), "attempt to shift left with overflow");
  EXPECT_PANIC(asthra_shl_u64(1, UINT64_MAX, &kLoc), "attempt to shift left with overflow");
  EXPECT_PANIC(asthra_shr_i16(1, 16, &kLoc), "attempt to shift right with overflow");
  EXPECT_PANIC(asthra_shr_u64(1, 64, &kLoc), "attempt to shift right with overflow");
}

TEST(RuntimeArith, DivisionPanics) {
  EXPECT_PANIC(asthra_div_i32(1, 0, &kLoc), "attempt to divide by zero");
  EXPECT_PANIC(asthra_div_u8(1, 0, &kLoc), "attempt to divide by zero");
  EXPECT_PANIC(asthra_rem_i64(1, 0, &kLoc),
               "attempt to calculate the remainder with a divisor of zero");
  EXPECT_PANIC(asthra_rem_u16(1, 0, &kLoc),
               "attempt to calculate the remainder with a divisor of zero");
  EXPECT_PANIC(asthra_div_i8(INT8_MIN, -1, &kLoc), "attempt to divide with overflow");
  EXPECT_PANIC(asthra_div_i64(INT64_MIN, -1, &kLoc), "attempt to divide with overflow");
  EXPECT_PANIC(asthra_rem_i32(INT32_MIN, -1, &kLoc),
               "attempt to calculate the remainder with overflow");
  // Wrapping division still panics on a zero divisor.
  EXPECT_PANIC(asthra_wdiv_i32(1, 0, &kLoc), "attempt to divide by zero");
  EXPECT_PANIC(asthra_wrem_u64(1, 0, &kLoc),
               "attempt to calculate the remainder with a divisor of zero");
}

TEST(RuntimeArith, Wrapping) {
  EXPECT_EQ(asthra_wadd_i8(127, 1), INT8_MIN);
  EXPECT_EQ(asthra_wadd_u8(255, 1), 0);
  EXPECT_EQ(asthra_wadd_i64(INT64_MAX, 1), INT64_MIN);
  EXPECT_EQ(asthra_wsub_i32(INT32_MIN, 1), INT32_MAX);
  EXPECT_EQ(asthra_wsub_u16(0, 1), UINT16_MAX);
  EXPECT_EQ(asthra_wmul_u16(65535, 65535), 1);  // no int promotion overflow
  EXPECT_EQ(asthra_wmul_i16(INT16_MIN, -1), INT16_MIN);
  EXPECT_EQ(asthra_wmul_i64(INT64_MIN, -1), INT64_MIN);
  EXPECT_EQ(asthra_wmul_u64(UINT64_MAX, UINT64_MAX), 1u);
  EXPECT_EQ(asthra_wneg_i32(INT32_MIN), INT32_MIN);
  EXPECT_EQ(asthra_wneg_u8(1), 255);
  EXPECT_EQ(asthra_wneg_i64(5), -5);
  EXPECT_EQ(asthra_wshl_i32(1, 32), 1);    // n masked to 0
  EXPECT_EQ(asthra_wshl_i32(1, 33), 2);
  EXPECT_EQ(asthra_wshl_u8(1, 9), 2);
  EXPECT_EQ(asthra_wshl_i8(1, 7), INT8_MIN);
  EXPECT_EQ(asthra_wshr_i16(-32768, 15), -1);
  EXPECT_EQ(asthra_wshr_i16(-32768, 16), -32768);
  EXPECT_EQ(asthra_wshr_u32(0x80000000u, 63), 1u);
  EXPECT_EQ(asthra_wdiv_i32(INT32_MIN, -1, &kLoc), INT32_MIN);
  EXPECT_EQ(asthra_wrem_i32(INT32_MIN, -1, &kLoc), 0);
  EXPECT_EQ(asthra_wdiv_i8(INT8_MIN, -1, &kLoc), INT8_MIN);
  EXPECT_EQ(asthra_wrem_i64(INT64_MIN, -1, &kLoc), 0);
  EXPECT_EQ(asthra_wdiv_i64(-9, 2, &kLoc), -4);
  EXPECT_EQ(asthra_wrem_i64(-9, 2, &kLoc), -1);
  EXPECT_EQ(asthra_wdiv_u32(9, 2, &kLoc), 4u);
}

TEST(RuntimeArith, FloatToIntSaturates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(asthra_f2i_i32(nan), 0);
  EXPECT_EQ(asthra_f2i_u64(nan), 0u);
  EXPECT_EQ(asthra_f2i_i32(inf), INT32_MAX);
  EXPECT_EQ(asthra_f2i_i32(-inf), INT32_MIN);
  EXPECT_EQ(asthra_f2i_i32(2147483647.9), INT32_MAX);
  EXPECT_EQ(asthra_f2i_i32(2147483648.0), INT32_MAX);
  EXPECT_EQ(asthra_f2i_i32(-2147483648.9), INT32_MIN);
  EXPECT_EQ(asthra_f2i_i32(-3.99), -3);
  EXPECT_EQ(asthra_f2i_i8(300.0), INT8_MAX);
  EXPECT_EQ(asthra_f2i_i8(-300.0), INT8_MIN);
  EXPECT_EQ(asthra_f2i_i8(-128.7), INT8_MIN);
  EXPECT_EQ(asthra_f2i_i16(-1e9), INT16_MIN);
  EXPECT_EQ(asthra_f2i_u8(-1.0), 0);
  EXPECT_EQ(asthra_f2i_u8(-0.99), 0);
  EXPECT_EQ(asthra_f2i_u8(255.99), 255);
  EXPECT_EQ(asthra_f2i_u8(256.0), 255);
  EXPECT_EQ(asthra_f2i_u16(1e10), UINT16_MAX);
  EXPECT_EQ(asthra_f2i_u32(4294967295.5), UINT32_MAX);
  EXPECT_EQ(asthra_f2i_u32(-inf), 0u);
  EXPECT_EQ(asthra_f2i_i64(9.3e18), INT64_MAX);
  EXPECT_EQ(asthra_f2i_i64(-9.3e18), INT64_MIN);
  EXPECT_EQ(asthra_f2i_i64(-9223372036854775808.0), INT64_MIN);
  EXPECT_EQ(asthra_f2i_i64(1e18), 1000000000000000000);
  EXPECT_EQ(asthra_f2i_u64(1.8446744073709552e19), UINT64_MAX);
  EXPECT_EQ(asthra_f2i_u64(1.8446744073709550e19), 18446744073709549568ull);
  EXPECT_EQ(asthra_f2i_u64(inf), UINT64_MAX);
}

TEST(RuntimeArith, PanicFlushesStdoutFirst) {
  // In the child, stdout is made fully buffered and pointed at stderr (which
  // the death test captures): "before" shows up, ahead of the message, only
  // if the panic flushes stdout before it writes.
  EXPECT_EXIT(
      {
        std::fflush(stdout);
        std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
        dup2(2, 1);
        asthra_log(asthra_string{reinterpret_cast<const uint8_t *>("before"), 6});
        asthra_panic_cstr("boom", nullptr);
      },
      ::testing::ExitedWithCode(101), "^before\npanic: boom\n$");
  EXPECT_EXIT(asthra_panic(asthra_string{reinterpret_cast<const uint8_t *>("msg"), 3}, &kLoc),
              ::testing::ExitedWithCode(101), "^panic: msg\n  at math\\.asthra:12:7\n$");
}

TEST(RuntimeArith, ExitFlushesAndPassesStatus) {
  EXPECT_EXIT(
      {
        std::fflush(stdout);
        std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
        dup2(2, 1);
        asthra_log(asthra_string{reinterpret_cast<const uint8_t *>("bye"), 3});
        asthra_exit(7);
      },
      ::testing::ExitedWithCode(7), "^bye\n$");
}

}  // namespace
