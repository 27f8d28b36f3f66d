// Helpers for running code in another process that Swift cannot reach directly.
#ifndef CT_INJECT_H
#define CT_INJECT_H
#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

// tgkill(2): glibc declares it only under _GNU_SOURCE, which the Swift importer does not set.
int ct_tgkill(pid_t tgid, pid_t tid, int sig);
// One word of a stopped tracee's memory (PTRACE_PEEKDATA / POKEDATA): 0, or -1 with errno set.
// For the few bytes an injected call needs (a path below the stack), put back afterwards.
long ct_inject_peek(pid_t pid, uintptr_t addr, long *word);
long ct_inject_poke(pid_t pid, uintptr_t addr, long word);

#pragma clang assume_nonnull end
#endif
