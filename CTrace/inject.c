#define _GNU_SOURCE
#include "ct_inject.h"
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int ct_tgkill(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }

long ct_inject_peek(pid_t pid, uintptr_t addr, long *word) {
  errno = 0;
  long v = ptrace(PTRACE_PEEKDATA, pid, (void *)addr, NULL);
  if (v == -1 && errno != 0) return -1;
  *word = v;
  return 0;
}

long ct_inject_poke(pid_t pid, uintptr_t addr, long word) {
  return ptrace(PTRACE_POKEDATA, pid, (void *)addr, (void *)word);
}
