#if defined(__x86_64__)
#define _GNU_SOURCE
#include "ct_regs.h"
#include <linux/audit.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(ct_regs), "ct_regs holds user_regs_struct");

const unsigned char ct_syscall_insn[] = {0x0f, 0x05};
const int ct_syscall_insn_len = 2;
const uint32_t ct_native_audit_arch = AUDIT_ARCH_X86_64;

static struct user_regs_struct *R(ct_regs *r) { return (struct user_regs_struct *)r->words; }
static const struct user_regs_struct *CR(const ct_regs *r) { return (const struct user_regs_struct *)r->words; }

long ct_regs_get(pid_t pid, ct_regs *regs) {
  memset(regs, 0, sizeof *regs);
  return syscall(SYS_ptrace, PTRACE_GETREGS, pid, 0, R(regs));
}
long ct_regs_set(pid_t pid, const ct_regs *regs) {
  return syscall(SYS_ptrace, PTRACE_SETREGS, pid, 0, CR(regs));
}
uint64_t ct_regs_pc(const ct_regs *regs) { return CR(regs)->rip; }
uint64_t ct_regs_sp(const ct_regs *regs) { return CR(regs)->rsp; }
int64_t ct_regs_syscall_nr(const ct_regs *regs) { return (int64_t)CR(regs)->orig_rax; }
int64_t ct_regs_return_value(const ct_regs *regs) { return (int64_t)CR(regs)->rax; }
uint64_t ct_regs_syscall_insn_before_pc(const ct_regs *regs) { return CR(regs)->rip - 2; }

void ct_regs_setup_syscall(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t args[6]) {
  struct user_regs_struct *r = R(regs);
  r->rip = insn_addr;
  r->rax = (unsigned long long)nr;
  r->orig_rax = (unsigned long long)-1;
  r->rdi = args[0];
  r->rsi = args[1];
  r->rdx = args[2];
  r->r10 = args[3];
  r->r8 = args[4];
  r->r9 = args[5];
}
#endif
