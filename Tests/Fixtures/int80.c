// A 64-bit program that makes i386 syscalls with `int 0x80` (the kernel takes the i386 numbers and
// the low halves of the registers), then a native one, then an x32 one (the x32 bit in the
// number; ENOSYS where the kernel has no x32). Built -no-pie so its data has a 32-bit address.
#include <sys/syscall.h>
#include <unistd.h>

static char message[] = "via int 0x80\n";

static long i386_call(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return ret;
}

int main(void) {
  i386_call(4, 1, (long)message, sizeof message - 1);  // write
  i386_call(6, 99, 0, 0);                              // close(99): EBADF
  i386_call(20, 0, 0, 0);                              // getpid
  write(1, "native\n", 7);
  syscall(0x40000000 | SYS_getpid);
  return 0;
}
