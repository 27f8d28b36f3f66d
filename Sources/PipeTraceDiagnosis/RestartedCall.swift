/// `restart_syscall` is how the kernel resumes a poll or a sleep that a stop interrupted (any ptrace
/// stop: `strace -p`, `why --stack`, pipetrace's own attach). /proc/PID/syscall then reads 219 with
/// the original call's argument registers untouched, so the call is the original one, continued:
/// which one it was is in the kernel stack (root) or, failing that, the wait channel.
enum RestartedCall {
  /// The call thread `tid` continues in restart_syscall, or nil if unknown.
  /// A resumed sleep may show neither (the kernel tail-calls into it: the stack ends at
  /// do_syscall_64); clock_nanosleep's own arguments (a clock id, flags 0 or 1) still tell it.
  static func original(pid: Int32, tid: Int32, wchan: String?, args: [UInt64]) -> SyscallID? {
    // Which kernel functions and wait channels name which call is the catalogue's (`RestartMarkers`).
    let calls = SyscallCatalogue.restartMarkers
    if let stack = ProcFS.taskFile(pid, tid: tid, "stack") {
      for (call, m) in calls where m.stack.contains(where: { stack.contains($0) }) { return call }
    }
    if let wchan {
      for (call, m) in calls where m.wchan.contains(where: { wchan.contains($0) }) { return call }
    }
    if args.count >= 3, args[0] <= 11, args[1] <= 1, args[2] > 0xFFFF { return .clockNanosleep }
    return nil
  }
}
