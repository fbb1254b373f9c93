/* Foreign library for the ownership/ tests: a C library that takes, lends and hands over memory and calls back into Asthra. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Untagged parameter: the library frees what it is given. */
void cbh_release(void *p) { free(p); }

/* Lends each chunk of `data` to `f` (valid during the call only); returns the sum of f's results. */
int64_t cbh_for_each_chunk(const uint8_t *data, size_t n, size_t chunk, int64_t (*f)(const uint8_t *, size_t)) {
    int64_t total = 0;
    for (size_t at = 0; at < n; at += chunk) total += f(data + at, n - at < chunk ? n - at : chunk);
    return total;
}

/* Makes `count` malloc'd strings "item0", "item1", ... and hands each to `f`, which takes ownership. */
int32_t cbh_produce(int32_t count, int32_t (*f)(char *)) {
    int32_t total = 0;
    for (int32_t i = 0; i < count; i++) {
        char *s = malloc(16);
        snprintf(s, 16, "item%d", (int)i);
        total += f(s);
    }
    return total;
}

/* A C-owned record whose name is a malloc'd C string. */
struct cbh_record {
    int32_t id;
    char *name;
};

/* Returns a new record with a copy of `name`; the caller owns it and releases it with cbh_record_free. */
struct cbh_record *cbh_record_new(int32_t id, const char *name) {
    struct cbh_record *r = malloc(sizeof *r);
    r->id = id;
    r->name = strdup(name);
    return r;
}

/* Lends the record's name (the record keeps ownership). */
const char *cbh_record_name(const struct cbh_record *r) { return r->name; }

void cbh_record_free(struct cbh_record *r) {
    free(r->name);
    free(r);
}
