/// Consumes the event stream (live or from a saved trace) and builds the post-mortem `Report`.
/// A live trace adds it as one more `EventSink`, passes every event to `handle(_:)`, and at the end
/// calls `render(.text)` (or `makeReport()` and a renderer). Saved traces: `consume(TraceInput.open(…))`.
/// It finds:
/// per-syscall timing, the process tree, blocking calls with what released them, pipe provenance
/// and the leaked-pipe-end pattern. Memory follows live state (fd tables, open calls), plus the
/// kept findings, never the number of events.
public final class ReportBuilder: EventSink {
  public struct Options: Sendable {
    /// Calls at least this long (seconds) are listed as blocking.
    public var minBlock: Double
    /// At most this many blocking calls are kept (the longest).
    public var blockingLimit: Int
    /// Keep every syscall as a `Report.CallSlice` (up to `callLimit`): what the Chrome trace shows.
    public var keepCalls: Bool
    public var callLimit: Int
    public init(
      minBlock: Double = 0.1, blockingLimit: Int = 10_000, keepCalls: Bool = false, callLimit: Int = 2_000_000
    ) {
      self.minBlock = minBlock
      self.blockingLimit = blockingLimit
      self.keepCalls = keepCalls
      self.callLimit = callLimit
    }
  }

  /// A blocking call and, until the report is made, the pipe it waited on.
  private struct Blocked {
    var call: Report.BlockingCall
    var pipe: PipeRecord?
    /// Every pipe a poll or select watched (the ready one is `pipe`), for the leaked-ends search.
    var polled: [(fd: Int32, pipe: PipeRecord)] = []
    /// wait4 on a child whose exit was not in the stream yet.
    var waitedChild: Int32?
    /// 0: waits on a pipe, socket or child (what hangs are made of); 1: anything else; 2: futex
    /// waits and sleeps, which a threaded daemon has by the dozen.
    var rank = 1
  }

  public let options: Options
  public let model: ProcessModel
  public var badLines = BadLines()
  /// Timestamp precision: events this close to a return may have started before it (`strace -t`).
  public var timeResolution = 0.000001
  /// false when the trace had no clock times (strace without -t/-tt/-ttt/-r).
  public var hasTimestamps = true
  /// Per-syscall timing, overall and per process: one struct, so the per-event update is one access.
  private var stats = CallStatistics()
  private var blocked: [Blocked] = []
  private var blockingOmitted = 0
  /// Interrupted calls waiting for the signal that interrupted them, by tid.
  private var awaitingSignal: [Int32: Int] = [:]
  /// Per tid, a poll or sleep that returned ERESTART_RESTARTBLOCK: the kernel continues it as
  /// restart_syscall, which is the same call (strace: `restart_syscall(<... resuming interrupted poll ...>)`).
  private var interrupted: [Int32: SyscallRecord] = [:]
  /// Calls that never returned (at most one per task): their length is known when the trace ends.
  private var neverReturned: [SyscallRecord] = []
  private var eventCount = 0
  private var traceStart: Double?
  private var traceEnd: Double?
  private var finished = false
  private var leaks: [Report.Leak] = []
  private var calls: [Report.CallSlice] = []
  private var callsOmitted = 0
  private var tracerNotes: [Report.TracerNote] = []
  /// At most this many of the tracer's notes are kept (a trace of a long hang repeats few).
  static let noteLimit = 200

  /// Pipe reads and polls whose releaser may still arrive (see `ProcessModel.pipeActivity`).
  private struct LateWaiter {
    var index: Int
    var startTs: Double
    var returnTs: Double
    /// What can have released it: a write (data), the last write end let go (EOF), or either (a
    /// poll without its revents).
    var kind: Kind
    /// A poll's fd on this pipe (the release reads `fd N ready: …`).
    var polledFd: Int32?
    enum Kind { case data, eof, either }

    func accepts(isWrite: Bool) -> Bool {
      switch kind {
      case .data: return isWrite
      case .eof: return !isWrite
      case .either: return true
      }
    }
  }
  private var lateWaiters: [ObjectIdentifier: [LateWaiter]] = [:]

  public init(options: Options = Options(), model: ProcessModel = ProcessModel()) {
    self.options = options
    self.model = model
    model.pipeActivity = { [unowned self] pipe, ref, isWrite in self.lateActivity(pipe, ref, isWrite: isWrite) }
  }

