// A holder THREAD with its own fd table: the process forks a reader on a pipe, a thread of the
// parent unshares its fd table (unshare(CLONE_FILES): it now holds a copy of every fd), and the
// parent's main table closes the write end. Only the thread's table still holds it, so the reader
// waits; /proc/PID/fd no longer shows the write end, /proc/PID/task/TID/fd does.
// Writes "PID TID READER\n" to stdout once set up, then waits to be killed.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int ready[2];

static void *holder(void *arg) {
  (void)arg;
  if (unshare(CLONE_FILES) != 0) {
    perror("unshare");
    exit(1);
  }
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (write(ready[1], &tid, sizeof tid) != sizeof tid) exit(1);
  for (;;) pause();
  return NULL;
}

int main(void) {
  int p[2];
  if (pipe(p) != 0 || pipe(ready) != 0) return 1;
  pid_t reader = fork();
  if (reader == 0) {
    close(p[1]);
    char buf[256];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) {}
    _exit(n == 0 ? 0 : 1);  // EOF: every write end is gone
  }
  close(p[0]);
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  pid_t tid;
  if (read(ready[0], &tid, sizeof tid) != sizeof tid) return 1;
  close(p[1]);  // the main table's write end; the thread's copy stays
  printf("%d %d %d\n", (int)getpid(), (int)tid, (int)reader);
  fflush(stdout);
  for (;;) pause();
}
