#if defined(__x86_64__)
#define _GNU_SOURCE
#include "ct_regs.h"
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(ct_regs), "ct_regs holds user_regs_struct");
// The 64-bit kernel's view of a 32-bit task is still user_regs_struct; its code segment tells.
_Static_assert(offsetof(struct user_regs_struct, cs) % 8 == 0, "cs is a whole word of ct_regs");
enum { CT_USER32_CS = 0x23 };

static const unsigned char syscall_insn[] = {0x0f, 0x05};
const unsigned char ct_i386_syscall_insn[2] = {0xcd, 0x80};  // int $0x80

static struct user_regs_struct *R(ct_regs *r) { return (struct user_regs_struct *)r->words; }
static const struct user_regs_struct *CR(const ct_regs *r) { return (const struct user_regs_struct *)r->words; }

long ct_regs_get(pid_t pid, ct_regs *regs) {
  memset(regs, 0, sizeof *regs);
  return syscall(SYS_ptrace, PTRACE_GETREGS, pid, 0, R(regs));
}
long ct_regs_set(pid_t pid, const ct_regs *regs) {
  return syscall(SYS_ptrace, PTRACE_SETREGS, pid, 0, CR(regs));
}
uint64_t ct_regs_sp(const ct_regs *regs) { return CR(regs)->rsp; }
int64_t ct_regs_return_value(const ct_regs *regs) { return (int64_t)CR(regs)->rax; }
uint64_t ct_regs_syscall_insn_before_pc(const ct_regs *regs) { return CR(regs)->rip - sizeof syscall_insn; }

void ct_regs_setup_syscall(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t *args) {
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

void ct_regs_skip_syscall(ct_regs *regs, int64_t ret) {
  struct user_regs_struct *r = R(regs);
  r->orig_rax = (unsigned long long)-1;
  r->rax = (unsigned long long)ret;
}

int ct_syscall_insn_copy(unsigned char *out, int cap) {
  if (cap < (int)sizeof syscall_insn) return -1;
  memcpy(out, syscall_insn, sizeof syscall_insn);
  return (int)sizeof syscall_insn;
}

int ct_regs_is_i386(const ct_regs *regs) { return CR(regs)->cs == CT_USER32_CS; }

void ct_regs_setup_syscall_i386(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t *args) {
  struct user_regs_struct *r = R(regs);
  r->rip = insn_addr;
  r->rax = (uint32_t)nr;
  r->orig_rax = (unsigned long long)-1;  // no restart rewinds the new pc
  r->rbx = (uint32_t)args[0];
  r->rcx = (uint32_t)args[1];
  r->rdx = (uint32_t)args[2];
  r->rsi = (uint32_t)args[3];
  r->rdi = (uint32_t)args[4];
  r->rbp = (uint32_t)args[5];
}

int64_t ct_regs_return_value_i386(const ct_regs *regs) { return (int32_t)(uint32_t)CR(regs)->rax; }
#endif
