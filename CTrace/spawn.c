#define _GNU_SOURCE
#include "ct_spawn.h"
#include "ct_signals.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

_Static_assert(sizeof(ct_bpf_insn) == sizeof(struct sock_filter), "ct_bpf_insn mirrors sock_filter");
_Static_assert(__builtin_offsetof(ct_bpf_insn, code) == __builtin_offsetof(struct sock_filter, code), "layout");
_Static_assert(__builtin_offsetof(ct_bpf_insn, jt) == __builtin_offsetof(struct sock_filter, jt), "layout");
_Static_assert(__builtin_offsetof(ct_bpf_insn, jf) == __builtin_offsetof(struct sock_filter, jf), "layout");
_Static_assert(__builtin_offsetof(ct_bpf_insn, k) == __builtin_offsetof(struct sock_filter, k), "layout");

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// Child side: only raw syscalls from here to exec.
static void child_fail(int pipe_fd, int stage) {
  ct_spawn_failure f = {stage, errno};
  ssize_t ignored = write(pipe_fd, &f, sizeof f);
  (void)ignored;
  _exit(127);
}

static void child_redirect(int pipe_fd, int from, int to) {
  if (from < 0 || from == to) return;
  if (dup2(from, to) < 0) child_fail(pipe_fd, CT_STAGE_DUP2);
}

static void child(const ct_spawn_request *rq, int pipe_fd) {
  // The tracer blocks the signals it waits for; a program must not inherit that mask.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  // Ignored dispositions survive exec: the command gets the ones pipetrace inherited.
  ct_restore_start_dispositions();

  if ((rq->flags & CT_SPAWN_SETSID) && setsid() < 0) child_fail(pipe_fd, CT_STAGE_SESSION);
  if ((rq->flags & CT_SPAWN_SETPGID) && setpgid(0, 0) < 0) child_fail(pipe_fd, CT_STAGE_SESSION);
  child_redirect(pipe_fd, rq->stdin_fd, 0);
  child_redirect(pipe_fd, rq->stdout_fd, 1);
  child_redirect(pipe_fd, rq->stderr_fd, 2);
  if (rq->flags & CT_SPAWN_CLOSE_FDS) {
    // Close-on-exec rather than close: the error pipe must live until exec.
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
      for (int fd = 3; fd < 65536; fd++) if (fd != pipe_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  if (rq->flags & CT_SPAWN_TRACED) {
    // The parent seizes the child during this stop (PTRACE_SEIZE, not TRACEME, so that every
    // tracee can later be interrupted and detached). It also sets TRACESECCOMP then: a filter that
    // returns SECCOMP_RET_TRACE before that would make the traced syscalls fail with ENOSYS.
    kill(getpid(), SIGSTOP);
  }
  if (rq->filter && rq->filter_len) {
    struct sock_fprog prog = {rq->filter_len, (struct sock_filter *)rq->filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(pipe_fd, CT_STAGE_SECCOMP);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) child_fail(pipe_fd, CT_STAGE_SECCOMP);
  }
  execve(rq->path, rq->argv, rq->envp ? rq->envp : environ);
  child_fail(pipe_fd, CT_STAGE_EXEC);
}

int ct_spawn(const ct_spawn_request *rq, pid_t *pid, int *error_fd, ct_spawn_failure *failure) {
  int fds[2];
  *error_fd = -1;
  memset(failure, 0, sizeof *failure);
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
  pid_t child_pid = fork();
  if (child_pid < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return -err;
  }
  if (child_pid == 0) {
    close(fds[0]);
    child(rq, fds[1]);
  }
  close(fds[1]);
  *pid = child_pid;
  if (rq->flags & CT_SPAWN_TRACED) {
    int status;
    pid_t r;
    do r = waitpid(child_pid, &status, __WALL | WUNTRACED); while (r < 0 && errno == EINTR);
    if (r < 0 || !WIFSTOPPED(status)) {
      // Died before its stop: the pipe says why.
      ssize_t n;
      do n = read(fds[0], failure, sizeof *failure); while (n < 0 && errno == EINTR);
      close(fds[0]);
      if (n != (ssize_t)sizeof *failure) {
        failure->stage = CT_STAGE_TRACEME;
        failure->error = ECHILD;
      }
      return -failure->error;
    }
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  *error_fd = fds[0];
  return 0;
}
