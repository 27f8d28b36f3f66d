// The floor of any ptrace tracer on this machine: launches a command under the same kind of
// seccomp filter as a tracer (SECCOMP_RET_TRACE for the calls in TRACED, compiled in as a list of
// SYS_* numbers), follows every fork, and at each stop only asks for the call (one
// PTRACE_GET_SYSCALL_INFO) and resumes. It decodes, prints and remembers nothing, so its cost is
// the kernel's: what a real tracer pays before doing any work of its own.
//   FLOOR_ENTRY_ONLY=1: resume from the seccomp stop with PTRACE_CONT (no exit stop): the cost of
//   a tracer that saw every call's entry but no result or duration.
// Build: cc -O2 -DTRACED='SYS_read,SYS_write' -o ptrace_floor ptrace_floor.c
// Use:   ptrace_floor CMD ARGS...   (exits with CMD's status)
#define _GNU_SOURCE
// glibc's <sys/ptrace.h> before <linux/ptrace.h> (struct ptrace_syscall_info): the other order clashes.
#include <sys/ptrace.h>
#include <linux/ptrace.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TRACED
#error "build with -DTRACED='SYS_a,SYS_b,...'"
#endif

static const int traced[] = {TRACED};
enum { ntraced = sizeof traced / sizeof traced[0] };

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CMD ARGS...\n", argv[0]);
    return 2;
  }
  int entry_only = getenv("FLOOR_ENTRY_ONLY") != NULL;
  // Load the number; one JEQ per traced call jumping to TRACE; ALLOW otherwise.
  struct sock_filter f[3 + ntraced];
  int k = 0;
  f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (int i = 0; i < ntraced; i++)
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, traced[i], ntraced - i, 0);
  f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  struct sock_fprog prog = {.len = (unsigned short)k, .filter = f};

  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    raise(SIGSTOP);  // wait to be seized
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) _exit(126);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  if (waitpid(child, &status, WSTOPPED) != child) return 1;
  long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
              PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SEIZE, child, 0, opts)) return 1;
  kill(child, SIGCONT);
  int code = 1;
  struct ptrace_syscall_info info;
  for (;;) {
    pid_t p = waitpid(-1, &status, __WALL);
    if (p < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: every tracee is gone
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (p == child) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      continue;
    }
    int sig = WSTOPSIG(status), event = status >> 16;
    if (event == PTRACE_EVENT_SECCOMP) {
      ptrace(PTRACE_GET_SYSCALL_INFO, p, sizeof info, &info);
      ptrace(entry_only ? PTRACE_CONT : PTRACE_SYSCALL, p, 0, 0);
    } else if (sig == (SIGTRAP | 0x80)) {  // the exit stop
      ptrace(PTRACE_GET_SYSCALL_INFO, p, sizeof info, &info);
      ptrace(PTRACE_CONT, p, 0, 0);
    } else if (event == PTRACE_EVENT_STOP) {
      // A group-stop stays stopped (LISTEN); a new task's first stop goes on.
      int group = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
      ptrace(group ? PTRACE_LISTEN : PTRACE_CONT, p, 0, 0);
    } else if (event) {  // fork, vfork, clone, exec
      ptrace(PTRACE_CONT, p, 0, 0);
    } else {  // signal delivery: deliver it
      ptrace(PTRACE_CONT, p, 0, sig);
    }
  }
  return code;
}
