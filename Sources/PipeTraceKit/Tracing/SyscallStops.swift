import CTrace

/// The sinks of one trace, and whether any of them wants syscall-entry events.
final class EventFanout {
  private(set) var sinks: [EventSink]
  private(set) var wantsEntries: Bool

  init(_ sinks: [EventSink]) {
    self.sinks = sinks
    wantsEntries = sinks.contains { $0.wantsEntries }
  }

  func add(_ sink: EventSink) {
    sinks.append(sink)
    wantsEntries = wantsEntries || sink.wantsEntries
  }

  @inline(__always) func emit(_ e: Event) {
    for s in sinks { s.handle(e) }
  }

  func finish() {
    for s in sinks { s.finish() }
  }
}

/// Which syscalls a trace stops for, by number: shown ones, and ones only the fd cache (or, with
/// stacks, the unwind cache) needs.
struct SyscallSets {
  var shown: [Bool]
  var modelled: [Bool]
  var showAll: Bool

  /// Calls that restart as restart_syscall when interrupted: showing one shows its continuation.
  static let restartable = ["poll", "nanosleep", "clock_nanosleep", "futex"]

  init(table: SyscallTable, names: [String]?, modelFds: Bool, stackTraces: Bool) throws(TraceError) {
    let count = table.count
    shown = [Bool](repeating: false, count: count)
    modelled = [Bool](repeating: false, count: count)
    let names = names ?? SyscallTable.pipeSet
    showAll = names.contains("all")
    for name in names where name != "all" {
      guard let nr = table.number(of: name) else { throw .unknownSyscall(name) }
      shown[nr] = true
    }
    if showAll { shown = [Bool](repeating: true, count: count) }
    if let restart = table.number(of: "restart_syscall"),
      Self.restartable.contains(where: { table.number(of: $0).map { shown[$0] } ?? false })
    {
      shown[restart] = true
    }
    let model = modelFds ? SyscallTable.modelSet : []
    for name in model + (stackTraces ? SyscallTable.codeMappingSet : []) {
      if let nr = table.number(of: name) { modelled[nr] = true }
    }
  }

  /// No syscall is needed at all: only fork/exec/exit events (`pipetrace run`).
  var none: Bool { !showAll && !shown.contains(true) && !modelled.contains(true) }

  /// The numbers a seccomp filter must let through to the tracer.
  var traced: [Int] { (0..<shown.count).filter { shown[$0] || modelled[$0] } }
}

/// Syscall-entry and -exit stops turned into events: arguments decoded at entry (what is known
/// then) and exit (out-arguments, result), `FdEffect`s applied to the fd target cache, unwind
/// caches flushed when code is mapped. Runs on the tracer thread; never waits.
final class SyscallStopHandler {
  let table = SyscallTable.x86_64
  let sets: SyscallSets
  let events: EventFanout
  let stringLimit: Int
  let unwinder: StackUnwinder?
  /// Launched with a seccomp filter: a call nobody needs never stops, and exits are only asked for.
  var useSeccomp = false
  private let restartNumber: Int
  private let execNumbers: Set<Int>
  /// By number: the call may change the fd table (an `FdEffect` is derived at its exit).
  private let changesFds: [Bool]

  init(sets: SyscallSets, events: EventFanout, stringLimit: Int, unwinder: StackUnwinder?) {
    self.sets = sets
    self.events = events
    self.stringLimit = stringLimit
    self.unwinder = unwinder
    let table = SyscallTable.x86_64
    restartNumber = table.number(of: "restart_syscall") ?? -1
    execNumbers = Set(["execve", "execveat"].compactMap { table.number(of: $0) })
    changesFds = (0..<table.count).map { FdEffect.possible(for: table.name(of: $0)) }
  }

  /// A syscall-entry (or seccomp) stop. Afterwards `t.inSyscall` says whether its exit must be seen.
  func entry(_ t: Tracee, nr: Int, args: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) {
    t.inSyscall = true
    let inRange = nr >= 0 && nr < sets.shown.count
    var show = inRange && sets.shown[nr]
    let model = inRange && sets.modelled[nr]
    // Before its execve a launched child runs pipetrace's own setup code.
    if t.beforeExec && !execNumbers.contains(nr) { show = false }
    // Any other call means the interrupted one will not be resumed.
    if nr != restartNumber { t.interruptedCall = nil }
    guard show || model else {
      t.current = nil
      // Full mode must come back for the exit stop (to stay in step); seccomp mode need not.
      t.inSyscall = !useSeccomp
      return
    }
    let raw = [args.0, args.1, args.2, args.3, args.4, args.5]
    let spec = table.spec(of: nr)
    var record = SyscallRecord(pid: t.tgid, tid: t.tid, name: spec.name, number: nr, args: [], timestamp: Clock.wall())
    let memory = TraceeMemory(tid: t.tid)
    if nr == restartNumber {
      let resumed = t.interruptedCall
      t.interruptedCall = nil
      record.args = [.raw("<... resuming interrupted \(resumed?.name ?? "call") ...>")]
      if let resumed {
        record.resumes = ResumedCall(
          name: resumed.name, args: resumed.args, started: resumed.timestamp > 0 ? resumed.timestamp : nil)
      }
    } else if show {
      record.args = ArgumentDecoder(memory: memory, fds: t.fds, stringLimit: stringLimit).decodeEntry(spec, raw)
    } else {
      record.args = SyscallStopHandler.bareArgs(spec, raw)
    }
    switch spec.name {
    case "clone": t.lastCloneFlags = raw[0]
    case "clone3": t.lastCloneFlags = memory.word(at: raw[0])
    default: break
    }
    record.moreArgsAtExit = spec.entryArgCount < spec.args.count
    if show, let unwinder { record.stack = unwinder.capture(tid: t.tid, tgid: t.tgid) }
    if show && spec.returns == .none {
      // exit/exit_group never return: the line is complete now (`exit_group(0) = ?`).
      events.emit(.syscall(record))
      show = false
    } else if show && events.wantsEntries {
      events.emit(.syscallEntry(record))
    }
    t.current = PendingCall(number: nr, raw: raw, spec: spec, record: record, monoStart: Clock.monotonic(), shown: show)
  }

