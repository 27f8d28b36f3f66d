// PTRACE_GETSIGINFO with every field a signal line prints, and the native structure layouts the
// decoders assume (checked by a test, so a layout written in Swift cannot drift from the C ABI).
#define _GNU_SOURCE
#include "ct_decode.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

long ct_get_signal_info(int tid, ct_signal_info *out) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  long r = syscall(SYS_ptrace, PTRACE_GETSIGINFO, tid, 0, &si);
  if (r < 0) return r;
  memset(out, 0, sizeof *out);
  out->signo = si.si_signo;
  out->code = si.si_code;
  out->errno_value = si.si_errno;
  // The union's members overlap: each field is read as the layout its si_code says it has when
  // printed; here all are taken as they lie.
  out->pid = si.si_pid;
  out->uid = (int32_t)si.si_uid;
  out->status = si.si_status;
  out->utime = (int64_t)si.si_utime;
  out->stime = (int64_t)si.si_stime;
  out->value = (uint64_t)(uintptr_t)si.si_value.sival_ptr;
  out->addr = (uint64_t)(uintptr_t)si.si_addr;
  out->band = si.si_band;
  out->fd = si.si_fd;
  out->syscall = si.si_syscall;
  out->arch = si.si_arch;
  return 0;
}

ct_native_layout ct_native_layout_get(void) {
  return (ct_native_layout){
      .flock_size = sizeof(struct flock),
      .flock_l_start = offsetof(struct flock, l_start),
      .flock_l_len = offsetof(struct flock, l_len),
      .flock_l_pid = offsetof(struct flock, l_pid),
      .epoll_event_size = sizeof(struct epoll_event),
      .epoll_event_data = offsetof(struct epoll_event, data),
      .rusage_size = sizeof(struct rusage),
      .rusage_maxrss = offsetof(struct rusage, ru_maxrss),
      .clone_args_size = sizeof(struct clone_args),
      .clone_args_set_tid = offsetof(struct clone_args, set_tid),
      .clone_args_cgroup = offsetof(struct clone_args, cgroup),
      .siginfo_pid = offsetof(siginfo_t, si_pid),
      .siginfo_status = offsetof(siginfo_t, si_status),
      .siginfo_utime = offsetof(siginfo_t, si_utime),
      .siginfo_addr = offsetof(siginfo_t, si_addr),
      .siginfo_value = offsetof(siginfo_t, si_value),
      .siginfo_fd = offsetof(siginfo_t, si_fd),
  };
}
