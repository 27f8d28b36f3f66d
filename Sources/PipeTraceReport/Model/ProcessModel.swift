/// A process as the trace showed it, for the process tree.
public struct ProcessRecord: Sendable {
  public var pid: Int32
  public var parent: Int32?
  public var forkKind: ForkKind?
  /// The last program it exec'd (nil: never exec'd in the trace).
  public var program: String?
  public var argv: [String] = []
  public var start: Double
  public var end: Double?
  public var exitCode: Int32?
  public var signal: Int32?
  public var coreDumped = false
}

/// A pipe end held at an fd.
struct HeldPipeEnd {
  let pipe: PipeRecord
  var end: PipeEnd
  var cloexec: Bool
}

/// One fd table; threads of a process share it. Only pipe ends are tracked: other fds need no model.
final class PipeEndTable {
  var entries: [Int32: HeldPipeEnd] = [:]
}

/// Processes and their fd tables, built from the event stream: fork copies the table, threads share
/// it, dup/dup2/dup3/fcntl(F_DUPFD) copy an entry, close/close_range remove, execve drops CLOEXEC
/// entries, exit drops all. Pipe identity comes from pipe()/pipe2() results and `-y` inodes.
public final class ProcessModel {
  public let pipes: PipeGraph
  public private(set) var processes: [Int32: ProcessRecord] = [:]
  /// Pids in the order they appeared.
  public private(set) var order: [Int32] = []
  private var tables: [Int32: PipeEndTable] = [:]
  /// Told of every release of the last write end and every write on a pipe (`isWrite`), as they
  /// are seen.
  /// A tracer reports a call at its exit, so a close that began before a read returned can reach
  /// the stream after that read: the report uses this to look back.
  var pipeActivity: ((PipeRecord, EventRef, _ isWrite: Bool) -> Void)?

  public init(pipes: PipeGraph = PipeGraph()) {
    self.pipes = pipes
  }

  /// The pipe end at `fd` of `pid`, if the model knows it is one.
  func pipeFd(pid: Int32, fd: Int32) -> HeldPipeEnd? { existingTable(pid)?.entries[fd] }

  /// The last table looked up: most events come in runs from one process.
  private var cachedPid: Int32 = -1
  private var cachedTable: PipeEndTable?

  private func existingTable(_ pid: Int32) -> PipeEndTable? {
    if pid == cachedPid { return cachedTable }
    let t = tables[pid]
    cachedPid = pid
    cachedTable = t
    return t
  }

  public func handle(_ event: Event) {
    switch event {
    case .syscallEntry:
      break
    case .syscall(let r):
      handle(syscall: r)
    case .fork(let pid, _, let child, let kind, let ts):
      meet(pid, ts: ts)
      if kind == .thread {
        return  // a thread shares its process's table and record
      }
      let parentTable = table(pid)
      let childTable = PipeEndTable()
      for (fd, entry) in parentTable.entries.sorted(by: { $0.key < $1.key }) {  // notes in fd order
        childTable.entries[fd] = entry
        entry.pipe.addHolder(entry.end)
        entry.pipe.note(ts, child, "inherited by \(child) as fd \(fd) (\(entry.end.rawValue) end) via \(kind.rawValue) from \(pid)")
      }
      if let old = tables[child], old !== childTable {
        releaseAll(child, how: "pid reused", ts: ts)
      }
      tables[child] = childTable
      cachedPid = -1
      if processes[child] == nil { order.append(child) }
      processes[child] = ProcessRecord(pid: child, parent: pid, forkKind: kind, start: ts)
    case .exec(let pid, _, let path, let argv, let ts):
      meet(pid, ts: ts)
      processes[pid]?.program = path
      processes[pid]?.argv = argv
      let t = table(pid)
      for (fd, entry) in t.entries.sorted(by: { $0.key < $1.key }) {
        if entry.cloexec {
          t.entries[fd] = nil
          release(pid, fd: fd, entry: entry, how: "closed on exec", ts: ts)
        } else {
          entry.pipe.note(ts, pid, "carried by \(pid) through execve into \(path) as fd \(fd) (\(entry.end.rawValue) end)")
          entry.pipe.carries.append(PipeCarry(pid: pid, program: path, fd: fd, end: entry.end, ts: ts))
        }
      }
    case .exit(let pid, let tid, let code, let signal, let core, let ts):
      meet(pid, ts: ts)
      guard tid == pid else { return }
      processes[pid]?.end = ts
      processes[pid]?.exitCode = code
      processes[pid]?.signal = signal
      processes[pid]?.coreDumped = core
      releaseAll(pid, how: signal.map { "killed by \(Signals.name($0))" } ?? "exit", ts: ts)
      tables[pid] = nil
      cachedPid = -1
    case .signal(let s):
      meet(s.pid, ts: s.timestamp)
    case .detached(let pid, _, let ts), .note(let pid, _, let ts), .personality(let pid, _, _, let ts):
      meet(pid, ts: ts)
    }
  }

