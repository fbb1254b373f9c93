// Codegen is deterministic: the same program gives the same C, whatever the
// heap looked like before.  A robustness property (issue 9), found by
// fuzz_frontend, which compiles every input twice: declarations kept in
// pointer-keyed sets were emitted in address order, so a second compile in
// the same process (or a build whose allocations land elsewhere) could order
// the C differently.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "compiler/codegen/codegen.h"
#include "frontend_helpers.h"

namespace asthra {
namespace {

// A program that declares several libc functions, passes a function as a
// value and to C (wrappers and trampolines), so every set codegen keeps has
// several members.
const char* kProgram = R"(
extern "C" fn qsort(base: *mut void, n: usize, size: usize, cmp: fn(*const void, *const void) -> i32);

fn by_value(a: *const void, b: *const void) -> i32 {
  let x: i32 = unsafe { *(a as *const i32) };
  let y: i32 = unsafe { *(b as *const i32) };
  return x - y;
}

fn twice(f: fn(i64) -> i64, x: i64) -> i64 { return f(f(x)); }
fn inc(x: i64) -> i64 { return x + 1; }
fn dec(x: i64) -> i64 { return x - 1; }

fn main() {
  let p: *mut u8 = unsafe { libc.malloc(16) as *mut u8 };
  let q: *mut u8 = unsafe { libc.calloc(4, 4) as *mut u8 };
  unsafe { libc.memset(q as *mut void, 0, 16); }
  unsafe { libc.memcpy(p as *mut void, q as *const void, 16); }
  let n: usize = unsafe { libc.strlen(p as *const u8) };
  unsafe { qsort(q as *mut void, 4, 4, by_value); }
  unsafe { libc.free(p as *mut void); }
  unsafe { libc.free(q as *mut void); }
  log(twice(inc, 1) + twice(dec, 5) + (n as i64));
}
)";

std::string emit(const std::string& text) {
  auto c = testing::compile(text);
  EXPECT_TRUE(c->ok) << ::testing::PrintToString(c->codes());
  if (!c->ok) return "";
  return generate_c(c->program, c->sources, CodegenOptions{});
}

TEST(CodegenDeterminism, SameProgramSameC) {
  std::string first = emit(kProgram);
  ASSERT_FALSE(first.empty());
  // Perturb the heap between compiles so that nodes land at other addresses.
  std::vector<std::unique_ptr<char[]>> ballast;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 64; ++i) ballast.emplace_back(new char[16 + (round * 131 + i * 17) % 4000]);
    if (round % 2) ballast.erase(ballast.begin(), ballast.begin() + static_cast<long>(ballast.size() / 2));
    EXPECT_EQ(emit(kProgram), first) << "round " << round;
  }
}

}  // namespace
}  // namespace asthra
