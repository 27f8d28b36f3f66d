// Built with -m32: an i386 process that says "ready" on stdout, then copies stdin to stdout until
// EOF and exits 0. It sleeps in read(0) (int $0x80 through the vDSO) while the tests act on it.
#include <unistd.h>

int main(void) {
  char buf[256];
  if (write(1, "ready\n", 6) != 6) return 1;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) return 2;
    if (write(1, buf, (size_t)n) != n) return 3;
  }
}
