/*
 * world.c: the thread registry, safepoints, native state, stopping the
 * world.
 *
 * Every thread that runs Asthra code is registered (a gc_thread holding its
 * stack's top and a pointer to its asthra__gc_self) and is in one of two
 * states (runtime.h):
 *   RUNNING  it may touch GC memory; a collection waits until it stops at a
 *            safepoint (generated code polls one flag at every loop back
 *            edge and function entry; the allocation slow path does too);
 *   NATIVE   it is in foreign or blocking code, has saved its registers and
 *            stack pointer, and will not touch GC memory before it leaves
 *            the state; a collection never waits for it and scans its stack
 *            above the saved pointer.
 * Stopping for a collection is being NATIVE in a wait: asthra__gc_park
 * saves the context, enters NATIVE and waits until the world resumes.
 *
 * The protocol (a Dekker pair, both sides sequentially consistent): the
 * collector sets `asthra__gc_stop_requested`, then waits for every other
 * thread to read as NATIVE; a thread leaving NATIVE stores RUNNING, then
 * reads the flag and, if set, goes back to NATIVE and waits. Either the
 * leaving thread sees the flag, or the collector sees RUNNING and waits
 * for the thread to park. The world resumes under park_lock with a
 * broadcast, so a parked thread cannot miss it. A thread in a long foreign
 * call never holds up a collection, and the scheme works unchanged under
 * ThreadSanitizer (whose deferred signal delivery defeats signal-based
 * stopping, bdwgc #181).
 *
 * One exception uses a signal. An innermost loop that calls nothing has no
 * safepoint (the compiler drops it so the C compiler can vectorise the
 * loop), and may run for as long as it likes: spinning on a flag another
 * thread sets after allocating would deadlock. Such a loop runs between
 * asthra_leaf_loop_enter and _exit (runtime.h); a collector whose few
 * yields did not stop a thread in one sends it PREEMPT_SIGNAL (SIGURG, as
 * Go does; ignored by default, so a stray one is harmless), and again
 * every 1 ms until it stops (the signal may have come just before the
 * loop). The handler parks the thread if it is still in the loop: the
 * kernel saved the interrupted registers on the thread's own stack (the
 * handler does not run on the alternate stack), below which the park
 * records the stack pointer, so the collection scans them like any other
 * part of the stack. Parking waits on a condition variable, which is not
 * async-signal-safe in general but is here: the interrupted code holds no
 * lock, as it calls nothing (the same reasoning as Go's asynchronous
 * preemption at points where its runtime holds no locks). Under
 * ThreadSanitizer the signal arrives only when the loop ends.
 *
 * Threads the runtime did not start (C threads calling back) register on
 * first use (thread.c's asthra_thread_attach) in NATIVE state, and the
 * trampoline around the callback leaves and re-enters it. A thread
 * unregisters at exit; unregistering takes gc_lock, so it waits for a
 * collection that may be scanning its stack.
 *
 * fork(): the child holds only the forking thread; the registry is cut
 * down to it and the locks are re-initialised (the prepare handler holds
 * gc_lock so no collection is in progress across the fork).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc/own/heap.h"

#define PREEMPT_SIGNAL SIGURG

int asthra__gc_stop_requested;
pthread_mutex_t gc_lock = PTHREAD_MUTEX_INITIALIZER;
gc_thread *gc_threads;

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t resumed = PTHREAD_COND_INITIALIZER;
static pthread_cond_t parked = PTHREAD_COND_INITIALIZER;
static ASTHRA__TLS_IE _Thread_local gc_thread *self_record;

/* ---- safepoints and native state ------------------------------------- */

static void wait_until_resumed(void) {
  pthread_mutex_lock(&park_lock);
  pthread_cond_broadcast(&parked); /* a collector may be waiting for us */
  while (__atomic_load_n(&asthra__gc_stop_requested, __ATOMIC_SEQ_CST)) {
    pthread_cond_wait(&resumed, &park_lock);
  }
  pthread_mutex_unlock(&park_lock);
}

