// Slices, strings as views, zone crossings, pinning and secure memory
// (memory-model.md §4, §5): bounds messages, slice_from_raw_parts, to_c,
// guard pages, canaries, use after secure_free.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "asthra/runtime.h"

namespace {

const bool kRuntimeReady = (asthra_rt_init(0, nullptr), true);

const asthra_loc kLoc = {"slices.asthra", 3, 14};

#define EXPECT_PANIC(stmt, msg)                                                \
  EXPECT_EXIT((stmt), ::testing::ExitedWithCode(101),                          \
              "^panic: " msg "\n  at slices\\.asthra:3:14\n$")

asthra_string A(const char *s) {
  return asthra_string{reinterpret_cast<const uint8_t *>(s), std::strlen(s)};
}
std::string S(asthra_string s) {
  return std::string(reinterpret_cast<const char *>(s.ptr), s.len);
}

asthra_slice Ints(size_t n) {
  asthra_slice s = asthra_slice_alloc(n, sizeof(int64_t), 0);
  for (size_t i = 0; i < n; i++) static_cast<int64_t *>(s.ptr)[i] = static_cast<int64_t>(i);
  return s;
}

TEST(RuntimeSlice, IndexInRange) {
  ASSERT_TRUE(kRuntimeReady);
  EXPECT_EQ(asthra_index_s(0, 5, "slice", &kLoc), 0u);
  EXPECT_EQ(asthra_index_s(4, 5, "slice", &kLoc), 4u);
  EXPECT_EQ(asthra_index_u(4, 5, "array", &kLoc), 4u);
}

TEST(RuntimeSlice, IndexOutOfRangePanics) {
  EXPECT_PANIC(asthra_index_s(7, 5, "slice", &kLoc),
               "index 7 out of range for slice of length 5");
  EXPECT_PANIC(asthra_index_s(-1, 5, "slice", &kLoc),
               "index -1 out of range for slice of length 5");
  EXPECT_PANIC(asthra_index_s(INT64_MIN, 0, "array", &kLoc),
               "index -9223372036854775808 out of range for array of length 0");
  EXPECT_PANIC(asthra_index_u(5, 5, "string", &kLoc),
               "index 5 out of range for string of length 5");
  EXPECT_PANIC(asthra_index_u(UINT64_MAX, 3, "slice", &kLoc),
               "index 18446744073709551615 out of range for slice of length 3");
}

TEST(RuntimeSlice, Subslice) {
  asthra_slice s = Ints(5);
  asthra_slice t = asthra_subslice(s, sizeof(int64_t), 1, 4, 0, &kLoc);
  ASSERT_EQ(t.len, 3u);
  EXPECT_EQ(static_cast<int64_t *>(t.ptr)[0], 1);
  EXPECT_EQ(t.ptr, static_cast<int64_t *>(s.ptr) + 1);  // a view, no copy
  EXPECT_EQ(asthra_subslice(s, 8, 5, 5, 0, &kLoc).len, 0u);
  EXPECT_EQ(asthra_subslice(s, 8, 0, 5, 0, &kLoc).len, 5u);
  asthra_slice empty = {nullptr, 0};
  asthra_slice e2 = asthra_subslice(empty, 8, 0, 0, 0, &kLoc);
  EXPECT_EQ(e2.ptr, nullptr);
  EXPECT_EQ(e2.len, 0u);
}

TEST(RuntimeSlice, SubsliceOutOfRangePanics) {
  asthra_slice s = Ints(5);
  EXPECT_PANIC(asthra_subslice(s, 8, 3, 9, 0, &kLoc),
               "slice bounds \\[3:9\\] out of range for slice of length 5");
  EXPECT_PANIC(asthra_subslice(s, 8, 4, 2, 0, &kLoc),
               "slice bounds \\[4:2\\] out of range for slice of length 5");
  EXPECT_PANIC(asthra_subslice(s, 8, -1, 2, 0, &kLoc),
               "slice bounds \\[-1:2\\] out of range for slice of length 5");
  EXPECT_PANIC(asthra_substring(A("hello"), 3, 9, 0, &kLoc),
               "slice bounds \\[3:9\\] out of range for string of length 5");
  // Unsigned bounds above INT64_MAX arrive as negative int64_t values.
  EXPECT_PANIC(asthra_subslice(s, 8, 2, -1, 2, &kLoc),
               "slice bounds \\[2:18446744073709551615\\] out of range for slice of length 5");
  EXPECT_PANIC(asthra_substring(A("hello"), INT64_MIN, 2, 1, &kLoc),
               "slice bounds \\[9223372036854775808:2\\] out of range for string of length 5");
}

TEST(RuntimeSlice, Substring) {
  asthra_string h = A("hello");
  EXPECT_EQ(S(asthra_substring(h, 1, 3, 0, &kLoc)), "el");
  EXPECT_EQ(asthra_substring(h, 1, 3, 0, &kLoc).ptr, h.ptr + 1);
  EXPECT_EQ(S(asthra_substring(h, 5, 5, 0, &kLoc)), "");
}

TEST(RuntimeSlice, NonNull) {
  int x = 0;
  EXPECT_EQ(asthra_nonnull(&x, &kLoc), &x);
  EXPECT_PANIC(asthra_nonnull(nullptr, &kLoc), "null pointer dereference");
}

TEST(RuntimeSlice, Allocation) {
  asthra_slice b = asthra_allocate_slice(100, nullptr);
  ASSERT_EQ(b.len, 100u);
  for (size_t i = 0; i < b.len; i++) EXPECT_EQ(static_cast<uint8_t *>(b.ptr)[i], 0);
  asthra_slice z = asthra_allocate_slice(0, nullptr);
  EXPECT_NE(z.ptr, nullptr);
  EXPECT_EQ(z.len, 0u);
  asthra_slice p = asthra_slice_alloc(10, sizeof(void *), ASTHRA_GC_LAYOUT(1, 1));
  for (size_t i = 0; i < p.len; i++) EXPECT_EQ(static_cast<void **>(p.ptr)[i], nullptr);
  void *raw = asthra_gc_alloc_noscan(33);
  for (int i = 0; i < 33; i++) EXPECT_EQ(static_cast<uint8_t *>(raw)[i], 0);
}

TEST(RuntimeSlice, AllocationOverflowPanics) {
  EXPECT_EXIT(asthra_slice_alloc(SIZE_MAX / 2, 4, 0), ::testing::ExitedWithCode(101),
              "^panic: out of memory");
}

TEST(RuntimeSlice, FromRawParts) {
  int64_t local[4] = {1, 2, 3, 4};
  asthra_slice s = asthra_slice_from_raw_parts(local, 4, sizeof(int64_t),
                                               ASTHRA_OWNERSHIP_BORROWED, &kLoc);
  EXPECT_EQ(s.ptr, local);
  EXPECT_EQ(s.len, 4u);
  asthra_slice n = asthra_slice_from_raw_parts(nullptr, 0, 8, ASTHRA_OWNERSHIP_C, &kLoc);
  EXPECT_EQ(n.ptr, nullptr);
  EXPECT_EQ(n.len, 0u);
  EXPECT_PANIC(asthra_slice_from_raw_parts(nullptr, 3, 8, ASTHRA_OWNERSHIP_C, &kLoc),
               "slice_from_raw_parts: null pointer with length 3");
}

// A pinned C range is a root: a GC object referenced only from it survives
// collections, and unpinning makes it collectable again. Pinning the same
// range twice counts once (one unpin removes it).
TEST(RuntimeSlice, PinnedRangeIsARoot) {
  const size_t kSlots = 64;
  void **c_mem = static_cast<void **>(std::calloc(kSlots, sizeof(void *)));
  ASSERT_NE(c_mem, nullptr);
  asthra_slice s = asthra_slice_from_raw_parts(c_mem, kSlots, sizeof(void *),
                                               ASTHRA_OWNERSHIP_PINNED, &kLoc);
  asthra_pin(c_mem, kSlots * sizeof(void *));  // the same range again
  // Hide the only reference from the stack: store it in C memory, XORed
  // copy kept for checking.
  uintptr_t hidden;
  {
    void *obj = asthra_gc_alloc(4096);
    std::memset(obj, 0xAB, 4096);
    c_mem[17] = obj;
    hidden = reinterpret_cast<uintptr_t>(obj) ^ 0x5555;
    obj = nullptr;
  }
  for (int i = 0; i < 3; i++) asthra_gc_collect();
  // Still intact: the collector did not reuse it.
  for (int i = 0; i < 200; i++) std::memset(asthra_gc_alloc(4096), 0, 4096);
  auto *bytes = reinterpret_cast<uint8_t *>(hidden ^ 0x5555);
  EXPECT_EQ(bytes[0], 0xAB);
  EXPECT_EQ(bytes[4095], 0xAB);
  asthra_unpin(s.ptr);
  asthra_unpin(s.ptr);  // no-op
  asthra_unpin(nullptr);
  c_mem[17] = nullptr;
  std::free(c_mem);
}

TEST(RuntimeSlice, ToCAndCStrings) {
  asthra_slice s = Ints(6);
  asthra_slice c = asthra_to_c(s, sizeof(int64_t));
  ASSERT_EQ(c.len, 6u);
  EXPECT_NE(c.ptr, s.ptr);
  EXPECT_EQ(std::memcmp(c.ptr, s.ptr, 6 * sizeof(int64_t)), 0);
  std::free(c.ptr);
  asthra_slice ce = asthra_to_c(asthra_slice{nullptr, 0}, 8);
  EXPECT_NE(ce.ptr, nullptr);
  std::free(ce.ptr);

  uint8_t *cs = asthra_string_to_cstr(A("héllo"));
  EXPECT_STREQ(reinterpret_cast<char *>(cs), "héllo");
  std::free(cs);
  cs = asthra_string_to_cstr(asthra_string{nullptr, 0});
  EXPECT_STREQ(reinterpret_cast<char *>(cs), "");
  std::free(cs);
  EXPECT_EQ(S(asthra_cstr_to_string(reinterpret_cast<const uint8_t *>("abc"), nullptr)), "abc");
  EXPECT_EQ(asthra_cstr_to_string(reinterpret_cast<const uint8_t *>(""), nullptr).len, 0u);
  EXPECT_EXIT(asthra_cstr_to_string(nullptr, nullptr), ::testing::ExitedWithCode(101),
              "^panic: cstr_to_string: null pointer\n$");
}

TEST(RuntimeSlice, FillRandom) {
  asthra_slice a = asthra_allocate_slice(64, nullptr), b = asthra_allocate_slice(64, nullptr);
  asthra_fill_random(a, nullptr);
  asthra_fill_random(b, nullptr);
  EXPECT_NE(std::memcmp(a.ptr, b.ptr, 64), 0);
  asthra_fill_random(asthra_slice{nullptr, 0}, nullptr);
}

TEST(RuntimeSlice, ArgsEmptyWithoutArgv) {
  asthra_slice args = asthra_args();
  EXPECT_EQ(args.len, 0u);
}

// ---- secure memory ----

TEST(RuntimeSecure, LayoutAndZeroing) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (size_t n : {size_t{1}, size_t{32}, size_t{100}, page - 1, page, page + 1, 3 * page}) {
    asthra_slice s = asthra_allocate_secure(n, &kLoc);
    ASSERT_EQ(s.len, n);
    auto *p = static_cast<uint8_t *>(s.ptr);
    // Ends exactly at a page boundary (the trailing guard page).
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p + n) % page, 0u) << n;
    if (n % page == 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % page, 0u);
    }
    for (size_t i = 0; i < n; i++) ASSERT_EQ(p[i], 0);
    std::memset(p, 0x42, n);
    asthra_secure_zero(p, n, &kLoc);
    for (size_t i = 0; i < n; i++) ASSERT_EQ(p[i], 0);
    std::memset(p, 0x42, n);
    asthra_secure_free(s, &kLoc);
  }
  asthra_slice z = asthra_allocate_secure(0, &kLoc);
  EXPECT_EQ(z.len, 0u);
  asthra_secure_free(z, &kLoc);
  asthra_secure_zero(nullptr, 0, &kLoc);
  EXPECT_EXIT(asthra_secure_zero(nullptr, 5, &kLoc), ::testing::ExitedWithCode(101),
              "panic: secure_zero: null pointer with a non-zero length");
}

