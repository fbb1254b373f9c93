/* Foreign library for ffi/callback_foreign_thread.asthra: starts its own pthreads, which call back into Asthra. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t (*work_fn)(int64_t);
struct job { work_fn f; int64_t arg; int64_t result; };

static void *run_job(void *p) {
    struct job *j = p;
    j->result = j->f(j->arg);
    return NULL;
}

int64_t tl_run_two(work_fn f, int64_t a, int64_t b) {
    pthread_t t1, t2;
    struct job j1 = { f, a, 0 }, j2 = { f, b, 0 };
    pthread_create(&t1, NULL, run_job, &j1);
    pthread_create(&t2, NULL, run_job, &j2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return j1.result + j2.result;
}
