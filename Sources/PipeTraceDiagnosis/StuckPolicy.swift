/// The stuck detector's decisions, as pure functions a trace loop can call between stops (no
/// callback shape assumed): which blocked calls are worth a `why`, and which diagnoses are worth a
/// note or a fix.
public enum StuckPolicy {
  /// Whether a traced call blocked this long may be a hang `why` can explain. Its fd kinds decide
  /// when they are known; calls whose fds live in memory or in the kernel (select's sets, epoll's
  /// interest list, restart_syscall's original poll) are asked of /proc.
  /// (A restart_syscall the trace knows the origin of comes here as the call it resumes.)
  /// Calls that can wait on another process's fds: reads, polls and selects (the table's traits) on
  /// pipes, FIFOs, UNIX stream sockets and ptys, and `restart_syscall` (a poll interrupted by a stop
  /// continues as it).
  public static func mayWaitOnAnotherProcess(_ traits: SyscallTraits, args: [ArgValue]) -> Bool {
    if traits.contains(.continuesCall) { return true }
    guard traits.contains(.readsFd) || traits.contains(.waitsOnFds) else { return false }
    // select's fd sets and epoll's interest list are not in the arguments with their targets.
    if traits.contains(.waitsOnFds), !args.contains(where: { if case .array = $0 { return true } else { return false } }) {
      return true
    }
    return args.contains(where: waitsOnFollowable)
  }

  /// A hang worth a note in the trace (and, past `--unstick-after`, the fix): a blocked process,
  /// not an idle event loop, a running or an unreadable one.
  public static func isHang(_ diagnosis: HangDiagnosis) -> Bool {
    diagnosis.outcome == .fix || diagnosis.outcome == .noFix
  }

  /// Pipes, sockets, paths (a FIFO) and devices (a pty master, /dev/ptmx); not a terminal's slave
  /// side, which an interactive program reads while it waits for its user.
  static func waitsOnFollowable(_ v: ArgValue) -> Bool {
    switch v {
    case .fd(_, let t?): return t.kind == .pipe || t.kind == .socket || t.kind == .file || t.kind == .device
    case .array(let items, _): return items.contains(where: waitsOnFollowable)
    case .structure(let fields): return fields.contains { waitsOnFollowable($0.value) }
    default: return false
    }
  }
}
