// A program with its own seccomp filter that returns SECCOMP_RET_TRACE for getpid (data 0) and
// close (data 0x1234): with no tracer that asked for seccomp stops the kernel skips such a call
// with ENOSYS, and so must any tracer that is not the filter's. Prints what the calls returned.
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x1234),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
  int fd = open("/dev/null", O_RDONLY);
  if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
    return 2;
  errno = 0;
  long pid = syscall(SYS_getpid);
  printf("getpid=%ld errno=%d\n", pid < 0 ? pid : 0, pid < 0 ? errno : 0);
  errno = 0;
  long r = syscall(SYS_close, fd);
  printf("close=%ld errno=%d still-open=%d\n", r, r < 0 ? errno : 0, fcntl(fd, F_GETFD) >= 0);
  return 0;
}