  /// A close/exit/write that started before a blocked read returned but was reported after it.
  private func lateActivity(_ pipe: PipeRecord, _ ref: EventRef, isWrite: Bool) {
    let key = ObjectIdentifier(pipe)
    guard var waiters = lateWaiters[key] else { return }
    for w in waiters where w.accepts(isWrite: isWrite) {
      // A writer's exit closes its fds in the kernel before the tracer sees the exit: reported late,
      // up to a second after the return, it still released a poll that only knew "fd N ready".
      let current = blocked[w.index].call.releasedBy
      let onlyReady = current.map { $0.pid == blocked[w.index].call.pid && !$0.event.contains(":") } ?? true
      let slack = !isWrite && w.polledFd != nil && onlyReady ? 1.0 : 0
      guard within(ref, from: w.startTs, to: w.returnTs + slack) != nil else { continue }
      // On a tie (second-resolution -t logs) the later report wins: it finished closer to the return.
      if let current, !onlyReady, current.ts > ref.ts { continue }
      if let fd = w.polledFd {
        blocked[w.index].call.fd = fd
        blocked[w.index].call.target = pipe.label
        blocked[w.index].call.releasedBy = EventRef(pid: ref.pid, event: "fd \(fd) ready: \(ref.event)", ts: ref.ts)
      } else {
        blocked[w.index].call.releasedBy = ref
      }
    }
    // After a few seconds nothing reported can have started before these reads returned.
    waiters.removeAll { $0.returnTs < ref.ts - 5 }
    lateWaiters[key] = waiters.isEmpty ? nil : waiters
  }

  public func handle(_ event: Event) {
    eventCount += 1
    let ts = event.timestamp
    if ts > 0 {
      if traceStart == nil || ts < traceStart! { traceStart = ts }
      if traceEnd == nil || ts > traceEnd! { traceEnd = ts }
    }
    switch event {
    case .syscall(let r):
      // The hot path: one unpacking of the record for both the statistics and the model.
      record(r)
      model.handle(syscall: r)
      return
    case .note(let pid, let text, let ts):
      if text.hasPrefix("pipetrace: ") && tracerNotes.count < Self.noteLimit {
        tracerNotes.append(Report.TracerNote(pid: pid, ts: ts, text: text))
      }
    case .signal(let s):
      if let index = awaitingSignal.removeValue(forKey: s.tid) {
        let who = s.senderPid > 0 ? s.senderPid : blocked[index].call.pid
        blocked[index].call.releasedBy = EventRef(pid: who, event: Signals.name(s.signo), ts: s.timestamp)
      }
    default:
      break
    }
    model.handle(event)
  }

  private func record(_ original: SyscallRecord) {
    if options.keepCalls { keepCall(original) }
    let (r, restarted) = continuing(original)
    let failed = r.errno != nil
    if r.duration != nil || r.ret != nil {
      let d = r.duration ?? 0
      let end = r.timestamp + d
      if traceEnd == nil || end > traceEnd! { traceEnd = end }
      stats.add(call: r.call, name: r.name, pid: r.pid, duration: d, failed: failed)
    }
    if r.ret == nil && r.duration == nil {
      // Never returned. exit/execve calls do not return by design; the rest blocked until the end.
      if r.traits.isDisjoint(with: [.neverReturns, .execs]) {
        neverReturned.append(r)
      }
      return
    }
    guard let d = r.duration, d >= options.minBlock else { return }
    // Listed with its restart_syscall, as one call (or at the end if it never went on).
    if interrupted[r.tid]?.timestamp == r.timestamp && r.errno == .ERESTART_RESTARTBLOCK { return }
    addBlocked(r, dur: d, returned: true, restarted: restarted)
  }

  /// One call as a slice; a call that never returned gets its length when the trace ends.
  private func keepCall(_ r: SyscallRecord) {
    guard calls.count < options.callLimit else { callsOmitted += 1; return }
    let returned = r.ret != nil || r.duration != nil
    var fd: Int32?
    let traits = r.traits
    if traits.contains(.readsFd) || traits.contains(.writesFd), let first = r.args.first { fd = FdEffect.fdNumber(first) }
    calls.append(Report.CallSlice(pid: r.pid, tid: r.tid, name: r.name, fd: fd, ts: r.timestamp,
                                  dur: r.duration ?? (returned ? 0 : -1), result: Self.resultText(r, returned: returned)))
  }

  /// A restart_syscall as the call it continues: its name and arguments, from the interrupted
  /// call's start to the restart's end. Other records pass unchanged.
  private func continuing(_ r: SyscallRecord) -> (SyscallRecord, restarted: Bool) {
    if r.errno == .ERESTART_RESTARTBLOCK {
      interrupted[r.tid] = r
      return (r, false)
    }
    guard r.traits.contains(.continuesCall) else { return (r, false) }
    guard let first = interrupted.removeValue(forKey: r.tid), first.pid == r.pid else { return (r, false) }
    var merged = first
    merged.ret = r.ret
    merged.errno = r.errno
    merged.retDetail = r.retDetail
    merged.duration = r.duration.map { r.timestamp + $0 - first.timestamp }
    return (merged, true)
  }

