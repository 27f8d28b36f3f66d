// Non-variadic ptrace wrappers and the wait-status decoding. Each call returns -1 with errno set on
// failure. The Swift layer over them is Tracing/Ptrace.swift (typed errors, TraceStop).
#ifndef CT_PTRACE_H
#define CT_PTRACE_H
#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

// ptrace options pipetrace uses (values from <linux/ptrace.h>, checked there by _Static_assert).
enum {
  CT_O_TRACESYSGOOD = 0x01,
  CT_O_TRACEFORK = 0x02,
  CT_O_TRACEVFORK = 0x04,
  CT_O_TRACECLONE = 0x08,
  CT_O_TRACEEXEC = 0x10,
  CT_O_TRACESECCOMP = 0x80,
  CT_O_EXITKILL = 0x100000,
};

// PTRACE_EVENT_* as reported in the high bits of a wait status.
enum {
  CT_EVENT_FORK = 1,
  CT_EVENT_VFORK = 2,
  CT_EVENT_CLONE = 3,
  CT_EVENT_EXEC = 4,
  CT_EVENT_SECCOMP = 7,
  CT_EVENT_STOP = 128,
};

long ct_seize(pid_t pid, unsigned long options);
long ct_interrupt(pid_t pid);
long ct_cont(pid_t pid, int sig);
long ct_syscall(pid_t pid, int sig);
long ct_listen(pid_t pid);
long ct_detach(pid_t pid, int sig);
long ct_geteventmsg(pid_t pid, unsigned long *msg);
// One word of a stopped tracee's memory (PTRACE_PEEKDATA / POKEDATA): 0, or -1 with errno set.
long ct_peekdata(pid_t pid, uintptr_t addr, long *word);
long ct_pokedata(pid_t pid, uintptr_t addr, long word);

// PTRACE_GET_SYSCALL_INFO flattened: one request gives number, arguments or return value on every arch.
enum { CT_SYSCALL_INFO_ENTRY = 1, CT_SYSCALL_INFO_EXIT = 2, CT_SYSCALL_INFO_SECCOMP = 3 };
typedef struct {
  uint8_t op;
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t stack_pointer;
  int64_t nr;
  uint64_t args[6];
  int64_t rval;
  uint8_t is_error;
} ct_syscall_info;
long ct_get_syscall_info(pid_t pid, ct_syscall_info *out);

// Bulk read of tracee memory (process_vm_readv), falling back to PEEKDATA word by word. buf may be
// NULL only when len is 0 (an empty Swift buffer has no base address).
ssize_t ct_read_memory(pid_t pid, uintptr_t addr, void *_Nullable buf, size_t len);
// Writes len bytes at addr of a stopped tracee (process_vm_writev, word by word with PTRACE_POKEDATA
// where that is not allowed: len must then be a multiple of 8). Returns len, or -1.
ssize_t ct_write_memory(pid_t pid, uintptr_t addr, const void *_Nullable buf, size_t len);

// One wait status, taken apart by the libc macros (WIFEXITED, WSTOPSIG, ...) in one call.
enum { CT_WAIT_EXITED = 1, CT_WAIT_SIGNALED = 2, CT_WAIT_STOPPED = 3, CT_WAIT_CONTINUED = 4, CT_WAIT_OTHER = 5 };
typedef struct {
  int kind;   // CT_WAIT_*
  int value;  // exit code (EXITED), terminating signal (SIGNALED), stop signal (STOPPED)
  int core;   // SIGNALED: a core was dumped
  int event;  // STOPPED: the PTRACE_EVENT_* in the high bits, 0 for none
} ct_wait_status;
void ct_decode_wait_status(int status, ct_wait_status *out);

// waitpid(pid, status, options | __WALL), retried on EINTR only when retry_eintr is set.
pid_t ct_waitpid(pid_t pid, int *status, int options, int retry_eintr);
enum { CT_WNOHANG = 1 };

#pragma clang assume_nonnull end
#endif
