/// Why a process cannot make progress, read from /proc without stopping anything.
public struct HangDiagnosis: Sendable {
  public var pid: Int32
  public var comm: String
  public var cmdline: String
  public var state: String
  public var threads: [ProcessSnapshot.ThreadSnapshot]
  /// The call that explains the wait (nil when no thread sleeps in a syscall).
  public var blocked: BlockedCall?
  /// Every process holding the other side of what the blocked call waits on (the process itself included).
  public var holders: [Holder]
  /// The wait-for chain from the process outwards, one step per process.
  public var chain: [ChainStep]
  /// Pids of a wait-for cycle (a deadlock), in order, when there is one.
  public var cycle: [Int32]?
  public var verdict: String
  /// The fds to replace that would unblock it, or nil with `noFixReason`.
  public var fix: Fix?
  public var noFixReason: String?
  /// Warnings that come with the fix.
  public var cautions: [String]
  /// What kind of answer this is; `why`'s exit status follows it.
  public var outcome: Outcome = .noFix
  /// Processes whose fd table could not be read (another user's, without privilege): a holder
  /// among them would be missing from the answer.
  public var uninspected: [Int32] = []
  /// The verdict as a case with its evidence (`verdict` is its text).
  public var verdictCase: Verdict = .text("")
  /// Evidence lines shown below the verdict (what a pipeline member is stuck on, …), escaped text as
  /// the verdict is.
  public var evidence: [String] = []
  /// With no fix: the close a user may run if sure (holders pipetrace cannot prove leaked), shown
  /// commented out, and why pipetrace doubts it.
  public var suggestion: Fix?
  public var doubt: String?

  package init(
    pid: Int32, comm: String, cmdline: String, state: String, threads: [ProcessSnapshot.ThreadSnapshot],
    blocked: BlockedCall? = nil, holders: [Holder], chain: [ChainStep], cycle: [Int32]? = nil, verdict: String,
    fix: Fix? = nil, noFixReason: String? = nil, cautions: [String], outcome: Outcome = .noFix,
    uninspected: [Int32] = [], verdictCase: Verdict = .text(""), evidence: [String] = [], suggestion: Fix? = nil,
    doubt: String? = nil
  ) {
    self.pid = pid
    self.comm = comm
    self.cmdline = cmdline
    self.state = state
    self.threads = threads
    self.blocked = blocked
    self.holders = holders
    self.chain = chain
    self.cycle = cycle
    self.verdict = verdict
    self.fix = fix
    self.noFixReason = noFixReason
    self.cautions = cautions
    self.outcome = outcome
    self.uninspected = uninspected
    self.verdictCase = verdictCase
    self.evidence = evidence
    self.suggestion = suggestion
    self.doubt = doubt
  }

  public enum Outcome: String, Sendable {
    /// Blocked on a leak, and `fix` undoes it.
    case fix
    /// Blocked, but nothing is safe to close (a deadlock, live work, a peer that must answer).
    case noFix = "no_fix"
    /// Running, stopped, or not inside a syscall.
    case notBlocked = "not_blocked"
    /// An event loop waiting on its own wakeup pipe (or socketpair): idle, not hung.
    case idle
    /// Its syscall state could not be read (no ptrace permission): no answer.
    case unreadable

    /// `pipetrace why`'s exit status: 0 fix found, 2 no fix, 3 not blocked (or idle), 1 no answer.
    public var exitStatus: Int32 {
      switch self {
      case .fix: return 0
      case .noFix: return 2
      case .notBlocked, .idle: return 3
      case .unreadable: return 1
      }
    }
  }

  /// One fd, in one process, on the other side of what the blocked process waits on.
  public struct Holder: Sendable {
    public var pid: Int32
    public var fd: Int32
    /// What the fd points to, as /proc/PID/fd names it: `pipe:[N]`, `socket:[N]`, a FIFO's path,
    /// `/dev/pts/N`. It is what a fix checks with `--expect`.
    public var link: String
    public var kind: WaitedObject.Kind
    /// Pipe or socket inode; a FIFO's or pty slave's file inode.
    public var inode: UInt64
    /// Access mode: the end of a pipe, nil for a socket or a file opened read-write.
    public var end: PipeEnd?
    /// The object the blocked process waits on through it, in words (`WaitedObject.label`).
    public var waitedOn: String
    public var comm: String
    public var cmdline: String
    public var ppid: Int32
    public var state: String
    public var blocked: BlockedCall?
    public var relation: Relation
    public var relationDetail: String
    /// The thread whose own fd table holds it (unshare(CLONE_FILES)); nil: the process's table.
    public var tid: Int32? = nil
    /// It also holds the socket listening where the connection was accepted (`WaitedObject.listener`):
    /// the server that accepted the connection, not a process that inherited it.
    public var listens = false
    /// What it is to the blocked process, on evidence (`HolderClass`); only `.leaked` is ever closed.
    public var classification: HolderClass = .unknown
    public var evidence: String = ""
  }

