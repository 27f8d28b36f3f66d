// Small libc facts that Swift cannot reach (they need _GNU_SOURCE).
#ifndef CT_SYSTEM_H
#define CT_SYSTEM_H

#pragma clang assume_nonnull begin
// CPUs this process may run on (sched_getaffinity), at least 1.
int ct_usable_cpus(void);

#pragma clang assume_nonnull end
#endif
