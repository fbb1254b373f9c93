/*
 * measure: runs a program and reports its wall time, CPU time and peak RSS.
 *
 *   measure REPORT PROGRAM [ARGS...]
 *
 * writes "STATUS WALL_S USER_S SYS_S MAXRSS_KIB" to the file REPORT, where
 * STATUS is the exit status or 128 + the signal. bench/run uses it instead
 * of forking the program itself because Linux carries the forking
 * process's RSS high-water mark over into the child's ru_maxrss at exec:
 * a child of a 20 MiB Python would never report less than 20 MiB. This
 * process is small, so the figure is the program's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: measure REPORT PROGRAM [ARGS...]\n");
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    perror("measure: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "measure: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("measure: wait4");
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE *f = fopen(argv[1], "w");
  if (f == NULL) {
    perror("measure: report");
    return 2;
  }
  fprintf(f, "%d %.6f %.6f %.6f %ld\n", code, wall, seconds(ru.ru_utime),
          seconds(ru.ru_stime), ru.ru_maxrss);
  fclose(f);
  return 0;
}
