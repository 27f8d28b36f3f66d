#define _GNU_SOURCE
#include "ct_system.h"
#include <errno.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

int ct_usable_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

int ct_has_own_fd_table(int pid, int tid) {
  long r = syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0UL, 0UL);
  if (r < 0) return -errno;
  return r != 0;
}
