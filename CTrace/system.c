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

_Static_assert(sizeof(ct_cpu_mask) == sizeof(cpu_set_t), "mirrored");

int ct_pin_to_cpu(int cpu, ct_cpu_mask *saved) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
  if (sched_getaffinity(0, sizeof(cpu_set_t), (cpu_set_t *)saved) != 0) return -errno;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  // The kernel moves a running thread before it returns when its CPU is not in the new mask.
  if (sched_setaffinity(0, sizeof one, &one) != 0) return -errno;
  return 0;
}

int ct_restore_affinity(const ct_cpu_mask *saved) {
  return sched_setaffinity(0, sizeof(cpu_set_t), (const cpu_set_t *)saved) == 0 ? 0 : -errno;
}
