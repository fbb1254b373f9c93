/* Foreign library for ffi/callback_custom.asthra: calls back into Asthra through function pointers. */
#include <stddef.h>
#include <stdint.h>

int32_t cb_apply_twice(int32_t (*f)(int32_t), int32_t x) { return f(f(x)); }

void cb_for_each(const int64_t *p, size_t n, void (*f)(int64_t)) {
    for (size_t i = 0; i < n; i++) f(p[i]);
}

double cb_integrate(double (*f)(double), double lo, double hi, int32_t steps) {
    double h = (hi - lo) / steps, total = 0.0;
    for (int32_t i = 0; i < steps; i++) total += f(lo + (i + 0.5) * h) * h;
    return total;
}
