/// Reads strace text logs into `Event`s: `-f` with or without `-t`/`-tt`/`-ttt`/`-r`, `-T`, `-y`/`-yy`,
/// a pid column (`-o`), `[pid N]` prefixes (stderr), or one `-ff` file whose pid is given.
/// `<unfinished ...>`/`<... resumed>` pairs become one syscall; clone/fork/vfork results and early
/// children become `fork` events, successful execve an `exec` event, `+++` lines `exit` events.
public final class StraceLogReader: TraceReader {
  public enum TimestampStyle: String, Sendable {
    case none, epoch = "-ttt", timeOfDay = "-tt", seconds = "-t", relative = "-r"
  }

  private let source: LineSource
  public private(set) var badLines = BadLines()
  public private(set) var timestampStyle: TimestampStyle?
  public var hasTimestamps: Bool { timestampStyle != TimestampStyle.none }
  public var timeResolution: Double { timestampStyle == .seconds ? 1 : 0.000001 }
  /// The pid of an `-ff` file (its name's `.PID` suffix): lines have no pid column.
  private let filePid: Int32?

  private struct PendingCall {
    var name: String
    var argsText: [UInt8]
    var ts: Double
  }
  private var pending: [Int32: PendingCall] = [:]
  private var tgidOf: [Int32: Int32] = [:]
  /// Children whose `fork` event was already sent because their lines came before the parent's result.
  private var announced: Set<Int32> = []
  private var live: Set<Int32> = []
  private var queue: [Event] = []
  private var queueHead = 0
  private var relativeClock = 0.0
  private var lastTimeOfDay = -1.0
  private var dayOffset = 0.0
  private var lastTs = 0.0
  /// stderr-style logs print no prefix while one process is traced; its pid is learned later.
  private static let unknownPid: Int32 = 0
  private var unknownPidResolved = false
  private var held: [Event] = []
  private var finished = false
  /// The first half of a line interrupted by a strace message.
  private var split: [UInt8] = []
  private static let processMessage = Array("strace: Process ".utf8)

  static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
    guard hay.count >= needle.count, let first = needle.first else { return nil }
    var i = 0
    while i + needle.count <= hay.count {
      if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }

  public init(source: LineSource, filePid: Int32? = nil) {
    self.source = source
    self.filePid = filePid
    if filePid != nil { unknownPidResolved = true }
  }

  public convenience init(path: String, filePid: Int32? = nil) throws {
    self.init(source: try LineSource(path: path), filePid: filePid)
  }

  public func next() -> Event? {
    while queueHead == queue.count {
      queue.removeAll(keepingCapacity: true)
      queueHead = 0
      guard let line = source.next() else {
        if !finished { flushAtEnd() }
        finished = true
        if queueHead == queue.count { return nil }
        break
      }
      switch line {
      case .tooLong(let length):
        badLines.record(file: source.path, line: source.lineNumber, reason: "line of \(length) bytes is too long")
      case .text(let text):
        if text.isEmpty { continue }
        var bytes = Array(text)
        if !split.isEmpty {
          bytes = split + bytes
          split.removeAll()
        }
        // On stderr strace can print "strace: Process N attached" inside another line: read the
        // message and join the two halves of the interrupted line.
        if let cut = Self.find(Self.processMessage, in: bytes), cut > 0 {
          _ = parseLine(Array(bytes[cut...]))
          split = Array(bytes[..<cut])
          continue
        }
        if let reason = parseLine(bytes) {
          badLines.record(file: source.path, line: source.lineNumber, reason: reason)
        }
      }
    }
    defer { queueHead += 1 }
    return queue[queueHead]
  }

  /// Whether `line` looks like strace output at all (format detection).
  static func looksLikeStrace(_ line: [UInt8]) -> Bool {
    let probe = StraceLogReader(source: try! LineSource(path: "/dev/null"), filePid: 1)
    return probe.parseLine(line) == nil && (!probe.queue.isEmpty || !probe.pending.isEmpty)  // a call, or one unfinished
  }

