/// Why a process cannot make progress, read from /proc without stopping anything.
public struct HangDiagnosis: Sendable {
  public var pid: Int32
  public var comm: String
  public var cmdline: String
  public var state: String
  public var threads: [ProcessSnapshot.ThreadSnapshot]
  /// The call that explains the wait (nil when no thread sleeps in a syscall).
  public var blocked: BlockedCall?
  /// Every process holding the other end of a pipe the blocked call waits on (the process itself included).
  public var holders: [PipeHolder]
  /// The wait-for chain from the process outwards, one step per process.
  public var chain: [ChainStep]
  /// Pids of a wait-for cycle (a deadlock), in order, when there is one.
  public var cycle: [Int32]?
  public var verdict: String
  /// The closes that would unblock it, or nil with `noFixReason`.
  public var fix: Fix?
  public var noFixReason: String?
  /// Warnings that come with the fix.
  public var cautions: [String]

  public struct PipeHolder: Sendable {
    public var pid: Int32
    public var fd: Int32
    public var inode: UInt64
    public var end: PipeEnd?
    public var comm: String
    public var cmdline: String
    public var ppid: Int32
    public var state: String
    public var blocked: BlockedCall?
    public var relation: Relation
    public var relationDetail: String
  }

  public struct ChainStep: Sendable {
    public var pid: Int32
    public var comm: String
    public var depth: Int
    public var text: String
  }

  /// Closes to perform: per process, the fds (all pointing at `inode`).
  public struct Fix: Sendable {
    public var closes: [Close]
    public struct Close: Sendable, Equatable {
      public var pid: Int32
      public var fds: [Int32]
      public var inode: UInt64
    }
    /// The shell command that performs it.
    public var command: String {
      closes.map { c in
        "pipetrace --inject-close \(c.pid) \(c.fds.map(String.init).joined(separator: " ")) --expect pipe:[\(c.inode)]"
      }.joined(separator: " && ")
    }
  }
}

