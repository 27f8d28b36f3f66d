// Kernel ABI values the tracer's Swift code needs, taken from the kernel and libc headers here
// (kernel_abi.c checks each against them), so Swift never writes these numbers itself.
#ifndef CT_KERNEL_ABI_H
#define CT_KERNEL_ABI_H

#pragma clang assume_nonnull begin

// Classic BPF opcodes and seccomp return values for the filter a launched child gets.
enum {
  CT_BPF_LD_W_ABS = 0x20,   // BPF_LD | BPF_W | BPF_ABS
  CT_BPF_JEQ_K = 0x15,      // BPF_JMP | BPF_JEQ | BPF_K
  CT_BPF_JGE_K = 0x35,      // BPF_JMP | BPF_JGE | BPF_K
  CT_BPF_RET_K = 0x06,      // BPF_RET | BPF_K
  CT_BPF_JA = 0x05,         // BPF_JMP | BPF_JA
  CT_SECCOMP_DATA_NR = 0,   // offsetof(struct seccomp_data, nr)
  CT_SECCOMP_DATA_ARCH = 4, // offsetof(struct seccomp_data, arch)
};
#define CT_SECCOMP_RET_ALLOW 0x7fff0000U
#define CT_SECCOMP_RET_TRACE 0x7ff00000U

// Flags the fd model tests (the fcntl commands, clone, close_range and mmap flags and the audit
// arches are in ct_decode.h).
enum {
  CT_O_CLOEXEC = 02000000,
  // Opens a name without opening the object (no driver open: no pipe reader or writer is added).
  CT_O_PATH = 010000000,
  CT_FD_CLOEXEC = 1,
  // A call interrupted this way is continued by restart_syscall (kernel-internal errno).
  CT_ERESTART_RESTARTBLOCK = 516,
  // What a pollfd waits for: data (or EOF) to read, or room to write.
  CT_POLLIN = 0x1,
  CT_POLLPRI = 0x2,
  CT_POLLOUT = 0x4,
  // What an epoll interest asks for (the `events:` mask of its fdinfo line): the same bits as
  // poll's, and the peer shutting its writing half (a reader's wait too).
  CT_EPOLLIN = 0x1,
  CT_EPOLLPRI = 0x2,
  CT_EPOLLOUT = 0x4,
  CT_EPOLLRDHUP = 0x2000,
};

#pragma clang assume_nonnull end
#endif
