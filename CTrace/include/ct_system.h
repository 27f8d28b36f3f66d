// Small libc facts that Swift cannot reach (they need _GNU_SOURCE).
#ifndef CT_SYSTEM_H
#define CT_SYSTEM_H

#pragma clang assume_nonnull begin
// CPUs this process may run on (sched_getaffinity), at least 1.
int ct_usable_cpus(void);

// Whether thread `tid` has an fd table of its own, not its process `pid`'s (it unshared it with
// unshare(CLONE_FILES), or was cloned without CLONE_FILES): kcmp(KCMP_FILES). 1 own, 0 shared,
// -errno when the kernel will not compare them (-EPERM: no ptrace access, -ENOSYS: no kcmp).
int ct_has_own_fd_table(int pid, int tid);

#pragma clang assume_nonnull end
#endif
