/*
 * thread.c: threads the runtime did not start.
 *
 * A foreign thread (started by C code) may call an Asthra function passed to
 * C as a callback.  Before that function runs, the collector must know the
 * thread (its stack is a root, and a collection must be able to stop it) and
 * the thread needs the runtime's per-thread fault handling (an alternate
 * signal stack and its stack bounds, for stack-overflow reports).  The
 * compiler therefore enters every Asthra function that is used as a function
 * value through a trampoline that calls asthra_thread_attach() first
 * (language.md: "A thread that C starts and that calls back is registered
 * with the collector automatically").
 *
 * Invariants: attaching is idempotent and costs one thread-local load once
 * done; a thread that attached here is detached when it exits (a
 * pthread-key destructor, which runs on the exiting thread), so the
 * collector never tries to stop a thread that is gone.  Threads the
 * collector already knows (the main thread) are left registered.
 */
#include <pthread.h>
#include <stdbool.h>

#include "internal.h"

static pthread_key_t detach_key;
static pthread_once_t detach_key_once = PTHREAD_ONCE_INIT;
static _Thread_local bool attached;

static void detach_at_exit(void *unused) {
  (void)unused;
  asthra__os_thread_detach();
  asthra__gc_unregister_thread();
  attached = false;
}

static void make_detach_key(void) { pthread_key_create(&detach_key, detach_at_exit); }

void asthra__thread_attach_slow(void) {
  attached = true;
  pthread_once(&detach_key_once, make_detach_key);
  asthra__gc_register_thread();
  asthra__os_thread_attach();
  pthread_setspecific(detach_key, (void *)1);
}

void asthra_thread_attach(void) {
  if (ASTHRA_LIKELY(attached)) return;
  asthra__thread_attach_slow();
}
