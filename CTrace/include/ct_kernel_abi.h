// Kernel ABI values the tracer's Swift code needs, taken from the kernel and libc headers here
// (kernel_abi.c checks each against them), so Swift never writes these numbers itself.
#ifndef CT_KERNEL_ABI_H
#define CT_KERNEL_ABI_H

// Classic BPF opcodes and seccomp return values for the filter a launched child gets.
enum {
  CT_BPF_LD_W_ABS = 0x20,   // BPF_LD | BPF_W | BPF_ABS
  CT_BPF_JEQ_K = 0x15,      // BPF_JMP | BPF_JEQ | BPF_K
  CT_BPF_JGE_K = 0x35,      // BPF_JMP | BPF_JGE | BPF_K
  CT_BPF_RET_K = 0x06,      // BPF_RET | BPF_K
  CT_SECCOMP_DATA_NR = 0,   // offsetof(struct seccomp_data, nr)
  CT_SECCOMP_DATA_ARCH = 4, // offsetof(struct seccomp_data, arch)
  CT_X32_SYSCALL_BIT = 0x40000000,
};
#define CT_SECCOMP_RET_ALLOW 0x7fff0000U
#define CT_SECCOMP_RET_TRACE 0x7ff00000U
#define CT_AUDIT_ARCH_X86_64 0xc000003eU
#define CT_AUDIT_ARCH_I386 0x40000003U

// Flags the fd model and the tracer test.
enum {
  CT_O_CLOEXEC = 02000000,
  CT_FD_CLOEXEC = 1,
  CT_F_DUPFD = 0,
  CT_F_SETFD = 2,
  CT_F_DUPFD_CLOEXEC = 1030,
  CT_CLOSE_RANGE_CLOEXEC = 4,
  CT_CLONE_FILES = 0x400,
  CT_CLONE_THREAD = 0x10000,
  CT_PROT_EXEC = 4,
  // A call interrupted this way is continued by restart_syscall (kernel-internal errno).
  CT_ERESTART_RESTARTBLOCK = 516,
};
#endif
