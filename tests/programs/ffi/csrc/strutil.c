/* Foreign library for ffi/extra_files.asthra, given on the command line via `// extra-files:`. */
#include <stddef.h>
#include <stdint.h>

size_t su_count_byte(const uint8_t *p, size_t n, uint8_t b) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) if (p[i] == b) count++;
    return count;
}

int32_t su_negate(int32_t x) { return -x; }
