// Register access for running a syscall inside a stopped tracee. One small layer per architecture
// (regs_x86_64.c today); everything above it is architecture-neutral.
#ifndef CT_REGS_H
#define CT_REGS_H
#include <stdint.h>
#include <sys/types.h>

// Opaque storage for the whole general-purpose register set of the tracee's architecture.
typedef struct {
  uint64_t words[72];
} ct_regs;

// The syscall instruction of this architecture (x86_64: 0f 05) and its length.
extern const unsigned char ct_syscall_insn[];
extern const int ct_syscall_insn_len;
// The audit arch (AUDIT_ARCH_*) of the native syscall ABI, for seccomp filters.
extern const uint32_t ct_native_audit_arch;

long ct_regs_get(pid_t pid, ct_regs *regs);
long ct_regs_set(pid_t pid, const ct_regs *regs);
uint64_t ct_regs_pc(const ct_regs *regs);
uint64_t ct_regs_sp(const ct_regs *regs);
// The syscall the thread is in or was interrupted in (x86_64: orig_rax), -1 when none.
int64_t ct_regs_syscall_nr(const ct_regs *regs);
// The syscall return register (x86_64: rax).
int64_t ct_regs_return_value(const ct_regs *regs);
// Where a thread stopped after a syscall instruction has that instruction: pc minus its length.
// Whether the bytes there are a syscall instruction is for the caller to check.
uint64_t ct_regs_syscall_insn_before_pc(const ct_regs *regs);
// Prepares regs so that resuming at insn_addr runs syscall nr(args). Clears the restart state
// (x86_64: orig_rax = -1) so the kernel does not rewind the new pc.
void ct_regs_setup_syscall(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t args[6]);
#endif
