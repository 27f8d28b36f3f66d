// Helpers for running code in another process that Swift cannot reach directly.
#ifndef CT_INJECT_H
#define CT_INJECT_H
#include <sys/types.h>
// tgkill(2): glibc declares it only under _GNU_SOURCE, which the Swift importer does not set.
int ct_tgkill(pid_t tgid, pid_t tid, int sig);
// Copies the architecture's syscall instruction (ct_syscall_insn, an array of unknown size that Swift
// cannot import) into out; returns its length, or -1 when cap is too small.
int ct_syscall_insn_copy(unsigned char *out, int cap);
#endif