  /// A syscall-exit stop.
  func exit(_ t: Tracee, rval: Int64, isError: Bool) {
    let monoEnd = Clock.monotonic()
    t.inSyscall = false
    guard let c = t.current else { return }
    t.current = nil
    let failed = isError && rval < 0
    var r = c.record
    if failed {
      r.ret = -1
      r.errno = Errno(Int32(truncatingIfNeeded: -rval))
    } else {
      r.ret = rval
    }
    let decoder = ArgumentDecoder(memory: TraceeMemory(tid: t.tid), fds: t.fds, stringLimit: stringLimit)
    if c.number == restartNumber {
      // Its only argument is the note of what it resumes.
    } else if c.shown {
      decoder.decodeExit(c.spec, c.raw, ret: rval, failed: failed, args: &r.args)
    } else if r.args.count < c.spec.args.count {
      r.args += SyscallStopHandler.bareArgs(c.spec, c.raw)[r.args.count...]
    }
    // The fd cache first, so a returned fd (dup2's new one) shows its new target.
    if c.number < changesFds.count && changesFds[c.number] {
      for effect in FdEffect.of(r) { t.fds.apply(effect) }
    }
    if rval == SyscallStopHandler.restartBlock && c.number != restartNumber {
      // The kernel will continue it as restart_syscall.
      t.interruptedCall = c.record
    }
    if !failed, let unwinder { updateCodeMappings(unwinder, t, c) }
    guard c.shown else { return }
    if !failed {
      r.retDetail = decoder.returnDetail(c.spec.name, c.raw, ret: rval)
      if returnsFd(c) { r.retTarget = t.fds.target(of: Int32(truncatingIfNeeded: rval), tid: t.tid) }
      r.retIsHex = c.spec.returns == .hex
    }
    r.duration = monoEnd - c.monoStart
    events.emit(.syscall(r))
  }

  /// -ERESTART_RESTARTBLOCK: the call will be continued by restart_syscall.
  static let restartBlock = -Int64(CT_ERESTART_RESTARTBLOCK)

  /// The call a thread was in when it was attached (from /proc/TID/syscall at its first stop), so a
  /// restart_syscall that follows can say what it resumes.
  func callInProgress(_ t: Tracee) {
    guard let text = ProcFS.read("/proc/\(t.tgid)/task/\(t.tid)/syscall") else { return }
    let fields = text.split(separator: " ")
    guard fields.count >= 7, let nr = Int(fields[0]), nr >= 0, nr != restartNumber else { return }
    let raw = fields[1...6].map { UInt64($0.dropFirst(2), radix: 16) ?? 0 }
    let spec = table.spec(of: nr)
    let args = ArgumentDecoder(memory: TraceeMemory(tid: t.tid), fds: t.fds, stringLimit: stringLimit)
      .decodeEntry(spec, raw)
    var record = SyscallRecord(pid: t.tgid, tid: t.tid, name: spec.name, number: nr, args: args, timestamp: 0)
    record.moreArgsAtExit = spec.entryArgCount < spec.args.count
    t.interruptedCall = record
  }

  /// Arguments a hidden call needs for its `FdEffect`: numbers only, nothing read from the tracee.
  static func bareArgs(_ spec: SyscallSpec, _ raw: [UInt64]) -> [ArgValue] {
    spec.args.indices.map { i in
      switch spec.args[i] {
      case .fd: return .fd(Int32(truncatingIfNeeded: raw[i]), nil)
      case .int: return .int(Int64(Int32(truncatingIfNeeded: raw[i])))
      default: return .uint(raw[i])
      }
    }
  }

  private func returnsFd(_ c: PendingCall) -> Bool {
    if c.spec.returns == .fd { return true }
    if c.spec.name == "fcntl" { return c.raw[1] == UInt64(CT_F_DUPFD) || c.raw[1] == UInt64(CT_F_DUPFD_CLOEXEC) }
    return false
  }

  /// Cached unwind info stays right only while the code mappings stay the same.
  private func updateCodeMappings(_ unwinder: StackUnwinder, _ t: Tracee, _ c: PendingCall) {
    let protExec = UInt64(CT_PROT_EXEC)
    switch c.spec.name {
    case "mmap", "mprotect": if c.raw[2] & protExec != 0 { unwinder.codeChanged(tgid: t.tgid) }
    case "munmap", "mremap": unwinder.codeChanged(tgid: t.tgid)
    default: break
    }
  }
}