/// A refusal to diagnose: one line for the user.
public struct DiagnosisError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Diagnoses `pid` now. Throws `DiagnosisError` for a pid that cannot be diagnosed (missing, a
/// kernel thread, a zombie).
public func diagnoseHang(pid: Int32) throws -> HangDiagnosis {
  if pid <= 0 { throw DiagnosisError("invalid pid \(pid): must be a positive process id") }
  guard let snapshot = ProcessSnapshot.read(pid) else { throw DiagnosisError("no such process: \(pid)") }
  if snapshot.stat.isKernelThread {
    throw DiagnosisError("pid \(pid) (\(snapshot.comm)) is a kernel thread: it holds no pipes")
  }
  if snapshot.stat.isZombie {
    throw DiagnosisError(
      "pid \(pid) (\(snapshot.comm)) is a zombie: it has exited and waits for its parent \(snapshot.stat.ppid) to reap it")
  }
  if snapshot.stat.pid != pid {
    throw DiagnosisError("pid \(pid) is a thread of process \(snapshot.stat.pid): ask about \(snapshot.stat.pid)")
  }
  var analyzer = WaitForAnalyzer(index: PipeHolderIndex.scan())
  return analyzer.diagnose(snapshot)
}

/// Builds the wait-for graph around one process from a pipe-holder index and /proc snapshots.
struct WaitForAnalyzer {
  let index: PipeHolderIndex
  var snapshots: [Int32: ProcessSnapshot] = [:]

  init(index: PipeHolderIndex) { self.index = index }

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

  /// The holders of the end opposite to what the call wants, for every pipe fd it waits on.
  mutating func otherEndHolders(of process: ProcessSnapshot, call: BlockedCall) -> [HangDiagnosis.PipeHolder] {
    var result: [HangDiagnosis.PipeHolder] = []
    var seen = Set<PipeFd>()
    for waited in call.fds {
      guard let target = waited.target, target.kind == .pipe, let inode = target.inode else { continue }
      let wanted: PipeEnd = waited.wants == .read ? .write : .read
      for fd in index.holders(of: inode) where fd.end == wanted && !seen.contains(fd) {
        seen.insert(fd)
        guard let holder = snapshot(fd.pid) else { continue }
        let (relation, detail) = Relation.of(holder: holder.stat, reader: process.stat)
        result.append(HangDiagnosis.PipeHolder(
          pid: fd.pid, fd: fd.fd, inode: inode, end: fd.end, comm: holder.comm, cmdline: holder.cmdline,
          ppid: holder.stat.ppid, state: holder.stat.stateName, blocked: holder.primaryBlock,
          relation: relation, relationDetail: detail))
      }
    }
    return result
  }

  /// Live children a wait4/waitid with this pid argument waits for.
  mutating func waitedChildren(of process: ProcessSnapshot, waitPid: Int32) -> [ProcessSnapshot] {
    var children: [Int32] = []
    for thread in process.threads {
      let text = ProcFS.read("/proc/\(process.pid)/task/\(thread.tid)/children") ?? ""
      children += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters()) }
    }
    return children.compactMap { snapshot($0) }.filter { child in
      if waitPid == -1 { return true }
      if waitPid > 0 { return child.pid == waitPid }
      return child.stat.pgid == (waitPid == 0 ? process.stat.pgid : -waitPid)
    }
  }

  mutating func edges(of process: ProcessSnapshot) -> [Edge] {
    guard let call = process.primaryBlock else { return [] }
    if let waitPid = call.waitPid {
      return waitedChildren(of: process, waitPid: waitPid).map {
        Edge(to: $0.pid, why: "waits in \(call.syscall) for child \($0.pid) (\($0.comm)) to exit")
      }
    }
    var edges: [Edge] = []
    var seen = Set<Int32>()
    for holder in otherEndHolders(of: process, call: call) where !seen.contains(holder.pid) {
      seen.insert(holder.pid)
      let doing = call.fds.first { $0.target?.inode == holder.inode }?.wants == .write
        ? "waits for room in pipe:[\(holder.inode)], which \(holder.pid) (\(holder.comm)) could read (fd \(holder.fd))"
        : "waits for EOF or data on pipe:[\(holder.inode)], whose write end \(holder.pid) (\(holder.comm)) holds (fd \(holder.fd))"
      edges.append(Edge(to: holder.pid, why: doing))
    }
    return edges
  }

  /// What a process is doing, in words.
  static func describe(_ p: ProcessSnapshot) -> String {
    guard let call = p.primaryBlock else {
      return p.stat.state == "R" ? "running (not blocked)" : "\(p.stat.stateName), not inside a syscall"
    }
    switch call.number {
    case 35, 230, 219:
      return "sleeping in \(call.syscall): waits on no pipe or child, and keeps its fds until it exits"
    default:
      return "blocked in \(call.summary)"
    }
  }

  /// Depth-first walk of the wait-for graph from `root`, noting the first cycle that returns to the path.
  mutating func walk(from root: ProcessSnapshot) -> (steps: [HangDiagnosis.ChainStep], cycle: [Int32]?) {
    var steps: [HangDiagnosis.ChainStep] = []
    var cycle: [Int32]?
    var visited = Set<Int32>()
    func visit(_ p: ProcessSnapshot, depth: Int, path: [Int32], via: String?, into analyzer: inout WaitForAnalyzer) {
      let lead = via.map { "\($0); it is " } ?? ""
      steps.append(.init(pid: p.pid, comm: p.comm, depth: depth, text: "\(p.pid) \(p.comm): \(lead)\(WaitForAnalyzer.describe(p))"))
      visited.insert(p.pid)
      guard depth < 8 else { return }
      for edge in analyzer.edges(of: p) {
        if edge.to == p.pid { continue }  // holding the other end itself: named in the verdict
        if let start = path.firstIndex(of: edge.to) {
          if cycle == nil { cycle = Array(path[start...]) + [p.pid] }
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

  mutating func diagnose(_ root: ProcessSnapshot) -> HangDiagnosis {
    let call = root.primaryBlock
    var result = HangDiagnosis(
      pid: root.pid, comm: root.comm, cmdline: root.cmdline, state: root.stat.stateName, threads: root.threads,
      blocked: call, holders: [], chain: [], cycle: nil, verdict: "", fix: nil, noFixReason: nil, cautions: [])
    let name = "\(root.pid) (\(root.comm))"
    guard let call else {
      if root.threads.allSatisfy({ $0.syscall == nil }) {
        result.verdict = "\(name) cannot be read: /proc/\(root.pid)/task/*/syscall is not readable "
          + "(it needs ptrace access to the process), so pipetrace cannot tell what it waits for."
        result.noFixReason = "its syscall state is unreadable"
        return result
      }
      result.verdict = "\(name) is not blocked: it is \(root.stat.stateName) and no thread sleeps in a syscall."
      result.noFixReason = "nothing to unblock"
      return result
    }
    let (steps, cycle) = walk(from: root)
    result.chain = steps
    result.cycle = cycle
    result.holders = otherEndHolders(of: root, call: call)

    if let cycle {
      // Each link in the words of its own edge: "A waits in wait4 for child B…; B waits for room in…".
      var links: [String] = []
      for (i, pid) in cycle.enumerated() {
        let next = cycle[(i + 1) % cycle.count]
        guard let p = snapshots[pid] else { continue }
        let why = edges(of: p).first { $0.to == next }?.why ?? "waits for \(next)"
        links.append("\(pid) (\(p.comm)) \(why)")
      }
      result.verdict = "Deadlock: \(links.joined(separator: "; ")) — none of them can move."
      result.noFixReason = "closing an fd in the cycle only breaks it by losing data (a writer gets EPIPE/SIGPIPE, "
        + "its output is gone); the program must read the pipe while it waits (e.g. communicate() instead of wait())"
      return result
    }
    if let waitPid = call.waitPid {
      return diagnoseWait(root, call: call, waitPid: waitPid, into: result)
    }
    let pipeFds = call.fds.filter { $0.target?.kind == .pipe }
    if pipeFds.isEmpty {
      if call.fds.isEmpty {
        result.verdict = "\(name) is blocked in \(call.syscall), which waits on no pipe or child pipetrace can follow."
      } else {
        result.verdict = "\(name) is blocked in \(call.summary), on no pipe: pipetrace follows pipes and children only."
      }
      result.noFixReason = "it does not wait on a pipe"
      return result
    }
    if pipeFds.allSatisfy({ $0.wants == .write }) {
      return diagnoseFullPipe(root, call: call, into: result)
    }
    return diagnoseEOFWait(root, call: call, into: result)
  }

  /// A reader waiting for data or EOF: who keeps the write end open.
  mutating func diagnoseEOFWait(_ root: ProcessSnapshot, call: BlockedCall, into base: HangDiagnosis) -> HangDiagnosis {
    var result = base
    let name = "\(root.pid) (\(root.comm))"
    let readPipes = call.fds.filter { $0.wants == .read && $0.target?.kind == .pipe }
    let pipeText = readPipes.map { "\($0.target!.path) (fd \($0.fd))" }.joined(separator: ", ")
    let writers = result.holders.filter { $0.end == .write }
    if writers.isEmpty {
      result.verdict = "\(name) reads \(pipeText), but no process holds a write end any more: it will see EOF now."
      result.noFixReason = "nothing holds the pipe open"
      return result
    }
    let own = writers.filter { $0.relation == .itself }
    let liveChildren = writers.filter { $0.relation == .child && $0.ppid == root.pid }
    let leaked = writers.filter { $0.relation != .itself && !($0.relation == .child && $0.ppid == root.pid) }

    var sentences: [String] = []
    if !own.isEmpty {
      sentences.append("\(name) waits for EOF on \(pipeText) but holds the write end itself (fd "
        + "\(own.map { String($0.fd) }.joined(separator: ", "))): it can never see EOF")
    }
    if !leaked.isEmpty {
      let who = groupByPid(leaked).map { pid, fds in
        let h = fds[0]
        return "\(h.comm) \(pid) (fd \(fds.map { String($0.fd) }.joined(separator: ", ")); \(h.relationDetail); "
          + "\(WaitForAnalyzer.describe(snapshots[pid]!)))"
      }.joined(separator: ", ")
      sentences.append((own.isEmpty ? "\(name) waits for EOF on \(pipeText), but" : "and")
        + " the write end is also held by \(who)")
    }
    if !liveChildren.isEmpty && own.isEmpty && leaked.isEmpty {
      let who = groupByPid(liveChildren).map { pid, _ in "\(pid) (\(snapshots[pid]?.comm ?? "?"))" }
      sentences.append("\(name) waits for EOF on \(pipeText) from its live child \(who.joined(separator: ", ")), "
        + "which still holds the write end; EOF comes when it exits or closes it")
      result.verdict = sentences.joined(separator: " ") + "."
      result.noFixReason = "the write end is held only by live children of \(root.pid): they are still its work, "
        + "not a leak (see the chain for what they wait on)"
      return result
    }
    result.verdict = sentences.joined(separator: ", ") + "."
    var closes: [HangDiagnosis.Fix.Close] = []
    for (pid, fds) in groupByPid(leaked + own) {
      for inode in Set(fds.map(\.inode)).sorted() {
        closes.append(.init(pid: pid, fds: fds.filter { $0.inode == inode }.map(\.fd).sorted(), inode: inode))
      }
    }
    result.fix = HangDiagnosis.Fix(closes: closes)
    if !own.isEmpty {
      result.cautions.append("closing fds of \(root.pid) itself: if the program later closes or writes that fd "
        + "number it may hit a different file opened after it")
    }
    if !liveChildren.isEmpty {
      result.cautions.append("live children still hold the write end too ("
        + groupByPid(liveChildren).map { "\($0.0)" }.joined(separator: ", ") + "): EOF comes after they exit")
    }
    return result
  }

  /// A writer waiting for room in a full pipe: who could read it.
  mutating func diagnoseFullPipe(_ root: ProcessSnapshot, call: BlockedCall, into base: HangDiagnosis) -> HangDiagnosis {
    var result = base
    let name = "\(root.pid) (\(root.comm))"
    let pipeText = call.fds.filter { $0.target?.kind == .pipe }.map { "\($0.target!.path) (fd \($0.fd))" }
      .joined(separator: ", ")
    let readers = result.holders.filter { $0.end == .read && $0.relation != .itself }
    if readers.isEmpty {
      result.verdict = "\(name) writes to the full \(pipeText) and no other process holds its read end"
        + (result.holders.contains { $0.relation == .itself } ? " (it is the only reader itself): it waits forever." : ".")
      result.noFixReason = "no reader exists to drain the pipe; closing would only lose data"
      return result
    }
    let who = groupByPid(readers).map { pid, fds in
      "\(fds[0].comm) \(pid) (\(fds[0].relationDetail); \(WaitForAnalyzer.describe(snapshots[pid]!)))"
    }.joined(separator: ", ")
    result.verdict = "\(name) writes to the full \(pipeText); the read end is held by \(who), which is not reading it."
    result.noFixReason = "closing the readers' fds would make the write fail (EPIPE/SIGPIPE) and lose the data"
    return result
  }

  /// A parent in wait4/waitid: what its children are stuck on, and their fix if they have one.
  mutating func diagnoseWait(_ root: ProcessSnapshot, call: BlockedCall, waitPid: Int32, into base: HangDiagnosis)
    -> HangDiagnosis
  {
    var result = base
    let name = "\(root.pid) (\(root.comm))"
    let children = waitedChildren(of: root, waitPid: waitPid)
    if children.isEmpty {
      result.verdict = "\(name) waits in \(call.syscall) but has no matching child: the call should return soon."
      result.noFixReason = "no child to wait for"
      return result
    }
    var childVerdicts: [String] = []
    for child in children where child.primaryBlock != nil && !child.stat.isZombie {
      let sub = diagnose(child)
      childVerdicts.append(sub.verdict)
      if result.fix == nil, let fix = sub.fix {
        result.fix = fix
        result.cautions += sub.cautions
        if result.holders.isEmpty { result.holders = sub.holders }
      }
    }
    let list = children.map { "\($0.pid) (\($0.comm))" }.joined(separator: ", ")
    result.verdict = "\(name) waits in \(call.syscall) for its child \(list) to exit"
      + (childVerdicts.isEmpty ? ", which is not blocked (still working)." : "; " + childVerdicts.joined(separator: " "))
    if result.fix == nil { result.noFixReason = "its children are not stuck on a leaked pipe" }
    return result
  }

  func groupByPid(_ holders: [HangDiagnosis.PipeHolder]) -> [(Int32, [HangDiagnosis.PipeHolder])] {
    var order: [Int32] = []
    var groups: [Int32: [HangDiagnosis.PipeHolder]] = [:]
    for h in holders {
      if groups[h.pid] == nil { order.append(h.pid) }
      groups[h.pid, default: []].append(h)
    }
    return order.map { ($0, groups[$0]!) }
  }
}
