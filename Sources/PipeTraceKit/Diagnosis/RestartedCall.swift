/// `restart_syscall` is how the kernel resumes a poll or a sleep that a stop interrupted (any ptrace
/// stop: `strace -p`, `why --stack`, pipetrace's own attach). /proc/PID/syscall then reads 219 with
/// the original call's argument registers untouched, so the call is the original one, continued:
/// which one it was is in the kernel stack (root) or, failing that, the wait channel.
enum RestartedCall {
  /// x86_64 `restart_syscall`.
  static let number = 219

  /// Kernel functions that name the call being continued (newest kernels first where they differ).
  static let stackMarkers: [(String, Int)] = [
    ("do_restart_poll", 7),
    ("futex_wait_restart", 202),
    ("hrtimer_nanosleep_restart", 230),
    ("posix_cpu_nsleep_restart", 230),
    ("alarm_timer_nsleep_restart", 230),
  ]

  /// Wait channels of the same calls (`wchan` needs no privilege; the stack file does).
  static let wchanMarkers: [(String, Int)] = [
    ("poll", 7),
    ("futex", 202),
    ("nanosleep", 230),
    ("hrtimer", 230),
  ]

  /// The x86_64 number of the call thread `tid` continues in restart_syscall, or nil if unknown.
  /// A resumed sleep may show neither (the kernel tail-calls into it: the stack ends at
  /// do_syscall_64); clock_nanosleep's own arguments (a clock id, flags 0 or 1) still tell it.
  static func original(pid: Int32, tid: Int32, wchan: String?, args: [UInt64]) -> Int? {
    if let stack = ProcFS.read("/proc/\(pid)/task/\(tid)/stack") {
      for (marker, nr) in stackMarkers where stack.contains(marker) { return nr }
    }
    if let wchan {
      for (marker, nr) in wchanMarkers where wchan.contains(marker) { return nr }
    }
    if args.count >= 3, args[0] <= 11, args[1] <= 1, args[2] > 0xFFFF { return 230 }
    return nil
  }
}
