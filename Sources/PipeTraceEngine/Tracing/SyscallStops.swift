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

/// Which syscalls a trace stops for, in every ABI: shown ones, and ones only the fd cache (or,
/// with stacks, the unwind cache) needs.
struct SyscallSets {
  var shown: SyscallSet
  var modelled: SyscallSet

  /// restart_syscall's number in each ABI (the continuation of an interrupted call).
  let restart: SyscallSet

  /// `selection` (`-e trace=`); nil: the pipe set.
  init(selection: SyscallSet?, modelFds: Bool, stackTraces: Bool) {
    var shown = selection ?? SyscallSelection.defaultSet
    restart = SyscallSet { $0.traits.contains(.continuesCall) }
    for arch in SyscallArch.allCases {
      let table = arch.table
      // Showing a call that restarts when interrupted shows its continuation.
      guard let restartNumber = table.numbers(where: { $0.traits.contains(.continuesCall) }).first else { continue }
      if table.allRows.contains(where: { $0.traits.contains(.restartable) && shown.contains(arch, $0.number) }) {
        shown.insert(arch, restartNumber)
      }
    }
    self.shown = shown
    modelled = SyscallSet { (modelFds && $0.keepsFdModel) || (stackTraces && $0.traits.contains(.mapsCode)) }
  }

  /// Every call is shown (`all`, or a negated selection): a filter would not save stops.
  var showAll: Bool { shown.everythingElse }

  /// No syscall is needed at all: only fork/exec/exit events (`pipetrace run`).
  var none: Bool { shown.isEmpty && modelled.isEmpty }

  /// What a seccomp filter must let through to the tracer.
  var traced: SyscallSet { shown.union(modelled) }
}

/// Syscall-entry and -exit stops turned into events: arguments decoded at entry (what is known
/// then) and exit (out-arguments, result) by `SyscallDecoder`, in the ABI the kernel reports for
/// the stop; `FdEffect`s applied to the fd target cache; unwind caches flushed when code is mapped.
/// Runs on the tracer thread; never waits.
final class SyscallStopHandler {
  let sets: SyscallSets
  let events: EventFanout
  let decoder: SyscallDecoder
  let unwinder: StackUnwinder?
  /// Launched with a seccomp filter: a call nobody needs never stops, and exits are only asked for.
  var useSeccomp = false

  init(sets: SyscallSets, events: EventFanout, decoding: DecodeOptions, unwinder: StackUnwinder?) {
    self.sets = sets
    self.events = events
    self.decoder = SyscallDecoder(options: decoding)
    self.unwinder = unwinder
  }

  /// A syscall-entry (or seccomp) stop, in the ABI `auditArch`. Afterwards `t.inSyscall` says
  /// whether its exit must be seen.
  func entry(_ t: Tracee, auditArch: UInt32, number: Int64, args: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) {
    t.inSyscall = true
    let (arch, nr) = SyscallArch.of(auditArch: auditArch, number: number)
    if arch != t.arch {
      // strace's `[ Process PID=N runs in 32 bit mode. ]`, at the first stop in the new ABI.
      t.arch = arch
      if !t.beforeExec { events.emit(.personality(pid: t.tgid, tid: t.tid, arch: arch, timestamp: Clock.wall())) }
    }
    var show = sets.shown.contains(arch, nr)
    let model = sets.modelled.contains(arch, nr)
    let isRestart = sets.restart.contains(arch, nr)
    // Any other call means the interrupted one will not be resumed.
    if !isRestart { t.interruptedCall = nil }
    guard show || model else {
      t.current = nil
      // Full mode must come back for the exit stop (to stay in step); seccomp mode need not.
      t.inSyscall = !useSeccomp
      return
    }
    var call = decoder.begin(auditArch: auditArch, number: number, args: [args.0, args.1, args.2, args.3, args.4, args.5])
    // Before its execve a launched child runs pipetrace's own setup code.
    if t.beforeExec && !call.row.isExec { show = false }
    var record = SyscallRecord(pid: t.tgid, tid: t.tid, row: call.row, abi: call.arch, args: [], timestamp: Clock.wall())
    let memory = TraceeMemory(tid: t.tid)
    if isRestart {
      let resumed = t.interruptedCall
      t.interruptedCall = nil
      record.args = [.raw("<... resuming interrupted \(resumed?.name ?? "call") ...>")]
      if let resumed {
        record.resumes = ResumedCall(
          call: resumed.call, name: resumed.name, args: resumed.args, started: resumed.timestamp > 0 ? resumed.timestamp : nil)
      }
    } else if show {
      decoder.decodeEntry(&call, into: &record, memory: memory, fds: t.fds)
    }
    switch call.row.cloneFlagsArgument {
    case .register(let i)?: t.lastCloneFlags = call.raw[i]
    case .cloneArgsPointer(let i)?: t.lastCloneFlags = memory.word(at: call.raw[i])
    case nil: break
    }
    if show, let unwinder { record.stack = unwinder.capture(tid: t.tid, tgid: t.tgid) }
    if show && call.row.returns == .none {
      // exit/exit_group never return: the line is complete now (`exit_group(0) = ?`).
      events.emit(.syscall(record))
      show = false
    } else if show && events.wantsEntries {
      events.emit(.syscallEntry(record))
    }
    t.current = PendingCall(call: call, record: record, monoStart: Clock.monotonic(), shown: show)
    if call.row.isExec { t.current?.execPath = execPath(call, record, memory) }
  }