  private func addBlocked(_ r: SyscallRecord, dur: Double, returned: Bool, restarted: Bool = false) {
    var b = Blocked(call: Report.BlockingCall(
      pid: r.pid, tid: r.tid, name: r.name, fd: nil, target: nil, ts: r.timestamp, dur: dur,
      returned: returned, result: Self.resultText(r, returned: returned, restarted: restarted), releasedBy: nil))
    findRelease(r, into: &b)
    b.rank = Self.rank(r, b)
    blocked.append(b)
    if let p = b.pipe, returned, let ret = r.ret, r.errno == nil, ProcessModel.endHint(r.traits) == .read {
      p.watched = true
      lateWaiters[ObjectIdentifier(p), default: []].append(
        LateWaiter(index: blocked.count - 1, startTs: r.timestamp, returnTs: r.timestamp + dur, kind: ret == 0 ? .eof : .data))
    } else if returned, let ret = r.ret, ret > 0, r.errno == nil, !b.polled.isEmpty {
      // A poll: a write or the last close on a pipe it watched, reported after it returned.
      let ready = Self.readyFd(r)
      for (fd, p) in b.polled where ready == nil || ready == fd {
        p.watched = true
        lateWaiters[ObjectIdentifier(p), default: []].append(
          LateWaiter(index: blocked.count - 1, startTs: r.timestamp, returnTs: r.timestamp + dur, kind: .either, polledFd: fd))
      }
    }
    if r.ret == nil && returned && r.errno != nil {
      awaitingSignal[r.tid] = blocked.count - 1
    }
    if blocked.count >= options.blockingLimit * 2 { trimBlocked() }
  }

  /// Waits on pipes, sockets and children first, then the longest.
  private static func ranked(_ a: Blocked, _ b: Blocked) -> Bool {
    a.rank != b.rank ? a.rank < b.rank : a.call.dur > b.call.dur
  }

  private static func rank(_ r: SyscallRecord, _ b: Blocked) -> Int {
    if b.pipe != nil || !b.polled.isEmpty { return 0 }
    if r.traits.contains(.waitsOnChild) { return 0 }
    if let t = b.call.target, t.hasPrefix("pipe:") || t.hasPrefix("socket:") || t.hasPrefix("/dev/pts/") { return 0 }
    // A strace -yy log names sockets by protocol (`TCP:[…]`).
    if case .fd(_, let t?)? = r.args.first, t.kind == .socket { return 0 }
    return r.traits.contains(.sleeps) ? 2 : 1
  }

  private func trimBlocked() {
    awaitingSignal.removeAll()  // indices change; an unresolved interrupted call stays unexplained
    lateWaiters.removeAll()
    blocked.sort(by: Self.ranked)
    blockingOmitted += blocked.count - options.blockingLimit
    blocked.removeLast(blocked.count - options.blockingLimit)
  }

  static func resultText(_ r: SyscallRecord, returned: Bool, restarted: Bool = false) -> String {
    guard returned else { return "never returned" }
    let ret = r.ret.map { String($0) } ?? "?"
    let restart = restarted ? " (resumed as restart_syscall)" : ""
    if let e = r.errno { return "= \(ret) \(e.name)" + restart }
    return "= \(ret)" + restart
  }

  /// The fd a call waited on and what it points to.
  private func pipeAt(_ r: SyscallRecord, fd: Int32) -> PipeRecord? {
    model.pipeFd(pid: r.pid, fd: fd)?.pipe
  }

