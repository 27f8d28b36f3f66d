/// A syscall between its entry and exit stops.
struct PendingCall {
  /// What the decoder knows of the call (ABI, row, registers, where its entry part stopped).
  var call: SyscallDecoder.Call
  var record: SyscallRecord
  /// CLOCK_MONOTONIC when the tracee was resumed into the call.
  var monoStart: Double
  /// Printed (in the selected set); otherwise only the fd cache needs it.
  var shown: Bool
  /// An exec call's path argument, read at entry: at the exec event the old image, and the memory
  /// the path was in, are gone.
  var execPath: [UInt8]? = nil
}

/// One traced thread and what the tracer knows of it. Every tracee is seized (PTRACE_SEIZE, also
/// launched ones): group-stops come as PTRACE_EVENT_STOP and PTRACE_INTERRUPT works on all.
package final class Tracee {
  var tid: Int32
  /// Its process (thread group).
  var tgid: Int32
  /// What its fds point to; shared with the threads (and CLONE_FILES children) that share its table.
  var fds: FdTargetCache
  /// Its first stop (the attach or the new-child stop) has been seen.
  var started: Bool
  /// Between a syscall's entry (or seccomp) stop and its exit stop.
  var inSyscall = false
  var current: PendingCall?
  /// Flags of its last clone/clone3 entry: whether the new task is a thread, shares the fd table.
  var lastCloneFlags: UInt64?
  /// The launched child before its execve: pipetrace's own setup code, not shown.
  var beforeExec = false
  /// Its first stop came before its parent's fork event (which will fix tgid and fd table).
  var awaitingForkEvent = false
  /// The call the kernel will continue as restart_syscall (it returned ERESTART_RESTARTBLOCK, or
  /// was in progress when the thread was attached).
  var interruptedCall: SyscallRecord?
  /// The ABI of its last syscall (a change is printed as strace's `runs in 32 bit mode` note).
  var arch = SyscallArch.x86_64
  /// Seized by attaching (not launched, not a new child of a tracee).
  var attached = false
  /// In a job-control stop (kept there with PTRACE_LISTEN).
  var inGroupStop = false
  /// The loop wants it held at its next PTRACE_EVENT_STOP (to run an injection); `held` once there.
  var holdRequested = false
  var held = false
  /// The process that forked this one, when its fork event was seen (a kill of a subtree follows it).
  var parentTgid: Int32?

  init(tid: Int32, tgid: Int32, fds: FdTargetCache, started: Bool) {
    self.tid = tid
    self.tgid = tgid
    self.fds = fds
    self.started = started
  }
}