  public struct ChainStep: Sendable {
    public var pid: Int32
    public var comm: String
    public var depth: Int
    public var text: String
  }

  /// Per process, the fds to replace (all pointing at `expect`).
  public struct Fix: Sendable {
    public var closes: [Close]
    public init(closes: [Close]) { self.closes = closes }
    public struct Close: Sendable, Equatable {
      public var pid: Int32
      public var fds: [Int32]
      /// The link the fds point to (`pipe:[N]`, `socket:[N]`, a path): `--expect` of the command.
      public var expect: String
      /// The thread of `pid` whose own fd table holds the fds (nil: the process's table).
      public var tid: Int32? = nil
      public init(pid: Int32, fds: [Int32], expect: String, tid: Int32? = nil) {
        self.pid = pid
        self.fds = fds
        self.expect = expect
        self.tid = tid
      }
      /// Whom `--inject-close` names: the thread with its own table, else the process.
      public var target: Int32 { tid ?? pid }
    }

    /// The shell command that performs it, safe to paste: one independent command per holder and
    /// object (`;`, not `&&`: a holder that exits first does not keep the others open), `--expect`
    /// quoted, the program named as it can be run (`pipetrace` on PATH, else the path of the
    /// running binary: `SelfCommand`).
    public var command: String { command(program: SelfCommand.name) }

    public func command(program: String) -> String {
      closes.map { c in
        "\(program) --inject-close \(c.target) \(c.fds.map(String.init).joined(separator: " ")) --expect "
          + shellQuoted([c.expect])
      }.joined(separator: "; ")
    }
  }
}

