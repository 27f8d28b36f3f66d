/// What `ReportBuilder` found; every renderer (text, JSON, Chrome trace, HTML) reads only this.
public struct Report {
  public struct SyscallSummary: Sendable {
    public var name: String
    public var calls: Int
    public var errors: Int
    /// Wall time between entry and exit (-T / `dur`), seconds.
    public var total: Double
    public var avg: Double
    /// The shortest call.
    public var min: Double
    public var p50: Double
    public var p99: Double
    public var max: Double
  }

  public struct ProcessSummary: Sendable {
    public var pid: Int32
    public var syscalls: [SyscallSummary]
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

  public var minBlock: Double
  public var summary: [SyscallSummary]
  public var perProcess: [ProcessSummary]
  public var processes: [ProcessRecord]
  public var blocking: [BlockingCall]
  /// Blocking calls not listed (beyond the kept limit).
  public var blockingOmitted: Int
  public var pipes: [PipeRecord]
  public var pipesOmitted: Int
  public var leaks: [Leak]
  public var badLines: BadLines
  public var eventCount: Int
  public var traceStart: Double?
  public var traceEnd: Double?
  /// false: the times are line order (1 µs per line), only durations are clock time.
  public var hasTimestamps = true
  /// pid → the last program it exec'd (basename), for labels.
  var programNames: [Int32: String] = [:]
  /// What the durations are: always wall time between syscall entry and exit.
  public static let clockNote = "wall time between syscall entry and exit (strace -T / pipetrace dur), not CPU time"
}

extension Report {
  /// `+1.250000`: seconds since the first event.
  func relative(_ ts: Double) -> String { "+" + NumberText.fixed(ts - (traceStart ?? 0), places: 6) }

  func programName(_ pid: Int32) -> String {
    programNames[pid] ?? ""
  }

  func statusText(_ p: ProcessRecord) -> String {
    if let s = p.signal { return "killed by \(Signals.name(s))\(p.coreDumped ? " (core dumped)" : "")" }
    if let c = p.exitCode { return "exit \(c)" }
    return p.end == nil ? "running at end" : "ended"
  }
}