void asthra__gc_leave_native_slow(void) {
  asthra__gc_mutator *m = &asthra__gc_self;
  for (;;) {
    __atomic_store_n(&m->state, ASTHRA__GC_NATIVE, __ATOMIC_SEQ_CST);
    wait_until_resumed();
    __atomic_store_n(&m->state, ASTHRA__GC_RUNNING, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&asthra__gc_stop_requested, __ATOMIC_SEQ_CST)) return;
  }
}

void asthra__gc_park(void) {
  asthra_enter_native();
  asthra_leave_native();
}

void gc_save_own_context(void) {
  asthra__gc_mutator *m = &asthra__gc_self;
  ASTHRA__GC_SAVE_REGISTERS(m);
}

void gc_lock_for_collection(void) {
  /* While we wait for another thread's collection we must not hold it up:
   * wait as NATIVE. */
  asthra__gc_mutator *m = &asthra__gc_self;
  bool running = m->state == ASTHRA__GC_RUNNING;
  if (running) asthra_enter_native();
  pthread_mutex_lock(&gc_lock);
  /* Only gc_lock's holder sets the stop flag, so it is clear now and
   * leaving NATIVE cannot block. */
  if (running) asthra_leave_native();
}

/* ---- stopping the world -------------------------------------------------- */

static bool is_running(const gc_thread *t) {
  return __atomic_load_n(&t->m->state, __ATOMIC_SEQ_CST) == ASTHRA__GC_RUNNING;
}

/* Stops the interrupted thread if it is in a leaf loop (see the top). */
static void preempt_leaf_loop(int sig) {
  (void)sig;
  int saved_errno = errno;
  asthra__gc_mutator *m = &asthra__gc_self;
  if (__atomic_load_n(&m->in_leaf_loop, __ATOMIC_RELAXED) && m->state == ASTHRA__GC_RUNNING &&
      __atomic_load_n(&asthra__gc_stop_requested, __ATOMIC_SEQ_CST)) {
    asthra__gc_park();
  }
  errno = saved_errno;
}

/* Waiting for a thread to stop: a few yields (it is usually about to),
 * then sleeping until it parks (wait_until_resumed signals `parked`), so
 * that on a busy machine the threads we wait for get the CPU. A thread
 * that stops by entering native code does not signal; the wait polls
 * every 100 us for it. */
static void wait_until_stopped(const gc_thread *t) {
  for (int i = 0; i < 16 && is_running(t); i++) sched_yield();
  if (!is_running(t)) return;
  pthread_mutex_lock(&park_lock);
  for (unsigned waits = 1; is_running(t); waits++) {
    if ((waits == 1 || waits % 10 == 0) && __atomic_load_n(&t->m->in_leaf_loop, __ATOMIC_RELAXED)) {
      pthread_kill(t->thread, PREEMPT_SIGNAL); /* then every 1 ms: see the top */
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&parked, &park_lock, &until);
  }
  pthread_mutex_unlock(&park_lock);
}

unsigned gc_stop_world(void) {
  __atomic_store_n(&asthra__gc_stop_requested, 1, __ATOMIC_SEQ_CST);
  unsigned stopped = 0;
  for (gc_thread *t = gc_threads; t != NULL; t = t->next) {
    if (t == self_record) continue;
    wait_until_stopped(t);
    stopped++;
  }
  return stopped;
}

/* gc_lock is let go under park_lock, which the woken threads need before
 * they run: a collector preempted right after the broadcast (on 2 cores
 * with 4 busy threads, for up to a time slice) can no longer hold gc_lock
 * while the others allocate far past the next trigger (the threads
 * benchmark's heap was 50 MiB for 5 MiB live). */