TEST(RuntimeSecure, WriteOnePastTheEndFaults) {
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(40, &kLoc);
        volatile uint8_t *p = static_cast<uint8_t *>(s.ptr);
        p[39] = 1;
        p[40] = 1;  // first byte of the trailing guard page
      },
      ::testing::ExitedWithCode(101),
      "^panic: secure buffer overflow \\(guard page hit at 0x[0-9a-f]+\\)\n$");
}

TEST(RuntimeSecure, PageSizedUnderflowHitsLeadingGuard) {
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(static_cast<size_t>(sysconf(_SC_PAGESIZE)), &kLoc);
        volatile uint8_t *p = static_cast<uint8_t *>(s.ptr);
        p[-1] = 1;
      },
      ::testing::ExitedWithCode(101), "^panic: secure buffer overflow \\(guard page hit");
}

TEST(RuntimeSecure, CanaryCatchesUnderflow) {
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(100, &kLoc);
        static_cast<uint8_t *>(s.ptr)[-1] ^= 0xFF;
        asthra_secure_free(s, &kLoc);
      },
      ::testing::ExitedWithCode(101), "^panic: secure buffer underflow: .*slices\\.asthra:3:14\n$");
}

TEST(RuntimeSecure, UseAfterFreeFaults) {
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(64, &kLoc);
        asthra_secure_free(s, &kLoc);
        volatile uint8_t *p = static_cast<uint8_t *>(s.ptr);
        (void)p[0];
      },
      ::testing::ExitedWithCode(101), "^panic: use of freed secure buffer \\(access at 0x");
}

