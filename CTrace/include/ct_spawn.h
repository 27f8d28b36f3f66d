// fork + exec of a child that is traced from its first instruction. Everything between fork and exec
// is async-signal-safe; a failure there reaches the parent through a close-on-exec pipe.
#ifndef CT_SPAWN_H
#define CT_SPAWN_H
#include <stdint.h>
#include <sys/types.h>

// One classic-BPF instruction, laid out as struct sock_filter.
typedef struct {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
} ct_bpf_insn;

enum {
  CT_SPAWN_TRACED = 1,      // the child stops itself (SIGSTOP) before exec, for the caller to seize
  CT_SPAWN_CLOSE_FDS = 2,   // every fd above 2 is closed at exec
  CT_SPAWN_SETSID = 4,      // the child leads a new session
  CT_SPAWN_SETPGID = 8,     // the child leads a new process group
};

// Where a failure happened in the child, as written to the error pipe.
enum { CT_STAGE_TRACEME = 1, CT_STAGE_SECCOMP = 2, CT_STAGE_EXEC = 3, CT_STAGE_DUP2 = 4, CT_STAGE_SESSION = 5 };
typedef struct {
  int32_t stage;
  int32_t error;
} ct_spawn_failure;

#pragma clang assume_nonnull begin

typedef struct {
  const char *path;          // absolute or relative path, no PATH search here
  char *_Nullable const *_Nonnull argv;  // NULL-terminated
  char *_Nullable const *_Nullable envp;  // NULL = the caller's environment
  int flags;                 // CT_SPAWN_*
  int stdin_fd;              // -1 = inherit
  int stdout_fd;
  int stderr_fd;
  const ct_bpf_insn *_Nullable filter; // installed after the tracer has set its options; NULL = none
  uint16_t filter_len;
} ct_spawn_request;

// Forks. With CT_SPAWN_TRACED the child is left stopped by its own SIGSTOP (the stop already
// reported to this call); the caller seizes it, waits for the PTRACE_EVENT_STOP and sends SIGCONT. *error_fd receives the read end of the error
// pipe (close-on-exec, non-blocking): EOF once exec succeeded, a ct_spawn_failure when it did not.
// Returns 0, or -errno when fork failed or the child died before its stop (then *error_fd is -1 and
// *failure says why).
int ct_spawn(const ct_spawn_request *request, pid_t *pid, int *error_fd, ct_spawn_failure *failure);

#pragma clang assume_nonnull end
#endif
