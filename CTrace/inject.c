#define _GNU_SOURCE
#include "ct_inject.h"
#include <sys/syscall.h>
#include <unistd.h>

int ct_tgkill(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }
