#if canImport(Glibc)
import Glibc
#endif

/// Closing fds inside another process: the checks made before touching it, and the close itself.
public enum InjectClose {
  /// A target that passed every check: which thread to seize and what each fd points to.
  public struct Plan: Sendable {
    public var pid: Int32
    public var comm: String
    public var tid: Int32
    public var fds: [(fd: Int32, target: FdTarget, end: PipeEnd?)]

    /// `fd 1 -> pipe:[24684] (write end)` per fd.
    public var descriptions: [String] {
      fds.map { f in "fd \(f.fd) -> \(f.target.path)" + (f.target.kind == .pipe ? " (\(f.end?.rawValue ?? "?") end)" : "") }
    }
  }

  public enum Outcome: Sendable, Equatable {
    case closed
    case wasNotOpen
    case failed(Errno)

    public var text: String {
      switch self {
      case .closed: return "closed"
      case .wasNotOpen: return "was not open"
      case .failed(let e): return "failed: \(e)"
      }
    }
  }

  /// Checks everything without touching the process. `expect` (e.g. `pipe:[24684]`) refuses an fd
  /// that points elsewhere. Throws an `InjectionError` with a one-line reason.
  /// `tracedBy`: the caller's own pid when it traces the process itself (it then injects through
  /// its own session, see `Tracer.injectClose`).
  public static func plan(pid: Int32, fds: [Int32], expect: String? = nil, tracedBy: Int32? = nil) throws(InjectionError) -> Plan {
    if pid <= 0 { throw InjectionError("invalid pid \(pid): must be a positive process id") }
    if fds.isEmpty { throw InjectionError("no fd given: --inject-close PID FD [FD...]") }
    if let bad = fds.first(where: { $0 < 0 }) { throw InjectionError("invalid fd \(bad): fds are >= 0") }
    if pid == getpid() { throw InjectionError("pid \(pid) is pipetrace itself") }
    guard let stat = ProcStat.read(pid) else { throw InjectionError("no such process: \(pid)") }
    let name = "pid \(pid) (\(stat.comm))"
    if stat.isKernelThread { throw InjectionError("\(name) is a kernel thread: it has no fds to close") }
    if stat.isZombie { throw InjectionError("\(name) is a zombie: it has exited, its fds are already closed") }
    if let tgid = ProcFS.statusField(pid, "Tgid").flatMap({ Int32($0) }), tgid != pid {
      throw InjectionError("\(pid) is a thread of process \(tgid): give the process id \(tgid)")
    }
    let threads = ProcFS.threadIds(of: pid)
    for tid in threads {
      if let tracer = ProcFS.statusField(pid, "TracerPid", tid: tid).flatMap({ Int32($0) }), tracer != 0, tracer != tracedBy {
        let tracerComm = ProcStat.read(tracer)?.comm ?? "?"
        throw InjectionError("\(name) is already traced by \(tracer) (\(tracerComm)): detach it first")
      }
    }
    if stat.state == "T" || (stat.state == "t" && tracedBy == nil) {
      throw InjectionError("\(name) is stopped: continue it first (kill -CONT \(pid))")
    }
    // Threads share the fd table: any live thread will do, the main one first.
    guard let tid = threads.first(where: { t in
      guard let s = ProcStat.read(pid, tid: t) else { return false }
      return !s.isZombie
    }) else { throw InjectionError("\(name) has no live thread") }
    var checked: [(fd: Int32, target: FdTarget, end: PipeEnd?)] = []
    for fd in fds {
      guard let target = ProcFS.fdTarget(pid, fd: fd) else {
        throw InjectionError("fd \(fd) is not open in \(name)")
      }
      if let expect, target.path != expect {
        throw InjectionError("fd \(fd) of \(name) points to \(target.path), not \(expect) (--expect): refusing")
      }
      checked.append((fd, target, target.kind == .pipe ? PipeHolderIndex.end(pid: pid, fd: fd) : nil))
    }
    return Plan(pid: pid, comm: stat.comm, tid: tid, fds: checked)
  }

  /// Runs close(fd) in the target for each fd of the plan, one seize for all of them.
  public static func perform(_ plan: Plan) throws(InjectionError) -> [(fd: Int32, outcome: Outcome)] {
    let session = try RemoteSyscallSession(pid: plan.pid, tid: plan.tid)
    defer { session.detach() }
    return try perform(plan, in: session)
  }

  /// Runs the closes through a session the caller holds (attached or adopted).
  public static func perform(_ plan: Plan, in session: RemoteSyscallSession) throws(InjectionError) -> [(fd: Int32, outcome: Outcome)] {
    var results: [(fd: Int32, outcome: Outcome)] = []
    for f in plan.fds {
      let r = try session.run(closeNumber, [UInt64(UInt32(bitPattern: f.fd))])
      if r == 0 {
        results.append((f.fd, .closed))
      } else if r == -Int64(Errno.EBADF.rawValue) {
        results.append((f.fd, .wasNotOpen))
      } else {
        results.append((f.fd, .failed(Errno(Int32(truncatingIfNeeded: -r)))))
      }
    }
    return results
  }

  /// close(2)'s number on this architecture.
  #if arch(arm64)
  static let closeNumber: Int64 = 57
  #else
  static let closeNumber: Int64 = 3
  #endif

  /// Checks, then closes. Convenience for library callers (the tracer's --unstick-after, demo).
  public static func close(pid: Int32, fds: [Int32], expect: String? = nil) throws(InjectionError)
    -> [(fd: Int32, outcome: Outcome)]
  {
    try perform(plan(pid: pid, fds: fds, expect: expect))
  }
}

extension HangDiagnosis.Fix {
  /// Performs every close of the fix (each fd checked to still point at its pipe). Returns per pid the
  /// outcome of each fd; a pid that could not be touched is reported with its error.
  public func perform() -> [(pid: Int32, result: Result<[(fd: Int32, outcome: InjectClose.Outcome)], InjectionError>)] {
    closes.map { c in
      (c.pid, Result { () throws(InjectionError) in
        try InjectClose.close(pid: c.pid, fds: c.fds, expect: "pipe:[\(c.inode)]")
      })
    }
  }
}
