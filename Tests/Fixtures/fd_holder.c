// A reader holding many fds: the write end of one pipe on fds 5..24 (argv[1] unused), its read end
// closed. Loops: read(0) a chunk, print "got N <chunk>" on stdout. A read that returned anything but
// the bytes written (a register left over from an injected call) shows in what it prints, and so
// does an FPU state of ours left behind: it runs with the x87 and SSE rounding set toward zero and
// checks both after every read. Builds as 64- or 32-bit (-m32).
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { CONTROL_WORD = 0x0f7f, MXCSR = 0x7f80 };  // the defaults 0x037f and 0x1f80, rounding toward zero

static void set_fpu(void) {
  unsigned short cw = CONTROL_WORD;
  unsigned int csr = MXCSR;
  __asm__ volatile("fldcw %0" : : "m"(cw));
  __asm__ volatile("ldmxcsr %0" : : "m"(csr));
}

static int fpu_as_set(unsigned short *cw, unsigned int *csr) {
  __asm__ volatile("fnstcw %0" : "=m"(*cw));
  __asm__ volatile("stmxcsr %0" : "=m"(*csr));
  return *cw == CONTROL_WORD && *csr == MXCSR;
}

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 3;
  for (int fd = 5; fd <= 24; fd++) {
    if (dup2(p[1], fd) != fd) return 4;
  }
  if (p[0] != 5 && p[0] > 24) close(p[0]);
  if (p[1] > 24) close(p[1]);
  set_fpu();
  printf("ready\n");
  fflush(stdout);
  char buf[256];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) return n == 0 ? 0 : 1;
    unsigned short cw;
    unsigned int csr;
    if (!fpu_as_set(&cw, &csr)) printf("fpu changed: cw %#x mxcsr %#x\n", cw, csr);
    printf("got %zd %.*s", n, (int)n, buf);
    fflush(stdout);
  }
}
