#define _GNU_SOURCE
#include "ct_ptrace.h"
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

// Every mirrored constant must equal the kernel's.
_Static_assert(CT_O_TRACESYSGOOD == PTRACE_O_TRACESYSGOOD, "mirrored ptrace option");
_Static_assert(CT_O_TRACEFORK == PTRACE_O_TRACEFORK, "mirrored ptrace option");
_Static_assert(CT_O_TRACEVFORK == PTRACE_O_TRACEVFORK, "mirrored ptrace option");
_Static_assert(CT_O_TRACECLONE == PTRACE_O_TRACECLONE, "mirrored ptrace option");
_Static_assert(CT_O_TRACEEXEC == PTRACE_O_TRACEEXEC, "mirrored ptrace option");
_Static_assert(CT_O_TRACESECCOMP == PTRACE_O_TRACESECCOMP, "mirrored ptrace option");
_Static_assert(CT_O_EXITKILL == PTRACE_O_EXITKILL, "mirrored ptrace option");
_Static_assert(CT_EVENT_FORK == PTRACE_EVENT_FORK, "mirrored ptrace event");
_Static_assert(CT_EVENT_VFORK == PTRACE_EVENT_VFORK, "mirrored ptrace event");
_Static_assert(CT_EVENT_CLONE == PTRACE_EVENT_CLONE, "mirrored ptrace event");
_Static_assert(CT_EVENT_EXEC == PTRACE_EVENT_EXEC, "mirrored ptrace event");
_Static_assert(CT_EVENT_SECCOMP == PTRACE_EVENT_SECCOMP, "mirrored ptrace event");
_Static_assert(CT_EVENT_STOP == PTRACE_EVENT_STOP, "mirrored ptrace event");
_Static_assert(CT_SYSCALL_INFO_ENTRY == PTRACE_SYSCALL_INFO_ENTRY, "mirrored op");
_Static_assert(CT_SYSCALL_INFO_EXIT == PTRACE_SYSCALL_INFO_EXIT, "mirrored op");
_Static_assert(CT_SYSCALL_INFO_SECCOMP == PTRACE_SYSCALL_INFO_SECCOMP, "mirrored op");

// The raw syscall avoids glibc's variadic prototype and its PEEK* return convention.
static long raw_ptrace(long request, pid_t pid, unsigned long addr, unsigned long data) {
  return syscall(SYS_ptrace, request, pid, addr, data);
}

long ct_seize(pid_t pid, unsigned long options) { return raw_ptrace(PTRACE_SEIZE, pid, 0, options); }
long ct_interrupt(pid_t pid) { return raw_ptrace(PTRACE_INTERRUPT, pid, 0, 0); }
long ct_cont(pid_t pid, int sig) { return raw_ptrace(PTRACE_CONT, pid, 0, (unsigned long)sig); }
long ct_syscall(pid_t pid, int sig) { return raw_ptrace(PTRACE_SYSCALL, pid, 0, (unsigned long)sig); }
long ct_listen(pid_t pid) { return raw_ptrace(PTRACE_LISTEN, pid, 0, 0); }
long ct_detach(pid_t pid, int sig) { return raw_ptrace(PTRACE_DETACH, pid, 0, (unsigned long)sig); }
long ct_geteventmsg(pid_t pid, unsigned long *msg) {
  return raw_ptrace(PTRACE_GETEVENTMSG, pid, 0, (unsigned long)msg);
}
// The raw PEEKDATA syscall stores the word at *data (glibc's wrapper returns it instead).
long ct_peekdata(pid_t pid, uintptr_t addr, long *word) {
  return raw_ptrace(PTRACE_PEEKDATA, pid, addr, (unsigned long)word);
}
long ct_pokedata(pid_t pid, uintptr_t addr, long word) {
  return raw_ptrace(PTRACE_POKEDATA, pid, addr, (unsigned long)word);
}

long ct_get_syscall_info(pid_t pid, ct_syscall_info *out) {
  struct __ptrace_syscall_info info;
  memset(&info, 0, sizeof info);
  long r = raw_ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, (unsigned long)&info);
  if (r < 0) return r;
  memset(out, 0, sizeof *out);
  out->op = info.op;
  out->arch = info.arch;
  out->instruction_pointer = info.instruction_pointer;
  out->stack_pointer = info.stack_pointer;
  switch (info.op) {
  case PTRACE_SYSCALL_INFO_ENTRY:
    out->nr = (int64_t)info.entry.nr;
    memcpy(out->args, info.entry.args, sizeof out->args);
    break;
  case PTRACE_SYSCALL_INFO_SECCOMP:
    out->nr = (int64_t)info.seccomp.nr;
    memcpy(out->args, info.seccomp.args, sizeof out->args);
    break;
  case PTRACE_SYSCALL_INFO_EXIT:
    out->nr = -1;
    out->rval = info.exit.rval;
    out->is_error = info.exit.is_error;
    break;
  default:
    out->nr = -1;
  }
  return 0;
}

ssize_t ct_read_memory(pid_t pid, uintptr_t addr, void *buf, size_t len) {
  struct iovec local = {buf, len};
  struct iovec remote = {(void *)addr, len};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n >= 0 || (errno != ENOSYS && errno != EPERM)) return n;
  // Word-by-word fallback where process_vm_readv is not allowed.
  size_t done = 0;
  while (done < len) {
    long word;
    if (ct_peekdata(pid, addr + done, &word) < 0) return done ? (ssize_t)done : -1;
    size_t chunk = len - done < sizeof word ? len - done : sizeof word;
    memcpy((char *)buf + done, &word, chunk);
    done += chunk;
  }
  return (ssize_t)done;
}

ssize_t ct_write_memory(pid_t pid, uintptr_t addr, const void *buf, size_t len) {
  struct iovec local = {(void *)buf, len};
  struct iovec remote = {(void *)addr, len};
  ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return n;
  if (len % sizeof(long) != 0) return -1;
  for (size_t done = 0; done < len; done += sizeof(long)) {
    long word;
    memcpy(&word, (const char *)buf + done, sizeof word);
    if (ct_pokedata(pid, addr + done, word) < 0) return -1;
  }
  return (ssize_t)len;
}

void ct_decode_wait_status(int status, ct_wait_status *out) {
  memset(out, 0, sizeof *out);
  if (WIFEXITED(status)) {
    out->kind = CT_WAIT_EXITED;
    out->value = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out->kind = CT_WAIT_SIGNALED;
    out->value = WTERMSIG(status);
    out->core = WCOREDUMP(status) ? 1 : 0;
  } else if (WIFSTOPPED(status)) {
    out->kind = CT_WAIT_STOPPED;
    out->value = WSTOPSIG(status);
    out->event = (int)((unsigned)status >> 16);
  } else if (WIFCONTINUED(status)) {
    out->kind = CT_WAIT_CONTINUED;
  } else {
    out->kind = CT_WAIT_OTHER;
  }
}

pid_t ct_waitpid(pid_t pid, int *status, int options, int retry_eintr) {
  int flags = __WALL | ((options & CT_WNOHANG) ? WNOHANG : 0);
  for (;;) {
    pid_t r = waitpid(pid, status, flags);
    if (r >= 0 || errno != EINTR || !retry_eintr) return r;
  }
}

