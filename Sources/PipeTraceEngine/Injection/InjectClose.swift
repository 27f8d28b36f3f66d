import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Taking fds away from another process: the checks made before touching it, and the act itself.
///
/// By default the fd is not freed but pointed at /dev/null (open it in the target, dup2 it over the
/// fd, close the temporary): the reader on the other side sees EOF, and the fd number stays taken,
/// so a daemon that goes on running never hands it to a new file or connection (and its next log
/// line goes to /dev/null, not into a client's socket). `Mode.plainClose` frees the number instead.
public enum InjectClose {
  public enum Mode: Sendable, Equatable {
    /// open("/dev/null") + dup2 over the fd + close the temporary (the default).
    case replaceWithNull
    /// close(fd): the number becomes free for the process's next open, socket or accept.
    case plainClose
  }

  /// A file's identity: what the fd must still point to when the act happens.
  public struct Identity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64

    /// What `/proc/PID/fd/FD` points to and its identity, both read from one object at one moment
    /// (an O_PATH open of the link: no driver's open runs, no reader or writer is added), so the
    /// link text and the inode cannot belong to two different objects of an fd that is changing.
    /// Nil when not open.
    static func snapshot(pid: Int32, fd: Int32) -> (target: FdTarget, identity: Identity)? {
      let held = ProcFS.openFdTarget(pid, fd: fd)
      guard held >= 0 else { return nil }
      defer { Glibc.close(held) }
      var st = stat()
      guard fstat(held, &st) == 0, let target = ProcFS.fdTarget(getpid(), fd: held) else { return nil }
      return (target, Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
    }
  }

  /// A target that passed every check: which thread to seize and what each fd points to.
  public struct Plan: Sendable {
    public var pid: ProcessID
    public var comm: String
    /// The thread seized to run the calls.
    public var tid: ThreadID
    public var fds: [(fd: Int32, target: FdTarget, end: PipeEnd?)]
    public var mode: Mode = .replaceWithNull
    /// Per fd, the identity found by the checks; the act happens only if it still holds.
    public var identities: [Int32: Identity] = [:]
    /// `--expect`: the link text every fd must still show.
    public var expect: String?
    /// The thread whose own fd table (unshare(CLONE_FILES)) holds the fds, nil for the process's
    /// table; the syscalls then run in that thread.
    public var ownTableThread: ThreadID?
    /// Whose fd table the fds are in, as /proc names it: the process, or the thread with its own.
    var table: Int32 { ownTableThread?.rawValue ?? pid.rawValue }

    /// `fd 1 -> pipe:[24684] (write end)` per fd.
    public var descriptions: [String] {
      fds.map { f in
        "fd \(f.fd) -> \(DisplayText.escape(f.target.path))" + (f.target.kind == .pipe ? " (\(f.end?.rawValue ?? "?") end)" : "")
      }
    }
  }

  public enum Outcome: Sendable, Equatable {
    /// Freed (`--plain-close`).
    case closed
    /// Now points to /dev/null; the number stays taken.
    case replaced
    case wasNotOpen
    /// It pointed elsewhere by the time every thread was stopped: left alone.
    case changed(String)
    case failed(Errno)

    public var text: String {
      switch self {
      case .closed: return "closed"
      case .replaced: return "replaced by /dev/null"
      case .wasNotOpen: return "was not open"
      case .changed(let now): return "left alone: it now points to \(DisplayText.escape(now))"
      case .failed(let e): return "failed: \(e)"
      }
    }

    /// The fd no longer holds what it held (the reader on the other side may see EOF).
    public var released: Bool { self == .closed || self == .replaced }
  }

