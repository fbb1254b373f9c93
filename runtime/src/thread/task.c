/*
 * task.c: `spawn` — tasks on OS threads.
 *
 * A task is one call run on a new thread: the compiler packs the arguments
 * (and a slot for the result, first) into a GC object and passes a `run`
 * function that unpacks them.  The thread registers itself with the
 * collector before it touches that object (asthra_thread_attach), so its
 * stack is scanned and a collection can stop it; until then the object is
 * reachable from the task record, and every task record is reachable from
 * the list `all_tasks` (a static variable, so a root).
 *
 * Joining: a task is finished when its `done` flag is set under its lock;
 * asthra_task_join waits on the condition variable and may be called any
 * number of times.  When main returns, asthra_rt_finish joins every task
 * (language.md: "the program waits for tasks still running").  A panic in a
 * task ends the process (panic.c prints the task's name, which this file
 * keeps in a thread-local).
 *
 * Invariants: every task's thread is joined exactly once (by the first
 * await, or at exit), which also drops it from `all_tasks`; a handle keeps
 * the record alive for later awaits; `all_tasks` is only changed under
 * `tasks_lock`.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct asthra_task {
  void (*run)(void *);
  void *data;
  const char *name;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t finished;
  bool done;
  bool joined_thread;
  struct asthra_task *next;
};

static pthread_mutex_t tasks_lock = PTHREAD_MUTEX_INITIALIZER;
static asthra_task *all_tasks;
/* Read by the fault handler (os/signals.c): initial-exec, as internal.h asks. */
static _Thread_local const char *current_task ASTHRA__TLS_IE;

const char *asthra__current_task_name(void) { return current_task; }

static void *task_main(void *arg) {
  asthra_task *t = arg;
  asthra_thread_attach(); /* registers the thread as native (in C) ... */
  asthra_leave_native();  /* ... and now it runs Asthra code */
  current_task = t->name;
  t->run(t->data);
  asthra_enter_native(); /* ending, or waiting for the lock: not GC-safe work */
  pthread_mutex_lock(&t->lock);
  t->done = true;
  pthread_cond_broadcast(&t->finished);
  pthread_mutex_unlock(&t->lock);
  return NULL;
}

asthra_handle asthra_spawn(void (*run)(void *), void *data, const char *name, const asthra_loc *loc) {
  asthra_task *t = asthra_gc_alloc(sizeof *t);
  t->run = run;
  t->data = data;
  t->name = name;
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->finished, NULL);
  pthread_mutex_lock(&tasks_lock);
  t->next = all_tasks;
  all_tasks = t;
  pthread_mutex_unlock(&tasks_lock);
  int rc = pthread_create(&t->thread, NULL, task_main, t);
  if (rc != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "cannot start a task for `%s`: %s", name, strerror(rc));
    asthra_panic_cstr(msg, loc);
  }
  return (asthra_handle){t, data};
}

/* Claims the thread of `t` for pthread_join and drops the record from the
 * list (a handle keeps it alive if it is awaited again). */
static bool claim(asthra_task *t) {
  pthread_mutex_lock(&tasks_lock);
  bool mine = !t->joined_thread;
  t->joined_thread = true;
  for (asthra_task **p = &all_tasks; *p != NULL; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      asthra_gc_wrote(p, sizeof *p);
      break;
    }
  }
  pthread_mutex_unlock(&tasks_lock);
  return mine;
}

/* Waiting for a task blocks: the waiting thread is native meanwhile, so a
 * collection the task needs does not wait for it. claim() writes GC memory
 * (the list), which a native thread must not do while a collection may be
 * reading it, so it runs in between. */
static void join_thread(asthra_task *t) {
  asthra_enter_native();
  pthread_join(t->thread, NULL);
  asthra_leave_native();
}

void asthra_task_join(asthra_task *t) {
  asthra_enter_native();
  pthread_mutex_lock(&t->lock);
  while (!t->done) pthread_cond_wait(&t->finished, &t->lock);
  pthread_mutex_unlock(&t->lock);
  asthra_leave_native();
  if (claim(t)) join_thread(t);
}

void asthra__tasks_join_all(void) {
  for (;;) {
    pthread_mutex_lock(&tasks_lock);
    asthra_task *t = all_tasks;
    pthread_mutex_unlock(&tasks_lock);
    if (t == NULL) break;
    if (claim(t)) join_thread(t);
  }
}
