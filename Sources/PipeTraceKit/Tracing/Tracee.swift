/// A syscall between its entry and exit stops.
struct PendingCall {
  /// What the decoder knows of the call (ABI, row, registers, where its entry part stopped).
  var call: SyscallDecoder.Call
  var record: SyscallRecord
  /// CLOCK_MONOTONIC when the tracee was resumed into the call.
  var monoStart: Double
  /// Printed (in the selected set); otherwise only the model needs it.
  var shown: Bool
}

/// One traced thread and what the tracer knows of it. Every tracee is seized (PTRACE_SEIZE, also
/// launched ones): group-stops come as PTRACE_EVENT_STOP and PTRACE_INTERRUPT works on all.
final class Tracee {
  var tid: Int32
  /// Its process (thread group).
  var tgid: Int32
  var fdTable: FdTable
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
  /// The ABI of its last syscall (a change is printed as strace's `runs in 32 bit mode` note).
  var arch = SyscallArch.x86_64

  init(tid: Int32, tgid: Int32, fdTable: FdTable, started: Bool) {
    self.tid = tid
    self.tgid = tgid
    self.fdTable = fdTable
    self.started = started
  }
}