  // MARK: line structure

  /// Parses one line into queued events; returns why it could not be read.
  private func parseLine(_ b: [UInt8]) -> String? {
    var i = 0
    var tid: Int32?
    // `[pid  123] ` prefix.
    if b.starts(with: "[pid ".utf8) {
      i = 5
      while i < b.count && b[i] == 0x20 { i += 1 }
      guard let (n, after) = integer(b, at: i), after < b.count, b[after] == UInt8(ascii: "]") else {
        return "bad [pid N] prefix"
      }
      tid = Int32(truncatingIfNeeded: n)
      i = after + 1
    } else if let (n, after) = integer(b, at: 0), after < b.count, b[after] == 0x20 {
      // `123  ` pid column (-o with -f): digits then spaces; a timestamp has '.' or ':'.
      tid = Int32(truncatingIfNeeded: n)
      i = after
    }
    while i < b.count && b[i] == 0x20 { i += 1 }
    var ts = lastTs
    if i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
      guard let (value, after, style) = timestamp(b, at: i) else { return "bad timestamp" }
      if timestampStyle == nil { timestampStyle = style }
      ts = value
      i = after
      while i < b.count && b[i] == 0x20 { i += 1 }
    } else {
      if timestampStyle == nil { timestampStyle = TimestampStyle.none }
      // No times in the log: a microsecond per line keeps events ordered for the release search.
      if timestampStyle == TimestampStyle.none { ts = Double(source.lineNumber) * 1e-6 }
    }
    guard i < b.count else { return "no event after the prefix" }
    lastTs = ts

    let task: Int32
    if let tid {
      task = tid
      // Every line so far named its pid (`strace -f -o`): no unprefixed process to wait for, so
      // nothing needs holding back.
      if !unknownPidResolved && held.isEmpty && !live.contains(Self.unknownPid) { unknownPidResolved = true }
    } else if let filePid {
      task = filePid
    } else if !unknownPidResolved {
      task = Self.unknownPid
    } else if live.count == 1, let only = live.first {
      task = only
    } else if let owner = Self.resumedName(b[i...]).flatMap(pendingOwner) {
      // strace drops the prefix again once one process is left, but this log still counts a task
      // whose end it has not shown: the one call left open by that name is the one resumed.
      task = owner
    } else {
      task = Self.unknownPid
    }
    let body = b[i...]