void gc_start_world_and_unlock(void) {
  pthread_mutex_lock(&park_lock);
  __atomic_store_n(&asthra__gc_stop_requested, 0, __ATOMIC_SEQ_CST);
  pthread_cond_broadcast(&resumed);
  pthread_mutex_unlock(&gc_lock);
  pthread_mutex_unlock(&park_lock);
}

/* ---- registration ---------------------------------------------------------- */

static uintptr_t stack_top(void) {
  pthread_attr_t attr;
  void *addr = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
  }
  if (addr == NULL) {
    asthra_panic_cstr("internal error: cannot find this thread's stack", NULL);
  }
  return (uintptr_t)addr + size;
}

/* Registers the calling thread in `state` (RUNNING or NATIVE). */
static void register_thread(int state) {
  asthra__gc_mutator *m = &asthra__gc_self;
  if (self_record != NULL) return;
  gc_thread *t = (gc_thread *)calloc(1, sizeof *t);
  if (t == NULL) gc_out_of_memory(sizeof *t);
  t->m = m;
  t->thread = pthread_self();
  t->stack_base = stack_top();
  ASTHRA__GC_SAVE_REGISTERS(m);
  /* Joining the registry as NATIVE first means an ongoing collection is
   * not held up; the state then moves on like any other thread's. */
  m->state = ASTHRA__GC_NATIVE;
  gc_lock_for_collection();
  t->next = gc_threads;
  if (gc_threads != NULL) gc_threads->prev = t;
  gc_threads = t;
  self_record = t;
  pthread_mutex_unlock(&gc_lock);
  if (state == ASTHRA__GC_RUNNING) asthra_leave_native();
}

void asthra__gc_register_thread(void) { register_thread(ASTHRA__GC_NATIVE); }

void gc_register_main_thread(void) { register_thread(ASTHRA__GC_RUNNING); }

void asthra__gc_unregister_thread(void) {
  gc_thread *t = self_record;
  if (t == NULL) return;
  asthra__gc_mutator *m = &asthra__gc_self;
  if (m->state == ASTHRA__GC_RUNNING) asthra_enter_native();
  pthread_mutex_lock(&gc_lock);
  if (t->prev != NULL) {
    t->prev->next = t->next;
  } else {
    gc_threads = t->next;
  }
  if (t->next != NULL) t->next->prev = t->prev;
  self_record = NULL;
  gc_flush_cache(m);
  m->state = ASTHRA__GC_DETACHED;
  pthread_mutex_unlock(&gc_lock);
  free(t);
}

/* ---- fork ------------------------------------------------------------------- */

/* Both locks across fork(), so the child's heap is not caught mid-update,
 * and no concurrent mark: the child has no helper markers to finish it. */
static void before_fork(void) {
  gc_lock_without_marking();
  pthread_mutex_lock(&gc_heap_lock);
}
static void parent_after_fork(void) {
  pthread_mutex_unlock(&gc_heap_lock);
  pthread_mutex_unlock(&gc_lock);
}

static void child_after_fork(void) {
  pthread_mutex_init(&gc_lock, NULL);
  pthread_mutex_init(&park_lock, NULL);
  pthread_cond_init(&resumed, NULL);
  pthread_cond_init(&parked, NULL);
  pthread_mutex_init(&gc_heap_lock, NULL);
  gc_thread *me = self_record;
  for (gc_thread *t = gc_threads, *next; t != NULL; t = next) {
    next = t->next;
    if (t != me) free(t);
  }
  gc_threads = me;
  if (me != NULL) me->next = me->prev = NULL;
}

void gc_world_init(void) {
  pthread_atfork(before_fork, parent_after_fork, child_after_fork);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = preempt_leaf_loop;
  sa.sa_flags = SA_RESTART; /* not SA_ONSTACK: the registers must land on the thread's stack */
  sigemptyset(&sa.sa_mask);
  sigaction(PREEMPT_SIGNAL, &sa, NULL);
}