  /// A finished syscall (the same as `handle(.syscall(r))`).
  public func handle(syscall r: SyscallRecord) {
    meet(r.pid, ts: r.timestamp)
    handleSyscall(r)
  }

  private var lastMet: Int32 = -1

  private func meet(_ pid: Int32, ts: Double) {
    if pid == lastMet { return }
    lastMet = pid
    if processes.index(forKey: pid) == nil {
      processes[pid] = ProcessRecord(pid: pid, start: ts)
      order.append(pid)
    }
  }

  private func table(_ pid: Int32) -> PipeEndTable {
    if let t = existingTable(pid) { return t }
    let t = PipeEndTable()
    tables[pid] = t
    cachedPid = -1
    return t
  }

  private func releaseAll(_ pid: Int32, how: String, ts: Double) {
    guard let t = tables[pid] else { return }
    for (fd, entry) in t.entries.sorted(by: { $0.key < $1.key }) {
      release(pid, fd: fd, entry: entry, how: how, ts: ts)
    }
    t.entries.removeAll()
  }

  /// An fd no longer holds its pipe end.
  private func release(_ pid: Int32, fd: Int32, entry: HeldPipeEnd, how: String, ts: Double) {
    let p = entry.pipe
    p.removeHolder(entry.end)
    p.note(ts, pid, "fd \(fd) (\(entry.end.rawValue) end) of \(pid): \(how)")
    for k in p.carries.indices where p.carries[k].pid == pid && p.carries[k].fd == fd && p.carries[k].releasedAt == nil {
      p.carries[k].releasedAt = ts
    }
    if entry.end != .read {
      let what = how == "exit" || how.hasPrefix("killed") || how == "closed on exec" ? how : "\(how)(\(fd))"
      let ref = EventRef(pid: pid, event: what, ts: ts)
      p.lastWriteEndRelease = ref
      if p.writeHolders == 0 {
        p.lastWriterGone = ref
        if p.watched { pipeActivity?(p, ref, false) }
      }
    }
    if p.holderCount == 0 {
      p.closedAt = ts
      pipes.retire(p)
    }
  }

  private func install(_ pid: Int32, fd: Int32, entry: HeldPipeEnd, ts: Double) {
    let t = table(pid)
    if let old = t.entries[fd] { release(pid, fd: fd, entry: old, how: "closed unseen", ts: ts) }
    t.entries[fd] = entry
    entry.pipe.addHolder(entry.end)
  }

  // MARK: syscalls

  private func handleSyscall(_ r: SyscallRecord) {
    let pid = r.pid
    // `-y` annotations tell which pipe an fd holds, even for fds opened before the trace.
    // The call's traits classify it; most (mmap, openat, …) need only the annotation sync.
    let role = Self.role(r.traits)
    var firstHint = PipeEnd.unknown
    if case .io(let h)? = role { firstHint = h }
    for (i, a) in r.args.enumerated() {
      if case .fd(let fd, let target?) = a { observe(pid, fd: fd, target: target, hint: i == 0 ? firstHint : .unknown, ts: r.timestamp) }
    }
    guard let role else { return }
    switch role {
    case .changesFds:
      for effect in FdEffect.of(r) { apply(effect, pid: pid, r) }
    case .io(let hint):
      guard let fd = r.args.first.flatMap(FdEffect.fdNumber), let entry = pipeFd(pid: pid, fd: fd) else { return }
      let p = entry.pipe
      if entry.end == .unknown { tables[pid]?.entries[fd]?.end = hint; p.removeHolder(.unknown); p.addHolder(hint) }
      for k in p.carries.indices where p.carries[k].pid == pid && p.carries[k].releasedAt == nil {
        p.carries[k].used = true
      }
      if hint == .write, let n = r.ret, n > 0 {
        p.lastWriteCall = LastWrite(pid: pid, name: r.name, fd: fd, ts: r.timestamp)
        if p.watched { pipeActivity?(p, p.lastWrite!, true) }
      }
    }
  }

