/// What `why` concludes about a process waiting for EOF or data, with the evidence it rests on. It
/// is rendered to text and JSON in one place (WhyRenderer). Only `.leak` comes with a fix.
public enum Verdict: Sendable {
  /// Every holder in `leaked` is a proven leak (and `others`, if any, hold it too).
  case leak(Subject, leaked: [HolderGroup], others: [HolderGroup])
  /// A leak inside the reader's own running pipeline: its `members` cannot finish because of it.
  case pipelineLeak(Subject, members: [HolderGroup])
  /// Proven leaks, but a holder is stopped (SIGSTOP, job control): a close would be refused.
  case stoppedLeak(Subject, stopped: [HolderGroup])
  /// Live writers (pipeline stages, an ancestor) hold it: the reader may just be waiting for them.
  case stillWritten(Subject, writers: [HolderGroup])
  /// A socket's server or peer holds the other end: it must answer or close.
  case peer(Subject, peers: [HolderGroup])
  /// Its own other threads hold the other side: it waits for its own thread.
  case ownThread(Subject, threads: [HolderGroup])
  /// Only the process itself (one thread) holds the other side.
  case selfHeld(Subject, fds: [Int32])
  /// Holders pipetrace cannot classify: no fix, a commented suggestion with the doubt.
  case unknown(Subject, holders: [HolderGroup])
  /// The other answers (not blocked, deadlock, full pipe, wait for children, …), already in words.
  case text(String)

  /// The blocked process and what it waits on, in words (`pipe:[N] (fd 0)`).
  public struct Subject: Sendable {
    public var pid: Int32
    public var comm: String
    public var waited: String
  }

  /// One holder process, its fds on the other side, its class and the evidence for it.
  public struct HolderGroup: Sendable {
    public var pid: Int32
    public var comm: String
    public var fds: [Int32]
    public var classification: HolderClass
    public var evidence: String
    /// The thread whose own fd table holds them (unshare(CLONE_FILES)); nil: the process's table.
    public var tid: Int32? = nil
  }

  /// The JSON name of the case.
  public var kind: String {
    switch self {
    case .leak: return "leak"
    case .pipelineLeak: return "pipeline_leak"
    case .stoppedLeak: return "stopped_leak"
    case .stillWritten: return "still_written"
    case .peer: return "peer"
    case .ownThread: return "own_thread"
    case .selfHeld: return "self_held"
    case .unknown: return "unknown"
    case .text: return "other"
    }
  }
}

extension HangDiagnosis {
  /// Sets the verdict and its text (the text is rendered from the case, in WhyRenderer).
  mutating func conclude(_ v: Verdict) {
    verdictCase = v
    verdict = v.text
  }
}
