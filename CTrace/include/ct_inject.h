// Helpers for running code in another process that Swift cannot reach directly.
#ifndef CT_INJECT_H
#define CT_INJECT_H
#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

// tgkill(2): glibc declares it only under _GNU_SOURCE, which the Swift importer does not set.
int ct_tgkill(pid_t tgid, pid_t tid, int sig);

#pragma clang assume_nonnull end
#endif