  /// One fd-table change, as the pipe-end tables see it (only pipe ends are recorded).
  private func apply(_ effect: FdEffect, pid: Int32, _ r: SyscallRecord) {
    switch effect {
    case .pipe(let rfd, let wfd, let cloexec):
      var inode: UInt64?
      if case .array(let fds, _)? = r.args.first, case .fd(_, let t?) = fds.first, t.kind == .pipe { inode = t.inode }
      let p = pipes.create(inode: inode, created: EventRef(pid: pid, event: r.name, ts: r.timestamp))
      p.note(r.timestamp, pid, "created by \(pid) with \(r.name): fd \(rfd) read end, fd \(wfd) write end\(cloexec ? " (O_CLOEXEC)" : "")")
      install(pid, fd: rfd, entry: HeldPipeEnd(pipe: p, end: .read, cloexec: cloexec), ts: r.timestamp)
      install(pid, fd: wfd, entry: HeldPipeEnd(pipe: p, end: .write, cloexec: cloexec), ts: r.timestamp)
    case .duplicate(let old, let new, let cloexec):
      guard old != new else { return }
      var how = r.name
      if case .fcntl? = r.call.spec.fdRule { how = "fcntl(\(cloexec ? "F_DUPFD_CLOEXEC" : "F_DUPFD"))" }
      duplicate(pid, old: old, new: new, cloexec: cloexec, how: how, ts: r.timestamp)
    case .setCloseOnExec(let fd, let on):
      guard var entry = pipeFd(pid: pid, fd: fd) else { return }
      entry.cloexec = on
      tables[pid]?.entries[fd] = entry
    case .close(let fd):
      guard let entry = tables[pid]?.entries[fd] else { return }
      tables[pid]?.entries[fd] = nil
      release(pid, fd: fd, entry: entry, how: r.name, ts: r.timestamp)
    case .closeRange(let first, let last), .markCloseOnExec(let first, let last):
      guard let t = tables[pid] else { return }
      let onlyMark = effect == .markCloseOnExec(first: first, last: last)
      for (fd, entry) in t.entries.sorted(by: { $0.key < $1.key }) where Int64(fd) >= first && Int64(fd) <= last {
        if onlyMark {
          t.entries[fd]?.cloexec = true
        } else {
          t.entries[fd] = nil
          release(pid, fd: fd, entry: entry, how: r.name, ts: r.timestamp)
        }
      }
    case .opened:
      break
    }
  }

  private func duplicate(_ pid: Int32, old: Int32, new: Int32, cloexec: Bool, how: String, ts: Double) {
    let t = table(pid)
    if let replaced = t.entries[new] {
      t.entries[new] = nil
      release(pid, fd: new, entry: replaced, how: "replaced by \(how)", ts: ts)
    }
    guard var entry = t.entries[old] else { return }
    entry.cloexec = cloexec
    t.entries[new] = entry
    entry.pipe.addHolder(entry.end)
    entry.pipe.note(ts, pid, "\(how) by \(pid): fd \(old) -> fd \(new) (\(entry.end.rawValue) end)\(cloexec ? " O_CLOEXEC" : "")")
  }

  /// Syncs the table with an `-y` annotation.
  private func observe(_ pid: Int32, fd: Int32, target: FdTarget, hint: PipeEnd, ts: Double) {
    let t = table(pid)
    let current = t.entries[fd]
    guard target.kind == .pipe, let inode = target.inode else {
      if let current {  // the fd now holds something else: it was closed where the trace could not see
        t.entries[fd] = nil
        release(pid, fd: fd, entry: current, how: "closed unseen", ts: ts)
      }
      return
    }
    if let current, current.pipe.inode == inode {
      if current.end == .unknown && hint != .unknown {
        t.entries[fd]?.end = hint
        current.pipe.removeHolder(.unknown)
        current.pipe.addHolder(hint)
      }
      return
    }
    if let current {
      t.entries[fd] = nil
      release(pid, fd: fd, entry: current, how: "closed unseen", ts: ts)
    }
    let p = pipes.pipe(inode: inode)
    p.note(ts, pid, "first seen at fd \(fd) of \(pid) (opened before the trace or unseen)")
    t.entries[fd] = HeldPipeEnd(pipe: p, end: hint, cloexec: false)
    p.addHolder(hint)
  }

  /// How a call matters to the pipe model: it changes the fd table (its `FdEffect`s apply), or it
  /// reads or writes an fd (which tells a pipe end's direction and who used it).
  enum Role: Sendable {
    case changesFds, io(PipeEnd)
  }

  /// Data calls on the fd in their first argument, then calls with an FdEffect.
  @inline(__always)
  static func role(_ traits: SyscallTraits) -> Role? {
    if traits.contains(.writesFd) { return .io(.write) }
    if traits.contains(.readsFd) { return .io(.read) }
    if traits.contains(.hasFdEffect) { return .changesFds }
    return nil
  }

  static func endHint(_ name: String) -> PipeEnd { endHint(SyscallTable.traits(named: name)) }

  static func endHint(_ traits: SyscallTraits) -> PipeEnd {
    if traits.contains(.readsFd) { return .read }
    if traits.contains(.writesFd) { return .write }
    return .unknown
  }
}