/// A refusal to diagnose: one line for the user.
public struct DiagnosisError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Diagnoses `pid` now; `lineage` is what a trace saw of forks and exits (it proves adoptions
/// /proc cannot). Throws `DiagnosisError` for a pid that cannot be diagnosed (missing, a
/// kernel thread, a zombie).
public func diagnoseHang(pid: Int32, lineage: Lineage? = nil) throws -> HangDiagnosis {
  if pid <= 0 { throw DiagnosisError("invalid pid \(pid): must be a positive process id") }
  guard let snapshot = ProcessSnapshot.read(pid) else { throw DiagnosisError("no such process: \(pid)") }
  let comm = DisplayText.escape(snapshot.comm)
  if snapshot.stat.isKernelThread {
    throw DiagnosisError("pid \(pid) (\(comm)) is a kernel thread: it holds no pipes")
  }
  if snapshot.stat.isZombie {
    throw DiagnosisError(
      "pid \(pid) (\(comm)) is a zombie: it has exited and waits for its parent \(snapshot.stat.ppid) to reap it")
  }
  if snapshot.stat.pid != pid {
    throw DiagnosisError("pid \(pid) is a thread of process \(snapshot.stat.pid): ask about \(snapshot.stat.pid)")
  }
  var analyzer = WaitForAnalyzer(index: PipeHolderIndex.scan(), lineage: lineage)
  return analyzer.diagnose(snapshot)
}

/// Builds the wait-for graph around one process from a holder index and /proc snapshots.
struct WaitForAnalyzer {
  let index: PipeHolderIndex
  var snapshots: [Int32: ProcessSnapshot] = [:]
  /// Diagnoses of processes met as part of another's pipeline, and those under way (no loops).
  var nested: [Int32: HangDiagnosis] = [:]
  var inProgress = Set<Int32>()
  /// `primary(_:)` per pid: it is asked for again and again while the graph is walked.
  var primaries: [Int32: (call: BlockedCall?, waits: [Wait], idle: Bool)] = [:]
  /// Processes whose first waiting thread idles but whose other threads work (`ThreadActivity`).
  var atWork: [Int32: ThreadActivity] = [:]
  let classifier: HolderClassifier

  init(index: PipeHolderIndex, lineage: Lineage? = nil) {
    self.index = index
    classifier = HolderClassifier(lineage: lineage)
  }

  mutating func snapshot(_ pid: Int32) -> ProcessSnapshot? {
    if let s = snapshots[pid] { return s }
    let s = ProcessSnapshot.read(pid)
    snapshots[pid] = s
    return s
  }

  /// An edge of the wait-for graph: `from` cannot go on until `to` does something.
  struct Edge {
    var to: Int32
    var why: String
  }

  /// One fd a call waits on, what it waits on, and who holds the other side.
  struct Wait {
    var fd: BlockedCall.WaitedFd
    var object: WaitedObject
    var holders: [HangDiagnosis.Holder]
    /// Only the process itself holds the other side: a wakeup channel it writes itself.
    var isOwnChannel: Bool { !holders.isEmpty && holders.allSatisfy { $0.relation == .itself } }
  }

  /// A channel only the process itself holds both sides of, waited on as an event loop waits for
  /// its own wakeups: any such fd of a poll/select/epoll, and a socketpair in any call (nobody
  /// makes a socketpair to talk to no one; a read on one waits for a thread or a signal handler).
  /// A plain read on such a pipe stays a hang: the write end a fork left behind.
  static func isWakeupChannel(_ wait: Wait, in call: BlockedCall) -> Bool {
    // poll, select, epoll: calls that wait on several fds at once, as an event loop idles.
    wait.isOwnChannel && (call.traits.contains(.waitsOnFds) || wait.object.kind == .socket)
  }

  static func shown(_ s: String) -> String { DisplayText.escape(s) }
  static func name(_ p: ProcessSnapshot) -> String { "\(p.pid) (\(shown(p.comm)))" }

  /// Every fd of `call` whose other side some process holds, with those holders.
  mutating func waits(of process: ProcessSnapshot, call: BlockedCall) -> [Wait] {
    var result: [Wait] = []
    for waited in call.fds {
      guard let target = waited.target,
        let object = WaitedObject.resolve(pid: process.pid, fd: waited.fd, target: target)
      else { continue }
      var holders: [HangDiagnosis.Holder] = []
      var seen = Set<PipeFd>()
      for fd in object.otherSideHolders(in: index, wants: waited.wants) where seen.insert(fd).inserted {
        guard let holder = snapshot(fd.pid), let link = ProcFS.fdTarget(fd.tableOwner, fd: fd.fd)?.path else { continue }
        let (relation, detail) = Relation.of(holder: holder.stat, reader: process.stat)
        let listenerFd = object.listenerFd(of: fd.pid, in: index)
        let found = classifier.classify(
          holder: holder, fd: fd.fd, reader: process, waitingTid: process.threads.first { $0.blocked == call }?.tid,
          object: object, listenerFd: listenerFd, relation: relation, detail: detail)
        holders.append(HangDiagnosis.Holder(
          pid: fd.pid, fd: fd.fd, link: link, kind: object.kind, inode: fd.inode, end: fd.end,
          waitedOn: object.label, comm: holder.comm, cmdline: holder.cmdline, ppid: holder.stat.ppid,
          state: holder.stat.stateName, blocked: holder.primaryBlock, relation: relation, relationDetail: detail,
          tid: fd.tid, listens: listenerFd != nil,
          classification: found.classification, evidence: found.evidence))
      }
      classifier.propagateLeaks(&holders)
      result.append(Wait(fd: waited, object: object, holders: holders))
    }
    return result
  }

  /// The thread whose wait explains the process, and whether that wait is an idle event loop: the
  /// first thread blocked on something another process holds or on a child; else an idle loop.
  mutating func primary(_ p: ProcessSnapshot) -> (call: BlockedCall?, waits: [Wait], idle: Bool) {
    if let known = primaries[p.pid] { return known }
    let found = findPrimary(p)
    primaries[p.pid] = found
    return found
  }

  private mutating func findPrimary(_ p: ProcessSnapshot) -> (call: BlockedCall?, waits: [Wait], idle: Bool) {
    var idleLoop: (BlockedCall, [Wait])?
    for call in p.threads.compactMap(\.blocked) where !call.fds.isEmpty || call.waitPid != nil {
      if call.waitPid != nil { return (call, [], false) }
      let w = waits(of: p, call: call)
      if !w.isEmpty, w.allSatisfy({ Self.isWakeupChannel($0, in: call) }) {
        if idleLoop == nil { idleLoop = (call, w) }
        continue
      }
      if !w.isEmpty { return (call, w, false) }
    }
    if let (call, w) = idleLoop {
      // Idle only if its other threads are too: none running, no client waiting for its answer.
      let activity = ThreadActivity.of(p, index: index) { snapshot($0) }
      if activity.isBusy {
        atWork[p.pid] = activity
        return (call, w, false)
      }
      return (call, w, true)
    }
    // The loop above already found no waits for any call with fds; one without has none.
    return (p.primaryBlock, [], false)
  }

  /// Live children a wait4/waitid with this pid argument waits for.
  mutating func waitedChildren(of process: ProcessSnapshot, waitPid: Int32) -> [ProcessSnapshot] {
    process.childPids.compactMap { snapshot($0) }.filter { child in
      HolderClassifier.covers(waitPid, child: child.stat, parent: process.stat)
    }
  }

  mutating func edges(of process: ProcessSnapshot) -> [Edge] {
    let (call, waits, idle) = primary(process)
    guard let call, !idle else { return [] }
    if let waitPid = call.waitPid {
      return waitedChildren(of: process, waitPid: waitPid).map {
        Edge(to: $0.pid, why: "waits in \(call.syscall) for child \($0.pid) (\(Self.shown($0.comm))) to exit")
      }
    }
    var edges: [Edge] = []
    var seen = Set<Int32>()
    for wait in waits where !Self.isWakeupChannel(wait, in: call) {
      let label = Self.shown(wait.object.label)
      for holder in wait.holders where seen.insert(holder.pid).inserted {
        let who = "\(holder.pid) (\(Self.shown(holder.comm)))\(holder.tid.map { " in thread \($0), its own fd table," } ?? "") holds (fd \(holder.fd))"
        let doing = wait.fd.wants == .write
          ? "waits for room in \(label), whose other side \(who)"
          : "waits for EOF or data on \(label), whose other side \(who)"
        edges.append(Edge(to: holder.pid, why: doing))
      }
    }
    return edges
  }

  /// What a process is doing, in words.
  mutating func describe(_ p: ProcessSnapshot) -> String {
    let (call, waits, idle) = primary(p)
    guard let call else {
      return p.stat.state == "R" ? "running (not blocked)" : "\(p.stat.stateName), not inside a syscall"
    }
    if let activity = atWork[p.pid] { return "at work: \(activity.summary)" }
    if idle {
      return "idle in its event loop (\(call.syscall) on its own \(waits.map { Self.shown($0.object.link) }.joined(separator: ", ")), which only it writes)"
    }
    // An unresolved restart_syscall is a resumed sleep (a poll would show): the table counts it so.
    if call.sleepsOnly {
      return "sleeping in \(call.syscall)\(call.restarted ? " (resumed as restart_syscall)" : ""): "
        + "waits on no pipe or child, and keeps its fds until it exits"
    }
    return "blocked in \(call.summary)"
  }

  /// Depth-first walk of the wait-for graph from `root`, noting the first cycle that returns to the path.
  mutating func walk(from root: ProcessSnapshot) -> (steps: [HangDiagnosis.ChainStep], cycle: [Int32]?) {
    var steps: [HangDiagnosis.ChainStep] = []
    var cycle: [Int32]?
    var visited = Set<Int32>()
    func visit(_ p: ProcessSnapshot, depth: Int, path: [Int32], via: String?, into analyzer: inout WaitForAnalyzer) {
      let lead = via.map { "\($0); it is " } ?? ""
      steps.append(.init(pid: p.pid, comm: p.comm, depth: depth,
                         text: "\(p.pid) \(Self.shown(p.comm)): \(lead)\(analyzer.describe(p))"))
      visited.insert(p.pid)
      guard depth < 8 else { return }
      for edge in analyzer.edges(of: p) {
        if edge.to == p.pid { continue }  // holding the other end itself: named in the verdict
        if let start = path.firstIndex(of: edge.to) {
          // A process in poll/select/epoll waits on all its fds at once, any one of which can wake
          // it (a runloop's sockets, say): a loop through it is not a deadlock.
          let members = Array(path[start...]) + [p.pid]
          let multiplexing = members.contains { pid in
            analyzer.snapshots[pid].flatMap { analyzer.primary($0).call }.map { $0.traits.contains(.waitsOnFds) } ?? false
          }
          if multiplexing { continue }
          if cycle == nil { cycle = members }
          steps.append(.init(pid: edge.to, comm: analyzer.snapshots[edge.to]?.comm ?? "?", depth: depth + 1,
                             text: "\(p.pid) \(edge.why) — and \(edge.to) is waiting for \(path.count > start + 1 ? path[start + 1] : p.pid): a cycle"))
          continue
        }
        if visited.contains(edge.to) { continue }
        guard let next = analyzer.snapshot(edge.to) else { continue }
        visit(next, depth: depth + 1, path: path + [p.pid], via: "\(p.pid) \(edge.why)", into: &analyzer)
      }
    }
    visit(root, depth: 0, path: [], via: nil, into: &self)
    return (steps, cycle)
  }

  /// The diagnosis of `root`. `asMember`: `root` was met in another process's pipeline; only its
  /// own wait and fix matter (no chain walk).
  mutating func diagnose(_ root: ProcessSnapshot, asMember: Bool = false) -> HangDiagnosis {
    let (call, waits, idle) = primary(root)
    var result = HangDiagnosis(
      pid: root.pid, comm: root.comm, cmdline: root.cmdline, state: root.stat.stateName, threads: root.threads,
      blocked: call, holders: [], chain: [], cycle: nil, verdict: "", fix: nil, noFixReason: nil, cautions: [],
      outcome: .noFix, uninspected: index.uninspected)
    let name = Self.name(root)
    guard let call else {
      if root.threads.allSatisfy({ $0.syscall == nil }) {
        result.verdict = "\(name) cannot be read: /proc/\(root.pid)/task/*/syscall is not readable "
          + "(it needs ptrace access to the process), so pipetrace cannot tell what it waits for."
        result.noFixReason = "its syscall state is unreadable"
        result.outcome = .unreadable
        return result
      }
      result.verdict = "\(name) is not blocked: it is \(root.stat.stateName) and no thread sleeps in a syscall."
      result.noFixReason = "nothing to unblock"
      result.outcome = .notBlocked
      return result
    }
    if idle {
      let own = waits.map { "\(Self.shown($0.object.label)) (fd \($0.fd.fd))" }.joined(separator: ", ")
      result.verdict = "\(name) is an idle event loop, not hung: it waits in \(call.syscall) on \(own), "
        + "whose other side only it holds (a wakeup channel its own threads or signal handlers write)."
      result.noFixReason = "an idle event loop is not a hang; nothing to unblock"
      result.outcome = .idle
      return result
    }
    if let activity = atWork[root.pid] { return serverAtWork(root, call: call, activity: activity, into: result) }
    if !asMember {
      let (steps, cycle) = walk(from: root)
      result.chain = steps
      result.cycle = cycle
    }
    // A multiplexer's own wakeup channels are not what it is stuck on.
    let relevant = waits.filter { !Self.isWakeupChannel($0, in: call) }
    result.holders = relevant.flatMap(\.holders)

    if let cycle = result.cycle {
      // Each link in the words of its own edge: "A waits in wait4 for child B…; B waits for room in…".
      var links: [String] = []
      for (i, pid) in cycle.enumerated() {
        let next = cycle[(i + 1) % cycle.count]
        guard let p = snapshots[pid] else { continue }
        let why = edges(of: p).first { $0.to == next }?.why ?? "waits for \(next)"
        links.append("\(pid) (\(Self.shown(p.comm))) \(why)")
      }
      result.verdict = "Deadlock: \(links.joined(separator: "; ")) — none of them can move."
      result.noFixReason = "closing an fd in the cycle only breaks it by losing data (a writer gets EPIPE/SIGPIPE, "
        + "its output is gone); the program must read the pipe while it waits (e.g. communicate() instead of wait())"
      return result
    }
    if let waitPid = call.waitPid {
      return diagnoseWait(root, call: call, waitPid: waitPid, into: result)
    }
    if relevant.isEmpty {
      if call.fds.isEmpty {
        result.verdict = "\(name) is blocked in \(call.summary), which waits on no pipe, socket or child pipetrace can follow."
      } else {
        result.verdict = "\(name) is blocked in \(call.summary), on nothing another process holds: "
          + "pipetrace follows pipes, FIFOs, UNIX stream sockets, TCP connections within this machine, ptys, terminals and children."
      }
      result.noFixReason = "it does not wait on anything another process holds"
      return result
    }
    if relevant.allSatisfy({ $0.fd.wants == .write }) {
      return diagnoseFull(root, call: call, waits: relevant, into: result)
    }
    return diagnoseEOFWait(root, call: call, waits: relevant.filter { $0.fd.wants == .read }, into: result)
  }

  /// What a holder is to the waiting process, from its evidence-based class: only `.leaked` is
  /// ever closed; a pipeline stage's own leaks are looked for in its own diagnosis.
  enum Role { case itself, pipeline, leaked, peer, unknown }

  static func role(_ h: HangDiagnosis.Holder) -> Role {
    switch h.classification {
    case .itself, .ownThread: return .itself
    case .pipelineStage: return .pipeline
    case .leaked: return .leaked
    case .serverPeer: return .peer
    case .unknown: return .unknown
    }
  }

  /// The same holders, grouped by fd table in order of appearance: per process, and apart from it
  /// each thread with its own table (keyed by its tid).
  func groupByPid(_ holders: [HangDiagnosis.Holder]) -> [(Int32, [HangDiagnosis.Holder])] {
    var order: [Int32] = []
    var groups: [Int32: [HangDiagnosis.Holder]] = [:]
    for h in holders {
      let table = h.tid ?? h.pid
      if groups[table] == nil { order.append(table) }
      groups[table, default: []].append(h)
    }
    return order.map { ($0, groups[$0]!) }
  }

  /// Closes per process and link.
  func closes(for holders: [HangDiagnosis.Holder]) -> [HangDiagnosis.Fix.Close] {
    var result: [HangDiagnosis.Fix.Close] = []
    for (_, fds) in groupByPid(holders) {
      var links: [String] = []
      for f in fds where !links.contains(f.link) { links.append(f.link) }
      for link in links {
        result.append(.init(pid: fds[0].pid, fds: fds.filter { $0.link == link }.map(\.fd).sorted(), expect: link,
                            tid: fds[0].tid))
      }
    }
    return result
  }

  /// `sleep 2296 (fd 1, 2; an orphan …; sleeping in …)` per process.
  mutating func whoText(_ holders: [HangDiagnosis.Holder]) -> String {
    groupByPid(holders).map { _, fds in
      let h = fds[0]
      let doing = snapshot(h.pid).map { describe($0) } ?? h.state
      let table = h.tid.map { "thread \($0) of \(h.pid), which has its own fd table: " } ?? ""
      return "\(Self.shown(h.comm)) \(h.pid) (\(table)fd \(fds.map { String($0.fd) }.joined(separator: ", ")); "
        + "\(Self.shown(h.relationDetail)); \(doing))"
    }.joined(separator: ", ")
  }

  /// The diagnosis of a process met in another's pipeline (memoized; nil while it is under way).
  mutating func member(_ pid: Int32) -> HangDiagnosis? {
    if let d = nested[pid] { return d }
    guard !inProgress.contains(pid), inProgress.count < 16, let p = snapshot(pid), !p.stat.isZombie else { return nil }
    inProgress.insert(pid)
    defer { inProgress.remove(pid) }
    let d = diagnose(p, asMember: true)
    nested[pid] = d
    return d
  }

  /// Folds the fixes of pipeline members into `result` (never closing an fd of a process that is
  /// itself part of `root`'s running pipeline). Returns the members' verdicts that have a fix.
  mutating func adoptFixes(of members: [Int32], root: ProcessSnapshot, into result: inout HangDiagnosis,
                           closes: inout [HangDiagnosis.Fix.Close]) -> [String] {
    var verdicts: [String] = []
    for pid in members {
      guard let sub = member(pid), let fix = sub.fix else { continue }
      var adopted = false
      for c in fix.closes {
        if let holder = snapshot(c.pid) {
          let (relation, _) = Relation.of(holder: holder.stat, reader: root.stat)
          if relation == .child || relation == .grandchild || relation == .descendant { continue }
        }
        if !closes.contains(c) {
          closes.append(c)
          adopted = true
        }
      }
      if adopted { verdicts.append(sub.verdict.hasSuffix(".") ? String(sub.verdict.dropLast()) : sub.verdict) }
      for h in sub.holders where !result.holders.contains(where: { $0.pid == h.pid && $0.fd == h.fd }) {
        if Self.role(h) == .leaked { result.holders.append(h) }
      }
    }
    return verdicts
  }

  /// A reader waiting for data or EOF: who keeps the other side open.
  mutating func diagnoseEOFWait(_ root: ProcessSnapshot, call: BlockedCall, waits: [Wait], into base: HangDiagnosis)
    -> HangDiagnosis
  {
    var result = base
    if waits.allSatisfy({ $0.object.kind == .terminal }) { return terminalWait(root, waits: waits, into: base) }
    let name = Self.name(root)
    let waitText = waits.map { "\(Self.shown($0.object.label)) (fd \($0.fd.fd))" }.joined(separator: ", ")
    let holders = waits.flatMap(\.holders)
    if holders.isEmpty {
      if result.uninspected.isEmpty {
        result.verdict = "\(name) reads \(waitText), but no process holds the other side any more: it will see EOF now."
        result.noFixReason = "nothing holds the other side open"
      } else {
        result.verdict = "\(name) reads \(waitText); no process pipetrace could inspect holds the other side, "
          + "but \(result.uninspected.count) could not be inspected: the holder may be one of them."
        result.noFixReason = "the holders may be among the processes pipetrace could not inspect"
      }
      return result
    }
    let subject = Verdict.Subject(pid: root.pid, comm: root.comm, waited: waitText)
    let own = holders.filter { Self.role($0) == .itself }
    let pipeline = holders.filter { Self.role($0) == .pipeline }
    let leaked = holders.filter { Self.role($0) == .leaked }
    let peers = holders.filter { Self.role($0) == .peer }
    let unknown = holders.filter { Self.role($0) == .unknown }

    var closes = self.closes(for: leaked)
    let memberPids = groupByPid(pipeline).map(\.0)
    let memberVerdicts = pipeline.isEmpty ? [] : adoptFixes(of: memberPids, root: root, into: &result, closes: &closes)
    result.evidence += memberVerdicts.map { "in its pipeline: \($0)" }
    let others = groupByPid(pipeline + peers + unknown + own).map { Self.group($0.1) }
    if !closes.isEmpty {
      let leakedGroups = groupByPid(leaked).map { Self.group($0.1) }
      result.conclude(leaked.isEmpty ? .pipelineLeak(subject, members: others) : .leak(subject, leaked: leakedGroups, others: others))
      guard offerFix(closes, into: &result, subject: subject) else { return result }
      if !own.isEmpty {
        result.cautions.append("\(root.pid) holds the other side itself too (fd \(own.map { String($0.fd) }.joined(separator: ", "))): "
          + "it sees EOF only once it closes that itself")
      }
      if !pipeline.isEmpty {
        result.cautions.append("its own pipeline (" + memberPids.map(String.init).joined(separator: ", ")
          + ") holds the other side too: EOF comes once they finish")
      }
      if !peers.isEmpty || !unknown.isEmpty {
        result.cautions.append("also held by " + groupByPid(peers + unknown).map { "\($0.0)" }.joined(separator: ", ")
          + ", which pipetrace leaves alone: EOF comes once they close it")
      }
      if !result.uninspected.isEmpty {
        result.cautions.append("\(result.uninspected.count) processes could not be inspected: another holder may remain")
      }
      return result
    }
    if !unknown.isEmpty {
      result.conclude(.unknown(subject, holders: groupByPid(unknown).map { Self.group($0.1) }))
      result.noFixReason = "pipetrace cannot prove that \(groupByPid(unknown).map { String($0.0) }.joined(separator: ", ")) leaked it"
      result.suggestion = HangDiagnosis.Fix(closes: self.closes(for: unknown))
      result.doubt = unknown.map { "\($0.pid): \($0.evidence)" }.first
      return result
    }
    if !pipeline.isEmpty {
      result.conclude(.stillWritten(subject, writers: groupByPid(pipeline + peers).map { Self.group($0.1) }))
      result.noFixReason = "the other side is held by live stages of its pipeline (or an ancestor), not leaked: "
        + "they may still write; EOF comes when they finish (see the chain for what they wait on)"
      return result
    }
    if !peers.isEmpty {
      result.conclude(.peer(subject, peers: groupByPid(peers).map { Self.group($0.1) }))
      result.noFixReason = "the other side is held by its server or peer, not leaked: the peer must answer or close"
      return result
    }
    let threads = own.filter { $0.classification == .ownThread }
    if !threads.isEmpty {
      result.conclude(.ownThread(subject, threads: [Self.group(threads)]))
      result.noFixReason = "its own thread holds the other side: a wakeup it writes itself, never closed by pipetrace"
    } else {
      result.conclude(.selfHeld(subject, fds: own.map(\.fd)))
      result.noFixReason = "only the process itself holds the other side; pipetrace never closes a process's own "
        + "write end (if you are sure no signal handler writes it, close it in the program)"
    }
    return result
  }

  /// One holder process's fds as a verdict's group.
  static func group(_ fds: [HangDiagnosis.Holder]) -> Verdict.HolderGroup {
    Verdict.HolderGroup(pid: fds[0].pid, comm: fds[0].comm, fds: fds.map(\.fd),
                        classification: fds[0].classification, evidence: fds[0].evidence, tid: fds[0].tid)
  }

  /// Makes `closes` the fix, unless a holder to close is stopped (the close would be refused):
  /// then no fix, and what to do first. Returns whether the fix stands.
  mutating func offerFix(_ closes: [HangDiagnosis.Fix.Close], into result: inout HangDiagnosis, subject: Verdict.Subject?) -> Bool {
    var stopped: [Verdict.HolderGroup] = []
    for pid in Set(closes.map(\.pid)).sorted() {
      guard let p = snapshot(pid), p.stat.state == "T" else { continue }
      stopped.append(Verdict.HolderGroup(pid: pid, comm: p.comm, fds: closes.filter { $0.pid == pid }.flatMap(\.fds),
                                         classification: .leaked, evidence: "stopped (SIGSTOP or job control)"))
    }
    if stopped.isEmpty {
      result.fix = HangDiagnosis.Fix(closes: closes)
      result.outcome = .fix
      return true
    }
    if let subject { result.conclude(.stoppedLeak(subject, stopped: stopped)) }
    let cont = stopped.map { "kill -CONT \($0.pid)" }.joined(separator: "; ")
    result.noFixReason = "the leaked holder \(stopped.map { String($0.pid) }.joined(separator: ", ")) is stopped: "
      + "`\(cont)` first, then ask again (a stopped process cannot be made to close an fd)"
    result.outcome = .noFix
    return false
  }

  /// A writer waiting for room: who could read.
  mutating func diagnoseFull(_ root: ProcessSnapshot, call: BlockedCall, waits: [Wait], into base: HangDiagnosis)
    -> HangDiagnosis
  {
    var result = base
    let name = Self.name(root)
    let waitText = waits.map { "\(Self.shown($0.object.label)) (fd \($0.fd.fd))" }.joined(separator: ", ")
    let readers = waits.flatMap(\.holders).filter { $0.relation != .itself }
    if readers.isEmpty {
      result.verdict = "\(name) writes to the full \(waitText) and no other process holds its read side"
        + (result.holders.contains { $0.relation == .itself } ? " (it is the only reader itself): it waits forever." : ".")
      result.noFixReason = "no reader exists to drain it; closing would only lose data"
      return result
    }
    result.verdict = "\(name) writes to the full \(waitText); the read side is held by \(whoText(readers)), which is not reading it."
    result.noFixReason = "closing the readers' fds would make the write fail (EPIPE/SIGPIPE) and lose the data"
    return result
  }

  /// A parent in wait4/waitid: what its children are stuck on, and their fixes if they have any.
  mutating func diagnoseWait(_ root: ProcessSnapshot, call: BlockedCall, waitPid: Int32, into base: HangDiagnosis)
    -> HangDiagnosis
  {
    var result = base
    let name = Self.name(root)
    let children = waitedChildren(of: root, waitPid: waitPid)
    if children.isEmpty {
      result.verdict = "\(name) waits in \(call.syscall) but has no matching child: the call should return soon."
      result.noFixReason = "no child to wait for"
      return result
    }
    var closes: [HangDiagnosis.Fix.Close] = []
    let blockedChildren = children.filter { $0.primaryBlock != nil && !$0.stat.isZombie }.map(\.pid)
    var childVerdicts = adoptFixes(of: blockedChildren, root: root, into: &result, closes: &closes)
    if childVerdicts.isEmpty {
      childVerdicts = blockedChildren.compactMap { nested[$0]?.verdict }.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
    }
    let list = children.map { Self.name($0) }.joined(separator: ", ")
    result.verdict = "\(name) waits in \(call.syscall) for its child \(list) to exit"
      + (childVerdicts.isEmpty ? ", which is not blocked (still working)." : "; " + childVerdicts.joined(separator: "; ") + ".")
    if closes.isEmpty {
      result.noFixReason = "its children are not stuck on a leak"
    } else if offerFix(closes, into: &result, subject: nil) {
      for c in blockedChildren { result.cautions += nested[c]?.cautions ?? [] }
    }
    return result
  }
}
