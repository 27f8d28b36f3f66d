// Four threads each write one line into a pipe that the main thread reads to EOF; then a fork,
// a vfork+exec and a raw clone, so one run exercises every way a task is born.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int pipe_fds[2];

static void *writer(void *arg) {
  char line[32];
  int n = snprintf(line, sizeof line, "thread %ld\n", (long)arg);
  if (write(pipe_fds[1], line, (size_t)n) != n) abort();
  return NULL;
}

static int clone_child(void *arg) {
  (void)arg;
  return 5;
}

int main(void) {
  if (pipe(pipe_fds) != 0) return 1;
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, writer, (void *)i);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  close(pipe_fds[1]);
  char buf[256];
  ssize_t total = 0, n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) total += n;
  close(pipe_fds[0]);

  int status;
  pid_t f = fork();
  if (f == 0) _exit(3);
  waitpid(f, &status, 0);

  pid_t v = vfork();
  if (v == 0) {
    execl("/bin/true", "true", (char *)NULL);
    _exit(127);
  }
  waitpid(v, &status, 0);

  static char stack[65536];
  pid_t c = clone(clone_child, stack + sizeof stack, SIGCHLD, NULL);
  waitpid(c, &status, 0);
  printf("read %zd bytes, clone child exited %d\n", total, WEXITSTATUS(status));
  return 0;
}