    if body.starts(with: "+++ ".utf8) { return parseExit(Array(body), tid: task, ts: ts) }
    if body.starts(with: "--- ".utf8) { return parseSignal(Array(body), tid: task, ts: ts) }
    if body.starts(with: "[ Process PID=".utf8) {
      // `[ Process PID=1234 runs in 32 bit mode. ]`
      let b = Array(body)
      let runs = Array(" runs in ".utf8), modeEnd = Array(" mode. ]".utf8)
      guard let r = Self.find(runs, in: b), let e = Self.find(modeEnd, in: b), r + runs.count <= e,
            let arch = SyscallArch(modeName: StraceSyntax.string(b[(r + runs.count)..<e])),
            let pid = Int32(StraceSyntax.string(b[14..<r])) else {
        return "bad [ Process ] line"
      }
      meet(task, ts: ts, line: body)
      emit(.personality(pid: tgid(pid), tid: pid, arch: arch, timestamp: ts))
      return nil
    }
    if body.starts(with: "strace: Process ".utf8) {
      let words = body.split(separator: 0x20)
      if words.count >= 4, let pid = Int32(StraceSyntax.string(words[2])) {
        // "attached" names a new child before its parent's clone result: its own lines place it.
        if StraceSyntax.string(words[3]).hasPrefix("detached") {
          meet(pid, ts: ts, line: body)
          emit(.detached(pid: tgid(pid), tid: pid, timestamp: ts))
          live.remove(pid)
        }
        return nil
      }
      return "unknown strace message"
    }
    if body.starts(with: "<... ".utf8) {
      let rest = Array(body)
      guard let close = rest.firstIndex(of: UInt8(ascii: ">")) else { return "bad resumed line" }
      let words = rest[5..<close].split(separator: 0x20)
      guard words.count == 2, words[1].elementsEqual("resumed".utf8) else { return "bad resumed line" }
      let name = StraceSyntax.string(words[0])
      meet(task, ts: ts, line: body, resumedName: name)
      let resolvedTask = task
      guard let call = pending.removeValue(forKey: resolvedTask), call.name == name else {
        return "resumed \(name) without its unfinished line"
      }
      var text = call.argsText
      text.append(contentsOf: rest[(close + 1)...])
      return finishCall(name: name, argsAndResult: text, tid: resolvedTask, entryTs: call.ts, lineTs: ts)
    }
    // NAME(ARGS) = RET … or NAME(ARGS <unfinished ...>
    guard let paren = body.firstIndex(of: UInt8(ascii: "(")), paren > body.startIndex else {
      return "not a strace line"
    }
    for c in body[body.startIndex..<paren] where !isNameByte(c) { return "not a strace line" }
    let name = StraceSyntax.string(body[body.startIndex..<paren])
    meet(task, ts: ts, line: body)
    let resolvedTask = task
    let afterParen = Array(body[(paren + 1)...])
    let unfinishedMark = " <unfinished ...>".utf8
    if afterParen.count >= unfinishedMark.count && afterParen.suffix(unfinishedMark.count).elementsEqual(unfinishedMark) {
      var argsText = Array(afterParen.dropLast(unfinishedMark.count))
      while argsText.last == 0x20 { argsText.removeLast() }
      if let old = pending[resolvedTask] {
        // A task cannot have two calls open: the earlier one never finished.
        emitSyscall(name: old.name, argsText: old.argsText, tid: resolvedTask, ts: old.ts)
      }
      pending[resolvedTask] = PendingCall(name: name, argsText: argsText, ts: ts)
      return nil
    }
    return finishCall(name: name, argsAndResult: afterParen, tid: resolvedTask, entryTs: ts, lineTs: ts)
  }

  /// NAME of a `<... NAME resumed>` line.
  static func resumedName(_ body: ArraySlice<UInt8>) -> String? {
    guard body.starts(with: "<... ".utf8), let close = body.firstIndex(of: UInt8(ascii: ">")) else { return nil }
    let words = body[(body.startIndex + 5)..<close].split(separator: 0x20)
    guard words.count == 2, words[1].elementsEqual("resumed".utf8) else { return nil }
    return StraceSyntax.string(words[0])
  }

  /// The only task with an unfinished call named `name`.
  private func pendingOwner(_ name: String) -> Int32? {
    let owners = pending.filter { $0.value.name == name }
    return owners.count == 1 ? owners.first?.key : nil
  }

  private func isNameByte(_ c: UInt8) -> Bool {
    (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || (c >= 0x41 && c <= 0x5A) || c == 0x3F
  }

  // MARK: tasks and processes

  private func tgid(_ tid: Int32) -> Int32 { tgidOf[tid] ?? tid }

  /// Registers a task seen for the first time: a child of a pending clone/fork/vfork, or a new root.
  private func meet(_ task: Int32, ts: Double, line: ArraySlice<UInt8>, resumedName: String? = nil) {
    if task != Self.unknownPid && !unknownPidResolved && live.contains(Self.unknownPid) && tgidOf[task] == nil {
      // The first prefixed pid of a stderr log: either the first process itself or its new child.
      let parentCall = pending[Self.unknownPid]
      let isParent = resumedName != nil && parentCall?.name == resumedName
      let parentForking = parentCall.map { isForkCall($0.name) } ?? false
      if isParent || !parentForking {
        adoptUnknownPid(as: task)
        return
      }
    }
    guard tgidOf[task] == nil else { return }
    let forking = pending.filter { $0.key != task && isForkCall($0.value.name) }
    if forking.count > 1 {
      // Several tasks are forking: wait for the clone result naming this child before saying whose
      // it is; its events wait too (bounded), so the model copies the right fd table.
      tgidOf[task] = task
      live.insert(task)
      announced.insert(task)
      deferred[task] = []
      return
    }
    if let (parent, call) = forking.first {
      let kind = forkKind(SyscallID(named: call.name) ?? .unknown, argsText: call.argsText)
      tgidOf[task] = kind == .thread ? tgid(parent) : task
      live.insert(task)
      announced.insert(task)
      emit(.fork(pid: tgid(parent), tid: parent, child: task, kind: kind, timestamp: ts))
    } else {
      tgidOf[task] = task
      live.insert(task)
    }
  }

  /// The unprefixed lines so far were `pid`'s: rewrite what is held and let it go.
  private func adoptUnknownPid(as pid: Int32) {
    unknownPidResolved = true
    live.remove(Self.unknownPid)
    live.insert(pid)
    tgidOf[pid] = pid
    tgidOf[Self.unknownPid] = nil
    if let call = pending.removeValue(forKey: Self.unknownPid) { pending[pid] = call }
    for e in held { queue.append(e.replacingPid(Self.unknownPid, with: pid)) }
    held.removeAll()
  }

  private func isForkCall(_ name: String) -> Bool { SyscallTable.traits(named: name).contains(.createsTask) }

  /// What a fork call made: a thread or a vfork child when its flags say so, else its spec's kind.
  private func forkKind(_ call: SyscallID, argsText: [UInt8]) -> ForkKind {
    let text = StraceSyntax.string(argsText[...])
    if text.contains("CLONE_THREAD") { return .thread }
    if text.contains("CLONE_VFORK") { return .vfork }
    return call.spec.forkKind ?? .fork
  }

  /// Children whose parent is not known yet, with their events so far.
  private var deferred: [Int32: [Event]] = [:]

  private func emit(_ event: Event) {
    if !deferred.isEmpty, var waiting = deferred[event.pid] {
      waiting.append(event)
      deferred[event.pid] = waiting
      if waiting.count > 10_000 { releaseDeferred(event.pid, parent: nil, kind: .fork, ts: event.timestamp) }
      return
    }
    // Until the first process's pid is known every event waits, so the order stays as logged.
    if unknownPidResolved {
      queue.append(event)
      return
    }
    held.append(event)
    if held.count >= 100_000 {
      unknownPidResolved = true  // a single-process log: pid 0 stands for it
      queue.append(contentsOf: held)
      held.removeAll()
    }
  }

  // MARK: event kinds

  private func finishCall(name: String, argsAndResult b: [UInt8], tid: Int32, entryTs: Double, lineTs: Double) -> String? {
    guard let close = StraceSyntax.closingParen(b, from: 0) else { return "unbalanced parentheses in \(name)" }
    var i = close + 1
    while i < b.count && b[i] == 0x20 { i += 1 }
    guard i < b.count && b[i] == UInt8(ascii: "=") else { return "\(name) without a result" }
    i += 1
    while i < b.count && b[i] == 0x20 { i += 1 }
    let retStart = i
    while i < b.count && b[i] != 0x20 {
      if b[i] == UInt8(ascii: "<") && i > retStart && StraceSyntax.isAnnotationStart(b[i - 1]) {
        i = StraceSyntax.skipAnnotation(b, at: i)
      } else {
        i += 1
      }
    }
    let retText = b[retStart..<i]
    var ret: Int64?
    if retText.elementsEqual("?".utf8) {
      ret = nil
    } else {
      switch StraceSyntax.argValue(retText) {
      case .int(let v): ret = v
      case .hex(let v): ret = Int64(bitPattern: v)
      case .fd(let fd, _): ret = Int64(fd)
      default: return "bad result \(StraceSyntax.string(retText)) of \(name)"
      }
    }
    var rest = StraceSyntax.trim(b[i...])
    // ` <0.000012>` at the end: -T.
    var duration: Double?
    if rest.last == UInt8(ascii: ">"), let lt = rest.lastIndex(of: UInt8(ascii: "<")),
       let d = Double(StraceSyntax.string(rest[(lt + 1)..<(rest.endIndex - 1)])), d.isFinite, d >= 0 {
      duration = d
      rest = StraceSyntax.trim(rest[rest.startIndex..<lt])
    } else if lineTs > entryTs {
      duration = lineTs - entryTs
    }
    var err: Errno?
    if rest.first == UInt8(ascii: "E") {
      let end = rest.firstIndex(of: 0x20) ?? rest.endIndex
      err = Errno(anyName: StraceSyntax.string(rest[rest.startIndex..<end]))
      rest = StraceSyntax.trim(rest[end...])
      if rest.first == UInt8(ascii: "("), let closeMsg = rest.firstIndex(of: UInt8(ascii: ")")) {
        rest = StraceSyntax.trim(rest[(closeMsg + 1)...])
      }
    }
    let args = StraceSyntax.splitTopLevel(b, from: 0, to: close).map(StraceSyntax.argValue)
    let record = SyscallRecord(
      pid: tgid(tid), tid: tid, name: name, number: -1, args: args, ret: ret, errno: err,
      retDetail: rest.isEmpty ? nil : StraceSyntax.string(rest), timestamp: entryTs, duration: duration)
    // The fork comes before the clone's own record: it happened at entry, and with -ff files
    // merged by time the child's lines must not overtake it.
    let traits = record.traits
    if traits.contains(.createsTask), let child = ret, child > 0 {
      let c = Int32(truncatingIfNeeded: child)
      if deferred[c] != nil {
        releaseDeferred(c, parent: tid, kind: forkKind(record.call, argsText: b), ts: entryTs)
      } else if !announced.contains(c) {
        let kind = forkKind(record.call, argsText: b)
        tgidOf[c] = kind == .thread ? tgid(tid) : c
        live.insert(c)
        emit(.fork(pid: tgid(tid), tid: tid, child: c, kind: kind, timestamp: entryTs))
      }
      announced.remove(c)
    }
    emit(.syscall(record))
    if traits.contains(.execs), ret == 0, let pathIndex = record.call.spec.execPathArgument {
      var path = ""
      var argv: [String] = []
      if args.count > pathIndex, case .string(let p, _) = args[pathIndex] { path = String(decoding: p, as: UTF8.self) }
      if args.count > pathIndex + 1, case .array(let items, _) = args[pathIndex + 1] {
        for item in items {
          if case .string(let a, _) = item { argv.append(String(decoding: a, as: UTF8.self)) }
        }
      }
      emit(.exec(pid: tgid(tid), tid: tid, path: path, argv: argv, timestamp: entryTs))
    }
    return nil
  }

  /// The parent of a deferred child is known (or given up on): send its fork and its events.
  private func releaseDeferred(_ child: Int32, parent: Int32?, kind: ForkKind, ts: Double) {
    guard let events = deferred.removeValue(forKey: child) else { return }
    if let parent {
      emit(.fork(pid: tgid(parent), tid: parent, child: child, kind: kind, timestamp: min(ts, events.first?.timestamp ?? ts)))
    }
    for e in events { emit(e) }
  }

  /// A call still open: it never returned (killed, or the trace ended).
  private func emitSyscall(name: String, argsText: [UInt8], tid: Int32, ts: Double) {
    let args = StraceSyntax.splitTopLevel(argsText, from: 0, to: argsText.count).map(StraceSyntax.argValue)
    emit(.syscall(SyscallRecord(pid: tgid(tid), tid: tid, name: name, number: -1, args: args, timestamp: ts)))
  }

  private func parseExit(_ b: [UInt8], tid: Int32, ts: Double) -> String? {
    let text = StraceSyntax.string(b[...])
    let words = text.split(separator: " ")
    if text.hasPrefix("+++ superseded by execve in pid "), words.count >= 7, let execing = Int32(words[6]) {
      // Thread `execing` ran execve: it goes on with the leader's id (`tid` here), and its execve
      // resumes on the leader's lines. The leader's own open call never returns.
      if let call = pending.removeValue(forKey: tid) {
        emitSyscall(name: call.name, argsText: call.argsText, tid: tid, ts: call.ts)
      }
      if execing != tid {
        if let call = pending.removeValue(forKey: execing) { pending[tid] = call }
        live.remove(execing)
      }
      return nil
    }
    if let call = pending.removeValue(forKey: tid) {
      emitSyscall(name: call.name, argsText: call.argsText, tid: tid, ts: call.ts)
    }
    live.remove(tid)
    if text.hasPrefix("+++ exited with "), words.count >= 4, let code = Int32(words[3]) {
      emit(.exit(pid: tgid(tid), tid: tid, code: code, signal: nil, coreDumped: false, timestamp: ts))
      return nil
    }
    if text.hasPrefix("+++ killed by "), words.count >= 4, let sig = Signals.number(String(words[3])) {
      emit(.exit(pid: tgid(tid), tid: tid, code: nil, signal: sig, coreDumped: text.contains("core dumped"), timestamp: ts))
      return nil
    }
    return "unknown +++ line"
  }

  private func parseSignal(_ b: [UInt8], tid: Int32, ts: Double) -> String? {
    let text = StraceSyntax.string(b[...])
    let words = text.split(separator: " ")
    guard words.count >= 3 else { return "bad --- line" }
    if words[1] == "stopped" || words[1] == "resuming" { return nil }  // group stops: not deliveries
    guard let signo = Signals.number(String(words[1])), words[1].hasPrefix("SIG") else { return "bad --- line" }
    var info = SignalInfo(signo: signo, code: 0)
    if let open = b.firstIndex(of: UInt8(ascii: "{")), let close = b.lastIndex(of: UInt8(ascii: "}")), open < close {
      if case .structure(let fields) = StraceSyntax.argValue(b[open...close]) {
        for f in fields {
          // `si_utime=5 /* 0.05 s */`: the number before the comment.
          var value = f.value
          if case .raw(let text) = value, let n = Int64(text.prefix { $0 != " " }) { value = .int(n) }
          switch (f.name, value) {
          case ("si_code", .symbol(let s)): info.code = SignalCodes.number(s)
          case ("si_code", .int(let v)): info.code = Int32(truncatingIfNeeded: v)
          case ("si_pid", .int(let v)): info.pid = Int32(truncatingIfNeeded: v)
          case ("si_uid", .int(let v)): info.uid = Int32(truncatingIfNeeded: v)
          case ("si_status", .int(let v)): info.status = Int32(truncatingIfNeeded: v)
          case ("si_status", .symbol(let s)): info.status = Signals.number(s) ?? 0
          case ("si_utime", .int(let v)): info.utime = v
          case ("si_stime", .int(let v)): info.stime = v
          case ("si_addr", .hex(let v)): info.addr = v
          default: break
          }
        }
      }
    }
    emit(.signal(SignalRecord(pid: tgid(tid), tid: tid, info: info, timestamp: ts)))
    return nil
  }

  /// The trace ended: calls still open never returned.
  private func flushAtEnd() {
    for child in deferred.keys.sorted() { releaseDeferred(child, parent: nil, kind: .fork, ts: 0) }
    if !unknownPidResolved {
      unknownPidResolved = true
      queue.append(contentsOf: held)
      held.removeAll()
    }
    for (tid, call) in pending.sorted(by: { $0.value.ts < $1.value.ts }) {
      emitSyscall(name: call.name, argsText: call.argsText, tid: tid, ts: call.ts)
    }
    pending.removeAll()
  }

  // MARK: numbers

  private func integer(_ b: [UInt8], at: Int) -> (Int64, Int)? {
    var i = at
    var v: Int64 = 0
    while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
      v = v &* 10 &+ Int64(b[i] - 0x30)
      i += 1
    }
    return i > at ? (v, i) : nil
  }

  /// `1764196800.123456` (-ttt), `23:50:51.123456` (-tt), `23:50:51` (-t), `0.000123` (-r).
  private func timestamp(_ b: [UInt8], at: Int) -> (Double, Int, TimestampStyle)? {
    var i = at
    while i < b.count && b[i] != 0x20 { i += 1 }
    let text = StraceSyntax.string(b[at..<i])
    if text.contains(":") {
      let parts = text.split(separator: ":")
      guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let s = Double(parts[2]),
            h.isFinite, m.isFinite, s.isFinite else {
        return nil
      }
      var t = h * 3600 + m * 60 + s
      // Past midnight: keep time increasing.
      if lastTimeOfDay >= 0 && t + 43200 < lastTimeOfDay { dayOffset += 86400 }
      lastTimeOfDay = t
      t += dayOffset
      return (t, i, text.contains(".") ? .timeOfDay : .seconds)
    }
    guard let v = Double(text), v.isFinite, v >= 0 else { return nil }
    let style: TimestampStyle = timestampStyle == .relative || (timestampStyle != .epoch && v < 1e8) ? .relative : .epoch
    if style == .relative {
      relativeClock += v
      return (relativeClock, i, style)
    }
    return (v, i, style)
  }
}

