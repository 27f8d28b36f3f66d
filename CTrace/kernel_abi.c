// Checks every value ct_kernel_abi.h mirrors against the headers of this system (and the socket
// states ct_sockdiag.h documents).
#define _GNU_SOURCE
#include "ct_kernel_abi.h"
#include "ct_decode.h"
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <stddef.h>
#include <sys/mman.h>

_Static_assert(CT_BPF_LD_W_ABS == (BPF_LD | BPF_W | BPF_ABS), "BPF opcode");
_Static_assert(CT_BPF_JEQ_K == (BPF_JMP | BPF_JEQ | BPF_K), "BPF opcode");
_Static_assert(CT_BPF_JGE_K == (BPF_JMP | BPF_JGE | BPF_K), "BPF opcode");
_Static_assert(CT_BPF_RET_K == (BPF_RET | BPF_K), "BPF opcode");
_Static_assert(CT_BPF_JA == (BPF_JMP | BPF_JA), "BPF opcode");
_Static_assert(CT_SECCOMP_DATA_NR == offsetof(struct seccomp_data, nr), "seccomp_data layout");
_Static_assert(CT_SECCOMP_DATA_ARCH == offsetof(struct seccomp_data, arch), "seccomp_data layout");
_Static_assert(CT_SECCOMP_RET_ALLOW == SECCOMP_RET_ALLOW, "seccomp return");
_Static_assert(CT_SECCOMP_RET_TRACE == SECCOMP_RET_TRACE, "seccomp return");
_Static_assert(CT_O_CLOEXEC == O_CLOEXEC, "open flag");
_Static_assert(CT_O_PATH == O_PATH, "open flag");
_Static_assert(CT_FD_CLOEXEC == FD_CLOEXEC, "fd flag");
// ERESTART_RESTARTBLOCK is kernel-internal (include/linux/errno.h); its value is ABI since 2.6.
_Static_assert(CT_ERESTART_RESTARTBLOCK == 516, "ERESTART_RESTARTBLOCK");
_Static_assert(CT_POLLIN == POLLIN && CT_POLLPRI == POLLPRI && CT_POLLOUT == POLLOUT, "poll events");
_Static_assert(CT_EPOLLIN == EPOLLIN && CT_EPOLLPRI == EPOLLPRI && CT_EPOLLOUT == EPOLLOUT && CT_EPOLLRDHUP == EPOLLRDHUP,
               "epoll events");
// ct_unix_socket.state holds the kernel's TCP state numbers (unix_diag reuses them).
_Static_assert(TCP_ESTABLISHED == 1 && TCP_CLOSE == 7 && TCP_LISTEN == 10, "state values documented in ct_sockdiag.h");
