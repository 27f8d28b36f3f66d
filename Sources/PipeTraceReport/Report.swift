/// What `ReportBuilder` found; every renderer (text, JSON, Chrome trace, HTML) reads only this.
public struct Report {
  public struct ProcessSummary: Sendable {
    public var pid: Int32
    public var syscalls: [CallSummary]
  }

  public struct BlockingCall: Sendable {
    public var pid: Int32
    public var tid: Int32
    public var name: String
    public var fd: Int32?
    /// `pipe:[44876238]` from -y / `fds`, or the model's pipe label.
    public var target: String?
    public var ts: Double
    public var dur: Double
    /// false when the call never returned (the trace ended or the process died first).
    public var returned: Bool
    /// `= 0`, `= 9`, `= ? ERESTARTSYS`, `never returned`.
    public var result: String
    public var releasedBy: EventRef?
  }

  /// A process that exec'd holding a pipe end it never used while someone blocked reading that pipe.
  public struct Leak: Sendable {
    public var holderPid: Int32
    public var program: String
    public var fd: Int32
    public var end: PipeEnd
    public var pipe: String
    public var execTs: Double
    public var releasedAt: Double?
    public var blockedPid: Int32
    public var blockedName: String
    public var blockedTs: Double
    public var blockedDur: Double
  }

  /// One syscall as a slice (kept only when `ReportBuilder.Options.keepCalls`, for the Chrome trace).
  public struct CallSlice: Sendable {
    public var pid: Int32
    public var tid: Int32
    public var name: String
    public var fd: Int32?
    public var ts: Double
    public var dur: Double
    /// `= 0`, `= -1 EAGAIN`, `never returned`.
    public var result: String
  }

  /// A note pipetrace wrote into a live trace (`--stuck-after` diagnoses, `--unstick-after` closes).
  public struct TracerNote: Sendable {
    public var pid: Int32
    public var ts: Double
    public var text: String
  }

  public var minBlock: Double
  public var summary: [CallSummary]
  public var perProcess: [ProcessSummary]
  public var processes: [ProcessRecord]
  public var blocking: [BlockingCall]
  /// Blocking calls not listed (beyond the kept limit).
  public var blockingOmitted: Int
  public var pipes: [PipeRecord]
  public var pipesOmitted: Int
  public var leaks: [Leak]
  public var badLines: BadLines
  /// Every syscall, when kept; `callsOmitted` beyond the limit.
  public var calls: [CallSlice] = []
  public var callsOmitted = 0
  /// The tracer's own notes in the trace, in order (at most `ReportBuilder.noteLimit`).
  public var tracerNotes: [TracerNote] = []
  public var eventCount: Int
  public var traceStart: Double?
  public var traceEnd: Double?
  /// false: the times are line order (1 µs per line), only durations are clock time.
  public var hasTimestamps = true
  /// pid → the last program it exec'd (basename), for labels.
  var programNames: [Int32: String] = [:]
  /// pid → index in `processes`.
  var processIndex: [Int32: Int] = [:]
  /// What the durations are: always wall time between syscall entry and exit.
  public static let clockNote = "wall time between syscall entry and exit (strace -T / pipetrace dur), not CPU time"
}

extension Report {
  /// `+1.250000`: seconds since the first event.
  func relative(_ ts: Double) -> String { "+" + NumberText.fixed(ts - (traceStart ?? 0), places: 6) }

  func programName(_ pid: Int32) -> String {
    programNames[pid] ?? ""
  }

  /// What to call a process on its lane: the program it exec'd, else what it forked from (a fork
  /// runs its parent's program until it execs), else `pid N`.
  func laneName(_ pid: Int32) -> String {
    var seen = Set<Int32>()
    var p: Int32? = pid
    while let q = p, seen.insert(q).inserted {
      if let name = programNames[q] { return name }
      p = processIndex[q].flatMap { processes[$0].parent }
    }
    return "pid \(pid)"
  }

  /// Every process's lane name at once, in one pass over the tree (parents first): `laneName` per
  /// process walks the ancestors, which is quadratic over a deep chain of forks that never exec.
  func laneNames() -> [Int32: String] {
    var names: [Int32: String] = [:]
    for (p, _) in processTree() {
      names[p.pid] = programNames[p.pid] ?? p.parent.flatMap { names[$0] } ?? "pid \(p.pid)"
    }
    return names
  }

  /// The processes as a tree, parents before their children, each with its depth (a process whose
  /// parent is not in the trace is a root).
  func processTree() -> [(process: ProcessRecord, depth: Int)] {
    var children: [Int32: [ProcessRecord]] = [:]
    for p in processes { children[p.parent.flatMap { processIndex[$0] != nil ? $0 : nil } ?? -1, default: []].append(p) }
    var out: [(ProcessRecord, Int)] = []
    var visited = Set<Int32>()
    // Depth first with a stack of its own: a fork chain 100,000 deep is as deep as the tree gets.
    var pending: [(ProcessRecord, Int)] = (children[-1] ?? []).reversed().map { ($0, 0) }
    while let (p, depth) = pending.popLast() {
      guard visited.insert(p.pid).inserted else { continue }
      out.append((p, depth))
      pending += (children[p.pid] ?? []).reversed().map { ($0, depth + 1) }
    }
    for p in processes where visited.insert(p.pid).inserted { out.append((p, 0)) }  // a parent cycle
    return out
  }

  func statusText(_ p: ProcessRecord) -> String {
    if let s = p.signal { return "killed by \(Signals.name(s))\(p.coreDumped ? " (core dumped)" : "")" }
    if let c = p.exitCode { return "exit \(c)" }
    return p.end == nil ? "running at end" : "ended"
  }
}