  /// The path an exec call names: from its decoded arguments when it is shown, read otherwise.
  private func execPath(_ call: SyscallDecoder.Call, _ record: SyscallRecord, _ memory: TraceeMemory) -> [UInt8]? {
    guard let i = call.row.args?.firstIndex(where: { if case .path = $0 { return true } else { return false } })
    else { return nil }
    if i < record.args.count, case .string(let p, _) = record.args[i] { return p }
    return memory.cString(at: call.raw[i], limit: ArgumentDecoder.pathMax)?.bytes
  }

  /// A syscall-exit stop.
  func exit(_ t: Tracee, rval: Int64, isError: Bool) {
    let monoEnd = Clock.monotonic()
    t.inSyscall = false
    guard let c = t.current else { return }
    t.current = nil
    if c.shown {
      var r = c.record
      // Also brings the fd cache up to date (before the result's own fd target is read).
      decoder.decodeExit(c.call, into: &r, rval: rval, isError: isError, memory: TraceeMemory(tid: t.tid), fds: t.fds)
      r.duration = monoEnd - c.monoStart
      events.emit(.syscall(r))
    } else {
      decoder.applyFdEffect(c.call, rval: rval, isError: isError, fds: t.fds)
    }
    if rval == SyscallStopHandler.restartBlock && !c.call.row.traits.contains(.continuesCall) {
      // The kernel will continue it as restart_syscall.
      t.interruptedCall = c.record
    }
    // Cached unwind info stays right only while the code mappings stay the same.
    if !(isError && rval < 0), c.call.mayChangeCode { unwinder?.codeChanged(tgid: t.tgid) }
  }

  /// -ERESTART_RESTARTBLOCK: the call will be continued by restart_syscall.
  static let restartBlock = -Int64(CT_ERESTART_RESTARTBLOCK)

  /// The call a thread was in when it was attached (from /proc/TID/syscall at its first stop), so a
  /// restart_syscall that follows can say what it resumes. /proc gives the number in the thread's
  /// own ABI without naming it: the thread's last known ABI is assumed.
  func callInProgress(_ t: Tracee) {
    guard case .inSyscall(let nr, let raw, _, _)? = SyscallState.read(t.tgid, tid: t.tid) else { return }
    var call = decoder.begin(arch: t.arch, number: nr, args: raw)
    guard !call.row.traits.contains(.continuesCall) else { return }
    var record = SyscallRecord(pid: t.tgid, tid: t.tid, row: call.row, abi: call.arch, args: [], timestamp: 0)
    decoder.decodeEntry(&call, into: &record, memory: TraceeMemory(tid: t.tid), fds: t.fds)
    t.interruptedCall = record
  }
}
