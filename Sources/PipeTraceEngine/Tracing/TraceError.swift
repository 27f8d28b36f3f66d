/// Why a trace could not start. Each reads as one line for the user.
public enum TraceError: Error, CustomStringConvertible, Equatable {
  case noSuchProcess(Int32)
  case invalidPid(String)
  case kernelThread(Int32, name: String)
  case zombie(Int32, name: String)
  case alreadyTraced(Int32, tracer: Int32, tracerName: String)
  case isSelf(Int32)
  case permissionDenied(Int32, Errno)
  case attachFailed(Int32, Errno)
  case commandNotFound(String)
  case notExecutable(String, Errno)
  case spawnFailed(String, Errno)

  /// Process names come from /proc (any user can name a process), command names from the command
  /// line (any bytes): escaped as strace does.
  public var description: String {
    let e = DisplayText.escape
    switch self {
    case .noSuchProcess(let p): return "no such process: \(p)"
    case .invalidPid(let s): return "not a process id: '\(s)' (expected a positive number)"
    case .kernelThread(let p, let n): return "process \(p) (\(e(n))) is a kernel thread; kernel threads cannot be traced"
    case .zombie(let p, let n): return "process \(p) (\(e(n))) is a zombie: it has exited and only waits to be reaped"
    case .alreadyTraced(let p, let t, let n):
      return "process \(p) is already traced by process \(t) (\(e(n))); a process can have only one tracer"
    case .isSelf(let p): return "process \(p) is pipetrace itself"
    case .permissionDenied(let p, _):
      return PtracePermission.explain(pid: p)
    case .attachFailed(let p, let e): return "cannot attach to process \(p): \(e.description)"
    case .commandNotFound(let c): return "\(e(c)): command not found"
    case .notExecutable(let c, let err): return "cannot execute \(e(c)): \(err.message)"
    case .spawnFailed(let c, let err): return "cannot start \(e(c)): \(err.message)"
    }
  }
}