  /// Who let the call go: done while the stream is at the call's exit, so the pipe state is as it was.
  private func findRelease(_ r: SyscallRecord, into b: inout Blocked) {
    let returnTs = r.timestamp + (r.duration ?? 0)
    let traits = r.traits
    if traits.contains(.readsFd) || traits.contains(.writesFd) {
      guard let first = r.args.first, let fd = FdEffect.fdNumber(first) else { return }
      b.call.fd = fd
      if case .fd(_, let t?) = first { b.call.target = t.path }
      guard let p = pipeAt(r, fd: fd) else { return }
      b.pipe = p
      if b.call.target == nil { b.call.target = p.label }
      guard let ret = r.ret, r.errno == nil else { return }
      if ProcessModel.endHint(r.traits) == .write {
        return  // a write blocked on a full pipe is released by a read we do not track
      }
      b.call.releasedBy = within(ret == 0 ? p.lastWriterGone : p.lastWrite, from: r.timestamp, to: returnTs)
    } else if traits.contains(.waitsOnChild) {
      guard let ret = r.ret, ret > 0 else { return }
      let child = Int32(truncatingIfNeeded: ret)
      if let info = model.processes[child], let end = info.end {
        b.call.releasedBy = EventRef(pid: child, event: Self.exitText(info), ts: end)
      } else {
        b.waitedChild = child  // its +++ line may come after the parent's wait returns
      }
    } else if traits.contains(.waitsOnFds) {
      let polled = Self.polledFds(r).compactMap { fd in pipeAt(r, fd: fd).map { (fd, $0) } }
      b.polled = polled
      if let (fd, p) = polled.first {
        b.call.fd = fd
        b.call.target = p.label
      }
      guard let ret = r.ret, ret > 0 else { return }
      guard let fd = Self.readyFd(r) else {
        // No revents in the trace (a restart_syscall's result is not decoded by every strace):
        // the last write or close on a watched pipe before the return released it.
        let events = polled.flatMap { fd, p in
          [p.lastWrite, p.lastWriterGone].compactMap { within($0, from: r.timestamp, to: returnTs) }.map { (fd, $0) }
        }
        if let (fd, last) = events.max(by: { $0.1.ts < $1.1.ts }) {
          b.call.fd = fd
          b.call.target = pipeAt(r, fd: fd)?.label ?? b.call.target
          b.call.releasedBy = EventRef(pid: last.pid, event: "fd \(fd) ready: \(last.event)", ts: last.ts)
        }
        return
      }
      b.call.fd = fd
      if let p = pipeAt(r, fd: fd) {
        b.pipe = p
        b.call.target = p.label
        let candidates = [p.lastWrite, p.lastWriterGone].compactMap { within($0, from: r.timestamp, to: returnTs) }
        if let last = candidates.max(by: { $0.ts < $1.ts }) {
          b.call.releasedBy = EventRef(pid: last.pid, event: "fd \(fd) ready: \(last.event)", ts: last.ts)
          return
        }
      }
      b.call.releasedBy = EventRef(pid: r.pid, event: "fd \(fd) ready", ts: returnTs)
    }
  }

  /// `ref` when it happened while the call was blocked (its start to its return, give or take the
  /// log's time resolution): what happened before a call began cannot have released it.
  private func within(_ ref: EventRef?, from: Double, to: Double) -> EventRef? {
    guard let ref, ref.ts >= from - timeResolution, ref.ts <= to + timeResolution else { return nil }
    return ref
  }

  static func exitText(_ p: ProcessRecord) -> String {
    if let s = p.signal { return "killed by \(Signals.name(s))" }
    if let c = p.exitCode { return "exit \(c)" }
    return "exit"
  }

  /// The fds a poll watched: `[{fd=3, events=POLLIN}, …]` (strace), or in pipetrace JSON the
  /// array whose entries its `fds` notes made into decoded fds.
  static func polledFds(_ r: SyscallRecord) -> [Int32] {
    guard case .array(let items, _)? = r.args.first else { return [] }
    var fds: [Int32] = []
    func add(_ v: ArgValue) {
      if let fd = FdEffect.fdNumber(v), fd >= 0, !fds.contains(fd) { fds.append(fd) }
    }
    for item in items {
      switch item {
      case .structure(let fields): for f in fields where f.name == "fd" { add(f.value) }
      case .fd: add(item)
      default: break
      }
    }
    return fds
  }

  /// The first ready fd of a poll/select result: `([{fd=3, revents=POLLIN}])`, `(in [3])`.
  static func readyFd(_ r: SyscallRecord) -> Int32? {
    if let detail = r.retDetail {
      let text = Array(detail.utf8)
      var i = 0
      while i < text.count {
        let c = text[i]
        if c >= 0x30 && c <= 0x39 {
          var v: Int32 = 0
          while i < text.count && text[i] >= 0x30 && text[i] <= 0x39 {
            v = v &* 10 &+ Int32(text[i] - 0x30)
            i += 1
          }
          return v
        }
        i += 1
      }
    }
    // pipetrace JSON: poll's array of structures with revents set.
    if case .array(let items, _)? = r.args.first {
      for item in items {
        guard case .structure(let fields) = item else { continue }
        var fd: Int32?
        var ready = false
        for f in fields {
          if f.name == "fd" { fd = FdEffect.fdNumber(f.value) }
          if f.name == "revents" { ready = true }
        }
        if ready, let fd { return fd }
      }
    }
    return nil
  }