  /// Checks everything without touching the process. `expect` (e.g. `pipe:[24684]`) refuses an fd
  /// that points elsewhere. Throws an `InjectionError` with a one-line reason.
  /// `tracedBy`: the caller's own pid when it traces the process itself (it then injects through
  /// its own session, see `Tracer.injectClose`).
  public static func plan(pid: Int32, fds: [Int32], expect: String? = nil, tracedBy: Int32? = nil,
                          mode: Mode = .replaceWithNull) throws(InjectionError) -> Plan {
    if pid <= 0 { throw InjectionError("invalid pid \(pid): must be a positive process id") }
    if fds.isEmpty { throw InjectionError("no fd given: --inject-close PID FD [FD...]") }
    if let bad = fds.first(where: { $0 < 0 }) { throw InjectionError("invalid fd \(bad): fds are >= 0") }
    if pid == getpid() { throw InjectionError("pid \(pid) is pipetrace itself") }
    guard ProcStat.read(pid) != nil else { throw InjectionError("no such process: \(pid)") }
    // A thread with an fd table of its own (unshare(CLONE_FILES)) is a target of its own: its fds
    // are not its process's. Any other thread shares the process's table: name the process.
    let table = pid
    var pid = pid
    if let tgid = ProcStatus(pid: table)?.tgid, tgid != table {
      guard ct_has_own_fd_table(tgid, table) == 1 else {
        throw InjectionError("\(table) is a thread of process \(tgid): give the process id \(tgid)")
      }
      pid = tgid
    }
    guard let stat = ProcStat.read(pid) else { throw InjectionError("no such process: \(pid)") }
    let name = table == pid ? "pid \(pid) (\(DisplayText.escape(stat.comm)))"
      : "thread \(table) of pid \(pid) (\(DisplayText.escape(stat.comm)))"
    if stat.isKernelThread { throw InjectionError("\(name) is a kernel thread: it has no fds to close") }
    if stat.isZombie && table == pid {
      throw InjectionError("\(name) is a zombie: it has exited, its fds are already closed")
    }
    // Another user's process: its fd table is closed to us, and so is ptrace. Say so, not "not open".
    if !ProcFS.canReadFds(table) && (errno == EACCES || errno == EPERM) {
      throw InjectionError(PtracePermission.explain(pid: pid))
    }
    let threads = ProcFS.threadIds(of: pid)
    for tid in threads {
      if let tracer = ProcStatus(pid: pid, tid: tid)?.tracerPid, tracer != 0, tracer != tracedBy {
        let tracerComm = ProcStat.read(tracer).map { DisplayText.escape($0.comm) } ?? "?"
        throw InjectionError("\(name) is already traced by \(tracer) (\(tracerComm)): detach it first")
      }
    }
    if stat.state == "T" || (stat.state == "t" && tracedBy == nil) {
      throw InjectionError("\(name) is stopped: continue it first (kill -CONT \(pid))")
    }
    // Threads share the fd table: any live thread will do, the main one first; a thread with its
    // own table must run the calls itself.
    guard let tid = threads.first(where: { t in
      guard table == pid || t == table, let s = ProcStat.read(pid, tid: t) else { return false }
      return !s.isZombie
    }) else { throw InjectionError("\(name) has no live thread") }
    var plan = Plan(pid: ProcessID(pid), comm: stat.comm, tid: ThreadID(tid), fds: [], mode: mode, expect: expect)
    if table != pid { plan.ownTableThread = ThreadID(table) }
    for fd in fds {
      guard let (target, identity) = Identity.snapshot(pid: table, fd: fd) else {
        throw InjectionError("fd \(fd) is not open in \(name)")
      }
      if let expect, target.path != expect {
        throw InjectionError("fd \(fd) of \(name) points to \(DisplayText.escape(target.path)), not "
          + "\(DisplayText.escape(expect)) (--expect): refusing")
      }
      plan.fds.append((fd, target, target.kind == .pipe ? PipeEnd.of(pid: table, fd: fd) : nil))
      plan.identities[fd] = identity
    }
    return plan
  }

  /// Seizes the process, holds every thread stopped, checks each fd again and acts on it.
  public static func perform(_ plan: Plan) throws(InjectionError) -> [(fd: Int32, outcome: Outcome)] {
    let session = try RemoteSyscallSession(pid: plan.pid, tid: plan.tid)
    defer { session.detach() }
    let others = try ThreadGroupHold(pid: plan.pid, except: plan.tid)
    defer { others.release() }
    return try perform(plan, in: session)
  }

