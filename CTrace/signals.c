#define _GNU_SOURCE
#include "ct_signals.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

static void tracer_set(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGCHLD);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
  sigaddset(set, SIGQUIT);
}

int ct_block_tracer_signals(void) {
  sigset_t set;
  tracer_set(&set);
  return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

int ct_unblock_tracer_signals(void) {
  sigset_t set;
  tracer_set(&set);
  return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

int ct_wait_tracer_signal(int timeout_ms, int *code) {
  sigset_t set;
  tracer_set(&set);
  siginfo_t info;
  for (;;) {
    int r;
    if (timeout_ms < 0) {
      r = sigwaitinfo(&set, &info);
    } else {
      struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
      r = sigtimedwait(&set, &info, &ts);
      if (r < 0 && errno == EAGAIN) return 0;
    }
    if (r >= 0) {
      if (code) *code = info.si_code;
      return r;
    }
    if (errno != EINTR) return -1;
  }
}
