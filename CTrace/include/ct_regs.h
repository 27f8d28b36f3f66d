// Register access for running a syscall inside a stopped tracee. One small layer per architecture
// (regs_x86_64.c today); everything above it is architecture-neutral.
#ifndef CT_REGS_H
#define CT_REGS_H
#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

// Opaque storage for the whole general-purpose register set of the tracee's architecture.
typedef struct {
  uint64_t words[72];
} ct_regs;

long ct_regs_get(pid_t pid, ct_regs *regs);
long ct_regs_set(pid_t pid, const ct_regs *regs);
uint64_t ct_regs_sp(const ct_regs *regs);
void ct_regs_set_sp(ct_regs *regs, uint64_t sp);
// The syscall return register (x86_64: rax).
int64_t ct_regs_return_value(const ct_regs *regs);
// Where a thread stopped after a syscall instruction has that instruction: pc minus its length.
// Whether the bytes there are a syscall instruction is for the caller to check.
uint64_t ct_regs_syscall_insn_before_pc(const ct_regs *regs);
// Prepares regs so that resuming at insn_addr runs syscall nr(args: six values). Clears the restart state
// (x86_64: orig_rax = -1) so the kernel does not rewind the new pc.
void ct_regs_setup_syscall(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t *args);
// At a syscall-entry or seccomp stop: the call is not run and returns ret (x86_64: orig_rax = -1,
// the kernel's "no syscall", and rax = ret), as the kernel skips one a seccomp filter refused.
void ct_regs_skip_syscall(ct_regs *regs, int64_t ret);
// Copies the architecture's syscall instruction (x86_64: 0f 05) into out; returns its length, or -1
// when cap is too small. (An array of architecture-dependent size is not something Swift imports.)
int ct_syscall_insn_copy(unsigned char *out, int cap);

// A 32-bit x86 task seen from the x86_64 kernel (code segment 0x23): its syscalls are i386 ones,
// entered with `int $0x80` (a `syscall` instruction traps with SIGILL in 32-bit mode on Intel).
int ct_regs_is_i386(const ct_regs *regs);
extern const unsigned char ct_i386_syscall_insn[2];
// eax = nr, ebx ecx edx esi edi ebp = args (six of them), pc = insn_addr, orig_rax = -1.
void ct_regs_setup_syscall_i386(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t *args);
// eax, sign-extended.
int64_t ct_regs_return_value_i386(const ct_regs *regs);


// Self-completing injection for an x86_64 thread (64-bit, or 32-bit below): a chain of rt_sigreturn
// frames written below its stack, each setting every register for the next call; the last puts the
// thread back as it was.
enum { CT_UCONTEXT_SIZE = 304 };
// The first CT_UCONTEXT_SIZE bytes of a ucontext for rt_sigreturn: every register of `regs`, the
// blocked-signal mask, the FPU state at `fpstate` (an XSAVE image, 64-byte aligned), the
// alternate signal stack left as it is.
void ct_sigframe_x86_64(const ct_regs *regs, uint64_t sigmask, uint64_t fpstate, unsigned char *out);
// The registers a thread stopped in an interrupted syscall goes on with when no handler runs: the
// call made again (pc back over its instruction, number in rax). orig_rax = -1.
void ct_regs_restarted(ct_regs *regs);
// pc = insn_addr (a `syscall`, for a 32-bit thread an `int $0x80`), rax = rt_sigreturn (the
// thread's own number), sp as rt_sigreturn wants it (x86_64: the ucontext; i386: see below),
// orig_rax = -1.
void ct_regs_setup_sigreturn(ct_regs *regs, uint64_t insn_addr, uint64_t sp);
// The number of the syscall being stopped in (orig_rax), -1 outside one.
int64_t ct_regs_syscall_nr(const ct_regs *regs);
// The thread's XSAVE image (PTRACE_GETREGSET NT_X86_XSTATE) into buf; its length, or -1.
long ct_xstate_get(pid_t pid, void *buf, size_t cap);
// Turns that image (len bytes of a cap-byte buffer) into a signal frame's fpstate: the software
// bytes rt_sigreturn checks and the closing magic word. Its length, or -1.
long ct_xstate_prepare_sigframe(unsigned char *blob, size_t len, size_t cap);

// The same for a 32-bit (i386) thread. Its rt_sigreturn (number 173) finds the frame at sp - 4
// (struct rt_sigframe_ia32: pretcode, sig, pinfo, puc, a 128-byte siginfo, then the ucontext), so
// the ucontext sits CT_SIGFRAME_I386_UC_OFFSET bytes above sp. Its fpstate is the FSAVE-format
// environment (CT_FREGS_I386_SIZE bytes) followed by the XSAVE image of ct_xstate_prepare_sigframe.
enum {
  CT_I386_RT_SIGRETURN = 173,
  CT_UCONTEXT_I386_SIZE = 116,
  CT_SIGFRAME_I386_UC_OFFSET = 140,
  CT_FREGS_I386_ENV_SIZE = 108,
  CT_FREGS_I386_SIZE = 112
};
// The ucontext_ia32 for rt_sigreturn: every register of `regs` (segments included), the mask, the
// fpstate address, the alternate signal stack left as it is.
void ct_sigframe_i386(const ct_regs *regs, uint64_t sigmask, uint32_t fpstate, unsigned char *out);
// The thread's FSAVE-format FPU environment (NT_PRFPREG of its i386 regset view) into out
// (CT_FREGS_I386_ENV_SIZE bytes); its length, or -1.
long ct_fpregs_i386_get(pid_t pid, unsigned char *out);

#pragma clang assume_nonnull end
#endif
