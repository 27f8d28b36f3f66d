// chain N USEC [PIDFILE]: a fork chain N processes deep. Each process appends its pid to PIDFILE
// (one line, O_APPEND), waits USEC microseconds, forks the next, and waits for it; the last one
// sleeps. A tree that grows while something tries to kill it (pipetrace run --timeout).
// Once PIDFILE.stop exists no process forks any more (it sleeps instead): how a test that
// finds survivors stops their growth before it kills them.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: chain N USEC [PIDFILE]\n");
    return 2;
  }
  long n = atol(argv[1]);
  long usec = atol(argv[2]);
  const char *pidfile = argc > 3 ? argv[3] : NULL;
  char stop[4096] = "";
  if (pidfile) snprintf(stop, sizeof stop, "%s.stop", pidfile);
  for (long depth = 1;; depth++) {
    if (pidfile) {
      int fd = open(pidfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        char line[32];
        int len = snprintf(line, sizeof line, "%d\n", (int)getpid());
        (void)write(fd, line, (size_t)len);
        close(fd);
      }
    }
    if (depth >= n || (stop[0] && access(stop, F_OK) == 0)) {
      for (;;) pause();
    }
    if (usec > 0) usleep((useconds_t)usec);
    pid_t child = fork();
    if (child < 0) {
      for (;;) pause();
    }
    if (child > 0) {
      int status;
      while (waitpid(child, &status, 0) < 0) {
      }
      return 0;
    }
  }
}
