// Hard cases for a tracer, one per argv[1]:
//   exec-mt     a non-leader thread execs (the leader's tid takes over the new image)
//   clone-files a clone(CLONE_FILES) child re-points fd 5 that its parent then writes to
//   fork-storm  300 children, each exits with i % 256
//   thread-storm 200 threads, each exits
//   block-read  reads stdin forever (to be killed mid-syscall)
//   pid-reuse   forks a child (exit 7), then makes the next child get the same pid (exit 9) by
//               setting ns_last_pid: run it as pid 1's descendant in a new pid namespace
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *exec_from_thread(void *arg) {
  (void)arg;
  execl("/bin/echo", "echo", "exec from thread", (char *)NULL);
  _exit(127);
}

static void *idle(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int shared_table_child(void *arg) {
  // Same fd table as the parent: fd 5 now points at /dev/null instead of the pipe.
  int fd = open("/dev/null", O_WRONLY);
  dup2(fd, 5);
  close(fd);
  (void)arg;
  return 0;
}

static void *quick(void *arg) { return arg; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "exec-mt")) {
    pthread_t a, b;
    pthread_create(&a, NULL, idle, NULL);
    pthread_create(&b, NULL, exec_from_thread, NULL);
    pthread_join(b, NULL);
    return 1;
  }
  if (!strcmp(mode, "clone-files")) {
    int p[2];
    if (pipe(p)) return 1;
    dup2(p[1], 5);
    if (write(5, "to pipe\n", 8) != 8) return 2;
    static char stack[65536];
    pid_t c = clone(shared_table_child, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
    int st;
    waitpid(c, &st, 0);
    if (write(5, "to null\n", 8) != 8) return 3;
    return 0;
  }
  if (!strcmp(mode, "fork-storm")) {
    for (int i = 0; i < 300; i++) {
      pid_t c = fork();
      if (c == 0) _exit(i % 256);
      if (c < 0) return 1;
    }
    int st, n = 0;
    while (wait(&st) > 0) n++;
    printf("reaped %d\n", n);
    return n == 300 ? 0 : 1;
  }
  if (!strcmp(mode, "thread-storm")) {
    pthread_t t[200];
    for (int i = 0; i < 200; i++)
      if (pthread_create(&t[i], NULL, quick, NULL)) return 1;
    for (int i = 0; i < 200; i++) pthread_join(t[i], NULL);
    printf("joined 200\n");
    return 0;
  }
  if (!strcmp(mode, "block-read")) {
    char c;
    return (int)read(0, &c, 1);
  }
  if (!strcmp(mode, "pid-reuse")) {
    int st;
    pid_t first = fork();
    if (first == 0) _exit(7);
    waitpid(first, &st, 0);
    FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
    if (!f) return 3;
    fprintf(f, "%d", first - 1);
    fclose(f);
    pid_t second = fork();
    if (second == 0) _exit(9);
    waitpid(second, &st, 0);
    printf("%d %d\n", first, second);
    return first == second ? 0 : 4;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
