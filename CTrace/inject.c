#define _GNU_SOURCE
#include "ct_inject.h"
#include "ct_regs.h"
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ct_tgkill(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }

int ct_syscall_insn_copy(unsigned char *out, int cap) {
  if (cap < ct_syscall_insn_len) return -1;
  memcpy(out, ct_syscall_insn, (size_t)ct_syscall_insn_len);
  return ct_syscall_insn_len;
}
