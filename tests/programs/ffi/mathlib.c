/* Foreign library for ffi/foreign_lib.asthra and ffi/c_fills_buffer.asthra:
 * linked because those tests declare `extern "mathlib"` and this file lies beside them. */
#include <stddef.h>
#include <stdint.h>

int32_t ml_add(int32_t a, int32_t b) { return a + b; }

int64_t ml_sum_i32(const int32_t *p, size_t n) {
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) total += p[i];
    return total;
}

double ml_hypot2(double a, double b) { return a * a + b * b; }

void ml_fill(uint8_t *p, size_t n, uint8_t start) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(start + i);
}

uint64_t ml_big(void) { return 18446744073709551615ull; }

static const char greeting[] = "hello from C";
const char *ml_greeting(void) { return greeting; }