TEST(RuntimeSecure, FreeMisusePanics) {
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(64, &kLoc);
        asthra_secure_free(s, &kLoc);
        asthra_secure_free(s, &kLoc);
      },
      ::testing::ExitedWithCode(101), "^panic: secure_free: secure buffer already freed\n");
  EXPECT_PANIC(asthra_secure_free(asthra_allocate_slice(8, nullptr), &kLoc),
               "secure_free: not a secure slice");
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(64, &kLoc);
        asthra_secure_free(asthra_slice{s.ptr, 8}, &kLoc);
      },
      ::testing::ExitedWithCode(101), "^panic: secure_free: not a secure slice \\(a part of one");
}

// Every door out of the process zeroes live secure buffers with the same
// routine; asthra_rt_finish is the one whose effect can still be observed
// afterwards (panics and exits end the process at once).
TEST(RuntimeSecure, FinishZeroesLiveSecrets) {
  EXPECT_EXIT(
      {
        asthra_slice s = asthra_allocate_secure(48, &kLoc);
        std::memset(s.ptr, 0x77, 48);
        int status = asthra_rt_finish(0);
        const auto *p = static_cast<const uint8_t *>(s.ptr);
        for (size_t i = 0; i < 48; i++) {
          if (p[i] != 0) _exit(1);
        }
        _exit(status + 42);
      },
      ::testing::ExitedWithCode(42), "");
}