  public func finish() {
    guard !finished else { return }
    finished = true
    let end = traceEnd ?? 0
    for r in neverReturned {
      // It ended with its process, or else was still waiting when the trace stopped.
      let until = model.processes[r.pid]?.end ?? end
      if until - r.timestamp >= options.minBlock { addBlocked(r, dur: until - r.timestamp, returned: false) }
    }
    neverReturned.removeAll()
    for k in calls.indices where calls[k].dur < 0 {
      calls[k].dur = max(0, (model.processes[calls[k].pid]?.end ?? end) - calls[k].ts)
    }
    for r in interrupted.values.sorted(by: { $0.timestamp < $1.timestamp }) {
      if let d = r.duration, d >= options.minBlock { addBlocked(r, dur: d, returned: true) }
    }
    interrupted.removeAll()
    for k in blocked.indices {
      if let child = blocked[k].waitedChild, let info = model.processes[child], let exitTs = info.end {
        blocked[k].call.releasedBy = EventRef(pid: child, event: Self.exitText(info), ts: exitTs)
      }
    }
    if blocked.count > options.blockingLimit { trimBlocked() }
    blocked.sort(by: Self.ranked)
    findLeaks()
  }

  /// A process exec'd holding a pipe end it never used, while another process blocked reading it,
  /// and still held it when the wait was released (or at its end): one that let go earlier did not
  /// keep the reader waiting. A direct child of the reader is not one: the reader started it
  /// for that pipe and waits for its work (a command that wrote nothing to its stderr).
  private func findLeaks() {
    var seen = Set<String>()
    for b in blocked {
      let traits = SyscallTable.traits(named: b.call.name)
      guard traits.contains(.readsFd) || traits.contains(.waitsOnFds) else { continue }
      let to = b.call.ts + b.call.dur
      var pipes = b.polled.map(\.pipe)
      if let p = b.pipe, !pipes.contains(where: { $0 === p }) { pipes.insert(p, at: 0) }
      for p in pipes {
      for c in p.carries where c.pid != b.call.pid && !c.used && c.end != .read {
        // Held until what released the wait (or, unreleased, to its end).
        let until = b.call.releasedBy?.ts ?? to
        guard c.ts <= to, (c.releasedAt ?? .infinity) >= until - timeResolution else { continue }
        if model.processes[c.pid]?.parent == b.call.pid { continue }
        let key = "\(c.pid)/\(c.fd)/\(p.id)/\(b.call.pid)"
        guard seen.insert(key).inserted else { continue }
        leaks.append(Report.Leak(
          holderPid: c.pid, program: c.program, fd: c.fd, end: c.end, pipe: p.label, execTs: c.ts,
          releasedAt: c.releasedAt, blockedPid: b.call.pid, blockedName: b.call.name, blockedTs: b.call.ts,
          blockedDur: b.call.dur))
      }
      }
    }
  }

  /// The report; call after `finish()` (it finishes the stream if that was not done).
  public func makeReport() -> Report {
    finish()
    let processes = model.order.compactMap { model.processes[$0] }
    var report = Report(
      minBlock: options.minBlock,
      summary: stats.overall(),
      perProcess: model.order.compactMap { pid in stats.perProcess(pid).map { Report.ProcessSummary(pid: pid, syscalls: $0) } },
      processes: processes,
      blocking: blocked.map(\.call),
      blockingOmitted: blockingOmitted,
      pipes: model.pipes.kept,
      pipesOmitted: model.pipes.droppedCount,
      leaks: leaks,
      badLines: badLines,
      calls: calls,
      callsOmitted: callsOmitted,
      tracerNotes: tracerNotes,
      eventCount: eventCount,
      traceStart: traceStart,
      traceEnd: traceEnd)
    report.hasTimestamps = hasTimestamps
    for (k, p) in processes.enumerated() {
      report.processIndex[p.pid] = k
      if let prog = p.program { report.programNames[p.pid] = prog.split(separator: "/").last.map(String.init) ?? prog }
    }
    return report
  }
}

extension ReportBuilder {
  /// Reads every event of `reader` into the builder and returns the report.
  public func consume(_ reader: TraceReader) -> Report {
    var first = true
    reader.forEachEvent { e in
      if first {
        timeResolution = reader.timeResolution  // known once the first line is read
        first = false
      }
      handle(e)
    }
    badLines.merge(reader.badLines)
    hasTimestamps = reader.hasTimestamps
    return makeReport()
  }
}
