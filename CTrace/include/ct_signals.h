// Signals the tracer itself waits for. They stay blocked and are taken with sigtimedwait, so a
// SIGINT can never fall between a check and a blocking waitpid.
#ifndef CT_SIGNALS_H
#define CT_SIGNALS_H
#include <sys/types.h>

#pragma clang assume_nonnull begin

// A launched command gets back the dispositions pipetrace inherited (SIGPIPE default unless it
// was ignored; SIGINT, SIGTERM, SIGHUP, SIGQUIT ignored if they were): pipetrace changes them for
// itself before main (signals.c). Async-signal-safe: for the child between fork and exec.
void ct_restore_start_dispositions(void);

// Blocks SIGCHLD, SIGINT, SIGTERM, SIGHUP (and SIGQUIT) in the calling thread; threads it starts later
// inherit the mask. Call just before the first tracee (or tracer thread) exists.
int ct_block_tracer_signals(void);
// Unblocks them again in the calling thread (and the threads it starts later), for commands that
// trace nothing: their default actions (Ctrl-C ends the process) apply again.
int ct_unblock_tracer_signals(void);
// Waits up to timeout_ms (-1 = forever) for one of them. Returns the signal number (and its si_code
// in *code when code is not NULL: <= 0 when a process sent it, SI_KERNEL when the terminal did),
// 0 on timeout.
int ct_wait_tracer_signal(int timeout_ms, int *_Nullable code);
// The same, once: a signal that interrupts the wait (the wake-up timer's) returns -1 with EINTR. In
// *pid the sender's pid (si_pid): for SIGCHLD, the child or tracee whose stop or exit sent it.
int ct_take_tracer_signal(int timeout_ms, int *_Nullable code, pid_t *_Nullable pid);
// Whether the kernel sends this process a SIGCHLD for every stop and exit of its tracees: SIGCHLD
// not ignored and without SA_NOCLDSTOP.
int ct_sigchld_reports_stops(void);

// The tracer thread sleeps in a blocking waitpid, as strace does (one system call per stop). A
// CLOCK_MONOTONIC timer sends the calling thread a signal of its own every interval_ms, which
// interrupts that waitpid (EINTR) so the loop can take its signals, tick and flush while idle.
// The handler does nothing and is installed without SA_RESTART. Returns 0, or -1 with errno set.
int ct_wakeup_start(int interval_ms);
// Stops and deletes the calling thread's timer and blocks its signal again.
void ct_wakeup_stop(void);

#pragma clang assume_nonnull end
#endif
