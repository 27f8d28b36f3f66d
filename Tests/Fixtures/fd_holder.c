// A reader holding many fds: the write end of one pipe on fds 5..24 (argv[1] unused), its read end
// closed. Loops: read(0) a chunk, print "got N <chunk>" on stdout. A read that returned anything but
// the bytes written (a register left over from an injected call) shows in what it prints.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 3;
  for (int fd = 5; fd <= 24; fd++) {
    if (dup2(p[1], fd) != fd) return 4;
  }
  if (p[0] != 5 && p[0] > 24) close(p[0]);
  if (p[1] > 24) close(p[1]);
  printf("ready\n");
  fflush(stdout);
  char buf[256];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) return n == 0 ? 0 : 1;
    printf("got %zd %.*s", n, (int)n, buf);
    fflush(stdout);
  }
}
