#define _GNU_SOURCE
#include "ct_inject.h"
#include "ct_regs.h"
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

int ct_tgkill(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }

long ct_inject_peek(pid_t pid, uintptr_t addr, long *word) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKDATA, pid, (void *)addr, NULL);
  if (v == -1 && errno != 0) return -1;
  *word = v;
  return 0;
}

long ct_inject_poke(pid_t pid, uintptr_t addr, long word) {
  return ptrace(PTRACE_POKEDATA, pid, (void *)addr, (void *)word);
}

int ct_syscall_insn_copy(unsigned char *out, int cap) {
  if (cap < ct_syscall_insn_len) return -1;
  memcpy(out, ct_syscall_insn, (size_t)ct_syscall_insn_len);
  return ct_syscall_insn_len;
}

#if defined(__x86_64__)
// The 64-bit kernel's view of a 32-bit task is still user_regs_struct; its code segment tells.
_Static_assert(offsetof(struct user_regs_struct, cs) % 8 == 0, "cs is a whole word of ct_regs");
enum { CT_USER32_CS = 0x23 };

static struct user_regs_struct *R(ct_regs *r) { return (struct user_regs_struct *)r->words; }
static const struct user_regs_struct *CR(const ct_regs *r) { return (const struct user_regs_struct *)r->words; }

int ct_regs_is_i386(const ct_regs *regs) { return CR(regs)->cs == CT_USER32_CS; }

const unsigned char ct_i386_syscall_insn[2] = {0xcd, 0x80};  // int $0x80

void ct_regs_setup_syscall_i386(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t args[6]) {
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
#else
int ct_regs_is_i386(const ct_regs *regs) {
  (void)regs;
  return 0;
}
const unsigned char ct_i386_syscall_insn[2] = {0, 0};
void ct_regs_setup_syscall_i386(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t args[6]) {
  (void)regs, (void)insn_addr, (void)nr, (void)args;
}
int64_t ct_regs_return_value_i386(const ct_regs *regs) {
  (void)regs;
  return -38;
}
#endif
