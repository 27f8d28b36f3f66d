/// `restart_syscall` is how the kernel resumes a poll or a sleep that a stop interrupted (any ptrace
/// stop: `strace -p`, `why --stack`, pipetrace's own attach). /proc/PID/syscall then reads 219 with
/// the original call's argument registers untouched, so the call is the original one, continued:
/// which one it was is in the kernel stack (root) or, failing that, the wait channel.
enum RestartedCall {
  /// Kernel functions that name the call being continued (newest kernels first where they differ).
  static let stackMarkers: [(String, SyscallID)] = [
    ("do_restart_poll", .poll),
    ("futex_wait_restart", .futex),
    ("hrtimer_nanosleep_restart", .clockNanosleep),
    ("posix_cpu_nsleep_restart", .clockNanosleep),
    ("alarm_timer_nsleep_restart", .clockNanosleep),
  ]

  /// Wait channels of the same calls (`wchan` needs no privilege; the stack file does).
  static let wchanMarkers: [(String, SyscallID)] = [
    ("poll", .poll),
    ("futex", .futex),
    ("nanosleep", .clockNanosleep),
    ("hrtimer", .clockNanosleep),
  ]

  /// The call thread `tid` continues in restart_syscall, or nil if unknown.
  /// A resumed sleep may show neither (the kernel tail-calls into it: the stack ends at
  /// do_syscall_64); clock_nanosleep's own arguments (a clock id, flags 0 or 1) still tell it.
  static func original(pid: Int32, tid: Int32, wchan: String?, args: [UInt64]) -> SyscallID? {
    if let stack = ProcFS.taskFile(pid, tid: tid, "stack") {
      for (marker, name) in stackMarkers where stack.contains(marker) { return name }
    }
    if let wchan {
      for (marker, name) in wchanMarkers where wchan.contains(marker) { return name }
    }
    if args.count >= 3, args[0] <= 11, args[1] <= 1, args[2] > 0xFFFF { return .clockNanosleep }
    return nil
  }
}
