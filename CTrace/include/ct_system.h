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

// A CPU mask as sched_setaffinity takes it (glibc's cpu_set_t: 1024 CPUs).
#define CT_CPU_MASK_BYTES 128
typedef struct { unsigned char bytes[CT_CPU_MASK_BYTES]; } ct_cpu_mask;

// Moves the calling thread onto CPU `cpu` alone, keeping its affinity before in `saved` for
// ct_restore_affinity: to read a per-CPU clock on that CPU. 0, or -errno (-EINVAL: a CPU this
// thread may not run on).
int ct_pin_to_cpu(int cpu, ct_cpu_mask *saved);
int ct_restore_affinity(const ct_cpu_mask *saved);

#pragma clang assume_nonnull end
#endif