extension Event {
  /// The process the event belongs to.
  public var pid: Int32 {
    switch self {
    case .syscallEntry(let r), .syscall(let r): return r.pid
    case .signal(let s): return s.pid
    case .fork(let pid, _, _, _, _), .exec(let pid, _, _, _, _), .exit(let pid, _, _, _, _, _),
      .detached(let pid, _, _), .note(let pid, _, _), .personality(let pid, _, _, _):
      return pid
    }
  }

  /// When it happened (a syscall: its entry), epoch seconds.
  public var timestamp: Double {
    switch self {
    case .syscallEntry(let r), .syscall(let r): return r.timestamp
    case .signal(let s): return s.timestamp
    case .fork(_, _, _, _, let ts), .exec(_, _, _, _, let ts), .exit(_, _, _, _, _, let ts),
      .detached(_, _, let ts), .note(_, _, let ts), .personality(_, _, _, let ts):
      return ts
    }
  }

  func replacingPid(_ old: Int32, with new: Int32) -> Event {
    func r(_ v: Int32) -> Int32 { v == old ? new : v }
    switch self {
    case .syscallEntry(var rec):
      rec.pid = r(rec.pid)
      rec.tid = r(rec.tid)
      return .syscallEntry(rec)
    case .syscall(var rec):
      rec.pid = r(rec.pid)
      rec.tid = r(rec.tid)
      return .syscall(rec)
    case .fork(let pid, let tid, let child, let kind, let ts):
      return .fork(pid: r(pid), tid: r(tid), child: child, kind: kind, timestamp: ts)
    case .exec(let pid, let tid, let path, let argv, let ts):
      return .exec(pid: r(pid), tid: r(tid), path: path, argv: argv, timestamp: ts)
    case .exit(let pid, let tid, let code, let signal, let core, let ts):
      return .exit(pid: r(pid), tid: r(tid), code: code, signal: signal, coreDumped: core, timestamp: ts)
    case .signal(var s):
      s.pid = r(s.pid)
      s.tid = r(s.tid)
      return .signal(s)
    case .personality(let pid, let tid, let arch, let ts):
      return .personality(pid: r(pid), tid: r(tid), arch: arch, timestamp: ts)
    case .detached(let pid, let tid, let ts):
      return .detached(pid: r(pid), tid: r(tid), timestamp: ts)
    case .note(let pid, let text, let ts):
      return .note(pid: r(pid), text: text, timestamp: ts)
    }
  }
}
