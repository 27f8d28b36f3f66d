// Checks every value ct_kernel_abi.h mirrors against the headers of this system.
#define _GNU_SOURCE
#include "ct_kernel_abi.h"
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mman.h>

_Static_assert(CT_BPF_LD_W_ABS == (BPF_LD | BPF_W | BPF_ABS), "BPF opcode");
_Static_assert(CT_BPF_JEQ_K == (BPF_JMP | BPF_JEQ | BPF_K), "BPF opcode");
_Static_assert(CT_BPF_JGE_K == (BPF_JMP | BPF_JGE | BPF_K), "BPF opcode");
_Static_assert(CT_BPF_RET_K == (BPF_RET | BPF_K), "BPF opcode");
_Static_assert(CT_SECCOMP_DATA_NR == offsetof(struct seccomp_data, nr), "seccomp_data layout");
_Static_assert(CT_SECCOMP_DATA_ARCH == offsetof(struct seccomp_data, arch), "seccomp_data layout");
_Static_assert(CT_SECCOMP_RET_ALLOW == SECCOMP_RET_ALLOW, "seccomp return");
_Static_assert(CT_SECCOMP_RET_TRACE == SECCOMP_RET_TRACE, "seccomp return");
_Static_assert(CT_AUDIT_ARCH_X86_64 == AUDIT_ARCH_X86_64, "audit arch");
_Static_assert(CT_AUDIT_ARCH_I386 == AUDIT_ARCH_I386, "audit arch");
_Static_assert(CT_X32_SYSCALL_BIT == 0x40000000, "__X32_SYSCALL_BIT (asm/unistd.h)");
_Static_assert(CT_O_CLOEXEC == O_CLOEXEC, "open flag");
_Static_assert(CT_FD_CLOEXEC == FD_CLOEXEC, "fd flag");
_Static_assert(CT_F_DUPFD == F_DUPFD, "fcntl command");
_Static_assert(CT_F_SETFD == F_SETFD, "fcntl command");
_Static_assert(CT_F_DUPFD_CLOEXEC == F_DUPFD_CLOEXEC, "fcntl command");
_Static_assert(CT_CLOSE_RANGE_CLOEXEC == CLOSE_RANGE_CLOEXEC, "close_range flag");
_Static_assert(CT_CLONE_FILES == CLONE_FILES, "clone flag");
_Static_assert(CT_CLONE_THREAD == CLONE_THREAD, "clone flag");
_Static_assert(CT_PROT_EXEC == PROT_EXEC, "mmap protection");
// ERESTART_RESTARTBLOCK is kernel-internal (include/linux/errno.h); its value is ABI since 2.6.
_Static_assert(CT_ERESTART_RESTARTBLOCK == 516, "ERESTART_RESTARTBLOCK");
