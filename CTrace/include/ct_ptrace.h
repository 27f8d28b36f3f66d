// Non-variadic ptrace wrappers and wait-status helpers. Each returns -1 with errno set on failure.
#ifndef CT_PTRACE_H
#define CT_PTRACE_H
#include <stdint.h>
#include <sys/types.h>

// ptrace options pipetrace uses (values from <linux/ptrace.h>, mirrored so Swift sees plain ints).
enum {
  CT_O_TRACESYSGOOD = 0x01,
  CT_O_TRACEFORK = 0x02,
  CT_O_TRACEVFORK = 0x04,
  CT_O_TRACECLONE = 0x08,
  CT_O_TRACEEXEC = 0x10,
  CT_O_TRACEEXIT = 0x40,
  CT_O_TRACESECCOMP = 0x80,
  CT_O_EXITKILL = 0x100000,
};

enum {
  CT_EVENT_FORK = 1,
  CT_EVENT_VFORK = 2,
  CT_EVENT_CLONE = 3,
  CT_EVENT_EXEC = 4,
  CT_EVENT_VFORK_DONE = 5,
  CT_EVENT_EXIT = 6,
  CT_EVENT_SECCOMP = 7,
  CT_EVENT_STOP = 128,
};

long ct_seize(pid_t pid, unsigned long options);
long ct_interrupt(pid_t pid);
long ct_setoptions(pid_t pid, unsigned long options);
long ct_cont(pid_t pid, int sig);
long ct_syscall(pid_t pid, int sig);
long ct_listen(pid_t pid);
long ct_detach(pid_t pid, int sig);
long ct_geteventmsg(pid_t pid, unsigned long *msg);
long ct_singlestep(pid_t pid, int sig);
long ct_peekdata(pid_t pid, uintptr_t addr, long *word);
long ct_pokedata(pid_t pid, uintptr_t addr, long word);

// The part of siginfo_t a tracer prints. Returns -1 (errno EINVAL) for a group-stop.
typedef struct {
  int signo;
  int code;
  int errno_value;
  int pid;
  int uid;
  int status;
  uintptr_t addr;
} ct_siginfo;
long ct_getsiginfo(pid_t pid, ct_siginfo *out);

// PTRACE_GET_SYSCALL_INFO flattened: one request gives number, arguments or return value on every arch.
enum { CT_SYSCALL_INFO_NONE = 0, CT_SYSCALL_INFO_ENTRY = 1, CT_SYSCALL_INFO_EXIT = 2, CT_SYSCALL_INFO_SECCOMP = 3 };
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

// Bulk read of tracee memory (process_vm_readv), falling back to PEEKDATA word by word.
ssize_t ct_read_memory(pid_t pid, uintptr_t addr, void *buf, size_t len);

// Wait-status macros as functions.
int ct_wifexited(int status);
int ct_wexitstatus(int status);
int ct_wifsignaled(int status);
int ct_wtermsig(int status);
int ct_wcoredump(int status);
int ct_wifstopped(int status);
int ct_wstopsig(int status);
int ct_wstopevent(int status);

// waitpid(pid, status, options | __WALL), retried on EINTR only when retry_eintr is set.
pid_t ct_waitpid(pid_t pid, int *status, int options, int retry_eintr);
enum { CT_WNOHANG = 1 };

// The thread id of the calling thread.
pid_t ct_gettid(void);
#endif
