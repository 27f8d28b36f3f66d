// A fork chain: `fork_chain DEPTH [EVERY]`. Process 1 forks process 2 and waits for it, which forks
// process 3 and waits, ... down to process DEPTH, which exits 0; each exits with its child's status,
// so DEPTH processes are alive at the bottom. Every EVERY-th process (default 1000) prints
// `DEPTH SECONDS` (CLOCK_MONOTONIC) on stdout as it starts: the rate the chain grows at.
// A fork that fails ends the chain there with status 1 and prints `fork failed at DEPTH`.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long depth = argc > 1 ? atol(argv[1]) : 100;
  long every = argc > 2 ? atol(argv[2]) : 1000;
  setvbuf(stdout, NULL, _IONBF, 0);
  for (long level = 1;; level++) {
    if (every > 0 && level % every == 0) {
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
  }
}