// The faulting stores live in functions the sanitizers leave alone, so in
// an ASTHRA_SANITIZE build the hardware fault (not a sanitizer report) is
// what the handler sees, as it would be in generated code.
__attribute__((noinline, no_sanitize("address", "undefined"))) void Store(uintptr_t addr) {
  *reinterpret_cast<volatile int *>(addr) = 1;
}

TEST(RuntimeFaults, NullDereference) {
  EXPECT_EXIT(Store(0), ::testing::ExitedWithCode(101), "^panic: null pointer dereference\n$");
  EXPECT_EXIT(Store(4000), ::testing::ExitedWithCode(101), "^panic: null pointer dereference\n$");
}

TEST(RuntimeFaults, WildPointer) {
  EXPECT_EXIT(Store(0xdead0000), ::testing::ExitedWithCode(101),
              "^panic: segmentation fault at address 0xdead0000\n$");
}

volatile int recursion_limit = INT32_MAX;  // never reached; defeats -Winfinite-recursion

int Recurse(volatile char *prev, int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (prev != nullptr) frame[1] = prev[0];
  if (depth >= recursion_limit) return 0;
  return Recurse(frame, depth + 1) + frame[0];
}

TEST(RuntimeFaults, StackOverflow) {
  EXPECT_EXIT(Recurse(nullptr, 0), ::testing::ExitedWithCode(101), "^panic: stack overflow\n$");
}

// Termination signals zero secure memory and then die by the signal (the
// default action), so a parent still sees "killed by SIGTERM". A SIGSEGV
// sent with kill/raise is a request to die, not a fault: no panic.
TEST(RuntimeFaults, TerminationSignalsKeepTheirMeaning) {
  EXPECT_EXIT(raise(SIGTERM), ::testing::KilledBySignal(SIGTERM), "");
  EXPECT_EXIT(std::abort(), ::testing::KilledBySignal(SIGABRT), "");
  EXPECT_EXIT(raise(SIGSEGV), ::testing::KilledBySignal(SIGSEGV), "");
}

}  // namespace
