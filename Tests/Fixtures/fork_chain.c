// A fork chain: `fork_chain DEPTH [EVERY [exec]]`. Process 1 forks process 2 and waits for it,
// which forks process 3 and waits, ... down to process DEPTH, which exits 0; each exits with its
// child's status, so DEPTH processes are alive at the bottom. The first and every EVERY-th process
// (default 1000, 0: none) print `DEPTH SECONDS` (CLOCK_MONOTONIC) on stdout as they start: the rate
// the chain grows at.
// With `exec`, each child execs this program again (fork, exec, wait). Without it the kernel's own
// cost grows with depth: every process of a plain fork chain links to the anon_vmas of all its
// ancestors (anon_vma_chain, quadratic in depth), traced or not.
// A fork that fails ends the chain there with status 1 and prints `fork failed at DEPTH`.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long depth = argc > 1 ? atol(argv[1]) : 100;
  long every = argc > 2 ? atol(argv[2]) : 1000;
  int exec_each = argc > 3 && strcmp(argv[3], "exec") == 0;
  long level = argc > 4 ? atol(argv[4]) : 1;
  setvbuf(stdout, NULL, _IONBF, 0);
  for (;; level++) {
    if (every > 0 && (level % every == 0 || level == 1)) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      printf("%ld %ld.%09ld\n", level, (long)ts.tv_sec, ts.tv_nsec);
    }
    if (level >= depth) return 0;
    pid_t child = fork();
    if (child < 0) {
      printf("fork failed at %ld\n", level);
      return 1;
    }
    if (child > 0) {
      int status;
      while (waitpid(child, &status, 0) < 0) {}
      return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    if (exec_each) {
      char next[24];
      snprintf(next, sizeof next, "%ld", level + 1);
      execl("/proc/self/exe", argv[0], argv[1], argv[2], "exec", next, (char *)NULL);
      printf("exec failed at %ld\n", level + 1);
      return 1;
    }
  }
}
