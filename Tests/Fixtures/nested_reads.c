// Calls read() on /dev/zero COUNT times (argv[1], default 3000) through four nested functions, so a
// stack trace of each read must show f3 f2 f1 f0 main in that order. With argv[2] = "stdin" it
// reads standard input instead (and blocks there until something is written).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static int fd;
static char buf[16];

__attribute__((noinline)) void f3(void) { if (read(fd, buf, sizeof buf) < 0) abort(); }
__attribute__((noinline)) void f2(void) { f3(); __asm__ volatile(""); }
__attribute__((noinline)) void f1(void) { f2(); __asm__ volatile(""); }
__attribute__((noinline)) void f0(void) { f1(); __asm__ volatile(""); }

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 3000;
  fd = argc > 2 ? 0 : open("/dev/zero", O_RDONLY);
  for (int i = 0; i < count; i++) f0();
  return 0;
}
