// Helpers for running code in another process that Swift cannot reach directly.
#ifndef CT_INJECT_H
#define CT_INJECT_H
#include "ct_regs.h"
#include <stdint.h>
#include <sys/types.h>
// tgkill(2): glibc declares it only under _GNU_SOURCE, which the Swift importer does not set.
int ct_tgkill(pid_t tgid, pid_t tid, int sig);
// One word of a stopped tracee's memory (PTRACE_PEEKDATA / POKEDATA): 0, or -1 with errno set.
// For the few bytes an injected call needs (a path below the stack), put back afterwards.
long ct_inject_peek(pid_t pid, uintptr_t addr, long *word);
long ct_inject_poke(pid_t pid, uintptr_t addr, long word);
// Copies the architecture's syscall instruction (ct_syscall_insn, an array of unknown size that Swift
// cannot import) into out; returns its length, or -1 when cap is too small.
int ct_syscall_insn_copy(unsigned char *out, int cap);

// A 32-bit x86 task seen from the x86_64 kernel (code segment 0x23): its syscalls are i386 ones,
// entered with `int $0x80` (a `syscall` instruction traps with SIGILL in 32-bit mode on Intel).
int ct_regs_is_i386(const ct_regs *regs);
extern const unsigned char ct_i386_syscall_insn[2];
// eax = nr, ebx ecx edx esi edi ebp = args, pc = insn_addr, orig_rax = -1.
void ct_regs_setup_syscall_i386(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t args[6]);
// eax, sign-extended.
int64_t ct_regs_return_value_i386(const ct_regs *regs);
#endif
