#define _GNU_SOURCE
#include "ct_signals.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// The dispositions pipetrace found at its start, for the commands it launches (ct_restore_...).
static int inherited_ignored[NSIG];
static const int start_signals[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Runs before main and before every shared library's initialiser (the Swift runtime's, whose
// backtracer sets handlers of its own, Foundation's, libunwind's...): an entry of the executable's
// .preinit_array, which the dynamic loader calls first once it has mapped and relocated
// everything (DT_PREINIT_ARRAY; a constructor of the executable would run last, after all of
// theirs). No signal sent to pipetrace from then on is lost to a disposition it inherited; one
// sent during exec and the loader's work is, as for any program (measured in
// SignalResponseTests and docs; strace's window, up to its main, is longer).
// - SIGPIPE is ignored: a write to an output whose reader left fails with EPIPE, a write error
//   reported once (the trace goes on, the targets are not harmed), never the end of pipetrace.
// - SIGINT, SIGTERM, SIGHUP and SIGQUIT inherited as ignored (a background job of a script,
//   nohup) get their default action back: a signal sent to pipetrace is a request to it, as for
//   strace, which installs its own handler whatever it inherited. Until the tracer blocks them
//   (ct_block_tracer_signals) the default action ends pipetrace; from then on the tracer takes them.
// - SIGQUIT gets a handler that does what the default does (it resets the default and raises
//   the signal again: pipetrace ends by SIGQUIT). The default itself would invite the Swift
//   runtime's backtracer, whose initialiser runs next and takes SIGQUIT when it finds it at its
//   default: a SIGQUIT before the trace would print a crash report and interrupt the open of an
//   `-o FIFO` (EINTR) instead of ending pipetrace. Once the tracer blocks it, it is the tracer's.
static void quit_as_by_default(int sig) {
  // SA_RESETHAND has put the default back; SA_NODEFER lets the signal in at once.
  raise(sig);
}

static void ct_take_start_dispositions(int argc, char **argv, char **envp) {
  (void)argc, (void)argv, (void)envp;
  for (size_t i = 0; i < sizeof start_signals / sizeof start_signals[0]; i++) {
    int sig = start_signals[i];
    struct sigaction old, sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sig == SIGPIPE ? SIG_IGN : sig == SIGQUIT ? quit_as_by_default : SIG_DFL;
    if (sig == SIGQUIT) sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, NULL, &old) != 0) continue;
    inherited_ignored[sig] = old.sa_handler == SIG_IGN;
    // A handler installed before (none can be, this early) is left alone.
    if (old.sa_handler == SIG_IGN || old.sa_handler == SIG_DFL) sigaction(sig, &sa, NULL);
  }
}

// Only an executable may have a .preinit_array: CTrace is linked into pipetrace (and the test
// bundle, an executable too) as objects, never as a shared library.
__attribute__((section(".preinit_array"), used))
static void (*const ct_start_dispositions_entry)(int, char **, char **) = ct_take_start_dispositions;

void ct_restore_start_dispositions(void) {
  for (size_t i = 0; i < sizeof start_signals / sizeof start_signals[0]; i++) {
    int sig = start_signals[i];
    signal(sig, inherited_ignored[sig] ? SIG_IGN : SIG_DFL);
  }
}

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

int ct_take_tracer_signal(int timeout_ms, int *code, pid_t *pid) {
  sigset_t set;
  tracer_set(&set);
  siginfo_t info;
  int r;
  if (timeout_ms < 0) {
    r = sigwaitinfo(&set, &info);
  } else {
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    r = sigtimedwait(&set, &info, &ts);
    if (r < 0 && errno == EAGAIN) return 0;
  }
  if (r < 0) return -1;
  if (code) *code = info.si_code;
  if (pid) *pid = info.si_pid;
  return r;
}

int ct_wait_tracer_signal(int timeout_ms, int *code) {
  for (;;) {
    int r = ct_take_tracer_signal(timeout_ms, code, NULL);
    if (r >= 0 || errno != EINTR) return r;
  }
}

int ct_sigchld_reports_stops(void) {
  struct sigaction sa;
  if (sigaction(SIGCHLD, NULL, &sa) != 0) return 0;
  return sa.sa_handler != SIG_IGN && !(sa.sa_flags & SA_NOCLDSTOP);
}

// A real-time signal nothing else in pipetrace uses (glibc keeps the first two for itself).
static int wakeup_signal(void) { return SIGRTMIN + 4; }
static __thread timer_t wakeup_timer;
static __thread int wakeup_armed;

static void wakeup_handler(int sig) { (void)sig; }

int ct_wakeup_start(int interval_ms) {
  if (wakeup_armed) ct_wakeup_stop();
  int sig = wakeup_signal();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = wakeup_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the blocking waitpid must return EINTR
  if (sigaction(sig, &sa, NULL) < 0) return -1;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = sig;
  ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  if (timer_create(CLOCK_MONOTONIC, &ev, &wakeup_timer) < 0) return -1;
  long ns = (long)(interval_ms > 0 ? interval_ms : 1) * 1000000L;
  struct itimerspec it = {{ns / 1000000000L, ns % 1000000000L}, {ns / 1000000000L, ns % 1000000000L}};
  if (timer_settime(wakeup_timer, 0, &it, NULL) < 0) {
    timer_delete(wakeup_timer);
    return -1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  wakeup_armed = 1;
  return 0;
}

void ct_wakeup_stop(void) {
  if (!wakeup_armed) return;
  timer_delete(wakeup_timer);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, wakeup_signal());
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  // A signal already sent to this thread stays pending (blocked): take it.
  struct timespec zero = {0, 0};
  while (sigtimedwait(&set, NULL, &zero) > 0) {}
  wakeup_armed = 0;
}