  /// Acts through a session the caller holds (attached or adopted). Every thread of the process
  /// must be stopped (a tracer injecting into its own tracee stops them first): each fd is checked
  /// once more here, and one that changed since the plan is left alone.
  public static func perform(_ plan: Plan, in session: RemoteSyscallSession) throws(InjectionError)
    -> [(fd: Int32, outcome: Outcome)]
  {
    try performRecording(plan, in: session).results
  }

  /// The same, also returning the syscalls run, as records for a trace of the process (pid, tid,
  /// times left for the tracer to fill in): `openat("/dev/null")`, `dup2`/`dup3`, `close`.
  public static func performRecording(_ plan: Plan, in session: RemoteSyscallSession) throws(InjectionError)
    -> (results: [(fd: Int32, outcome: Outcome)], calls: [SyscallRecord])
  {
    if let own = plan.ownTableThread, session.tid != own.rawValue {
      throw InjectionError("thread \(plan.table) of \(plan.pid) has its own fd table: the calls must run in it, not in \(session.tid)")
    }
    let calls = Numbers(i386: session.isI386)
    var ran: [SyscallRecord] = []
    func record(_ call: SyscallID, _ args: [ArgValue], _ r: Int64, _ target: FdTarget? = nil) {
      let abi: SyscallArch = calls.i386 ? .i386 : .x86_64
      var rec = SyscallRecord(pid: plan.pid.rawValue, tid: session.tid, call: call, number: abi.table.number(of: call) ?? -1,
                              abi: abi, args: args, ret: r < 0 ? -1 : r,
                              errno: r < 0 ? Errno(Int32(truncatingIfNeeded: -r)) : nil, timestamp: 0)
      if r >= 0, let target { rec.retTarget = target }
      ran.append(rec)
    }
    let devNullTarget = FdTarget(link: "/dev/null")
    let devNullPath = Array("/dev/null".utf8)
    // The identity check of every fd, now that nothing in the process can move.
    var checked: [Int32: Outcome] = [:]
    var acting: [(fd: Int32, target: FdTarget, flags: Int)] = []
    for f in plan.fds {
      guard let (now, identity) = Identity.snapshot(pid: plan.table, fd: f.fd) else {
        checked[f.fd] = .wasNotOpen
        continue
      }
      if identity != plan.identities[f.fd] || now.path != f.target.path {
        checked[f.fd] = .changed(now.path)
        continue
      }
      // The same access mode as the fd it replaces (a write end stays write-only), close-on-exec kept.
      acting.append((f.fd, f.target, ProcFS.fdFlags(plan.table, fd: f.fd) ?? 2))
    }
    // The temporary /dev/null fd: the lowest free number, the one openat returns while every thread
    // is held (checked at the openat's exit; the later calls follow what it really returned).
    let open = Set(ProcFS.openFds(plan.table))
    let temporary = UInt64((0...).first { !open.contains(Int32($0)) }!)
    let perFd = plan.mode == .plainClose ? 1 : 3
    func chain(path: UInt64) -> [RemoteSyscallSession.Call] {
      acting.flatMap { a -> [RemoteSyscallSession.Call] in
        let fdArg = UInt64(UInt32(bitPattern: a.fd))
        if plan.mode == .plainClose { return [.init(calls.close, [fdArg])] }
        let openFlags = UInt64(a.flags & 3) | UInt64(O_NOCTTY) | UInt64(CT_O_CLOEXEC)  // the temporary never leaks
        let opening = calls.i386
          ? RemoteSyscallSession.Call(calls.open, [path, openFlags, 0])
          : RemoteSyscallSession.Call(calls.open, [UInt64(bitPattern: Int64(AT_FDCWD)), path, openFlags, 0])
        let dup = a.flags & Int(CT_O_CLOEXEC) != 0
          ? RemoteSyscallSession.Call(calls.dup3, [temporary, fdArg, UInt64(CT_O_CLOEXEC)])
          : RemoteSyscallSession.Call(calls.dup2, [temporary, fdArg])
        return [opening, dup, .init(calls.close, [temporary])]
      }
    }
    var finalCalls: [RemoteSyscallSession.Call] = []
    func adjust(_ k: Int, _ r: Int64, _ later: inout [RemoteSyscallSession.Call]) {
      defer { finalCalls = later }
      guard perFd == 3, k % 3 == 0 else { return }
      // The dup and the close take what openat returned; after a failed openat they close -1 (EBADF).
      let fd = r >= 0 ? UInt64(r) : UInt64.max
      later[k + 1].args[0] = fd
      later[k + 2].args[0] = fd
    }
    var results: [Int64]
    if let chained = try session.runChain(data: devNullPath + [0], calls: chain(path:), adjust: adjust) {
      results = chained
    } else {
      // A thread that cannot run a chain: one call at a time.
      var list = chain(path: try session.scratch(devNullPath + [0]))
      finalCalls = list
      results = []
      for k in list.indices {
        let r = try session.run(list[k].number, list[k].args)
        results.append(r)
        adjust(k, r, &list)
      }
    }
    for (i, a) in acting.enumerated() {
      let at = i * perFd
      if plan.mode == .plainClose {
        record(.close, [.fd(a.fd, a.target)], results[at])
        checked[a.fd] = outcome(results[at], success: .closed)
        continue
      }
      let access = a.flags & 3, cloexec = a.flags & Int(CT_O_CLOEXEC) != 0
      let flagNames = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][access] + "|O_NOCTTY|O_CLOEXEC"
      record(calls.i386 ? .open : .openat,
             (calls.i386 ? [] : [.symbol("AT_FDCWD")]) + [.string(devNullPath, truncated: false), .symbol(flagNames)],
             results[at], devNullTarget)
      let tmpFd = Int32(truncatingIfNeeded: Int64(bitPattern: finalCalls[at + 1].args[0]))
      record(cloexec ? .dup3 : .dup2,
             [.fd(tmpFd, devNullTarget), .fd(a.fd, a.target)] + (cloexec ? [.symbol("O_CLOEXEC")] : []), results[at + 1], devNullTarget)
      record(.close, [.fd(tmpFd, devNullTarget)], results[at + 2])
      checked[a.fd] = results[at] < 0
        ? .failed(Errno(Int32(truncatingIfNeeded: -results[at])))
        : outcome(results[at + 1], success: .replaced)
    }
    return (plan.fds.map { ($0.fd, checked[$0.fd]!) }, ran)
  }

  private static func outcome(_ r: Int64, success: Outcome) -> Outcome {
    if r >= 0 { return success }
    if r == -Int64(Errno.EBADF.rawValue) { return .wasNotOpen }
    return .failed(Errno(Int32(truncatingIfNeeded: -r)))
  }

  /// The syscall numbers of the target's convention.
  struct Numbers {
    var i386: Bool
    var close: Int64, open: Int64, dup2: Int64, dup3: Int64

    init(i386: Bool) {
      self.i386 = i386
      #if arch(arm64)
      (close, open, dup2, dup3) = (57, 56, -1, 24)
      #else
      // i386: open (path, flags, mode); x86_64: openat (dirfd, path, flags, mode).
      let table = i386 ? SyscallTable.i386 : SyscallTable.x86_64
      func nr(_ call: SyscallID) -> Int64 { Int64(table.number(of: call)!) }
      (close, open, dup2, dup3) = (nr(.close), nr(i386 ? .open : .openat), nr(.dup2), nr(.dup3))
      #endif
    }
  }

  /// Checks, then acts. Convenience for library callers (the tracer's --unstick-after, run, demo).
  public static func close(pid: Int32, fds: [Int32], expect: String? = nil, mode: Mode = .replaceWithNull)
    throws(InjectionError) -> [(fd: Int32, outcome: Outcome)]
  {
    try perform(plan(pid: pid, fds: fds, expect: expect, mode: mode))
  }
}
