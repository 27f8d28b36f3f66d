// `stop_storm N CALLS`: N child processes, all alive at once, each blocked in read() on one pipe
// until the parent closes its write end: then they all wake at the same moment, and each makes
// CALLS pairs of dup(2) and close and exits 0. The parent waits for them all and exits 0 (1 when
// one failed). Traced, their stops come together: many for each SIGCHLD the tracer takes (a
// SIGCHLD sent while one is pending is dropped).
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 300;
  int calls = argc > 2 ? atoi(argv[2]) : 20;
  int fds[2];
  if (pipe(fds) != 0) return 1;
  for (int i = 0; i < n; i++) {
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
      close(fds[1]);
      char c;
      if (read(fds[0], &c, 1) != 0) _exit(1);
      for (int j = 0; j < calls; j++) {
        int d = dup(2);
        if (d < 0 || close(d) != 0) _exit(1);
      }
      _exit(0);
    }
  }
  close(fds[1]);
  int status, failed = 0;
  while (wait(&status) > 0) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  return failed;
}
