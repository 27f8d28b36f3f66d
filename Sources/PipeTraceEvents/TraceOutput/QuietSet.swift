/// strace's -q/-qq/-qqq and -e quiet=SET: which of its informational messages to leave out.
public enum QuietMessage: Int, CaseIterable, Sendable {
  /// `Process N attached` / `Process N detached` (on stderr).
  case attach
  /// `+++ exited with N +++` lines.
  case exit
  /// `Requested path "X" resolved into "Y"` for -P (on stderr).
  case pathResolution
  /// `[ Process PID=N runs in 32 bit mode. ]`, strace's personality-change notes.
  case personality
  /// strace's `+++ superseded by execve in pid N +++`; pipetrace prints none.
  case superseded

  /// The names strace accepts in -e quiet=.
  public static func number(_ token: Substring) -> Int? {
    switch token {
    case "attach": return attach.rawValue
    case "exit", "exits": return exit.rawValue
    case "path-resolution": return pathResolution.rawValue
    case "personality": return personality.rawValue
    case "superseded", "thread-execve": return superseded.rawValue
    default: return nil
    }
  }

  /// -q, -qq, -qqq (strace: attach,personality / exit,attach,personality / all).
  public static func set(forQCount count: Int) -> QualifierSet {
    switch count {
    case 0: return .none
    case 1: return QualifierSet([attach.rawValue, personality.rawValue])
    case 2: return QualifierSet([attach.rawValue, personality.rawValue, exit.rawValue])
    default: return .all
    }
  }
}

/// `Process N attached` / `Process N detached` on stderr, as strace prints them (its -q hides them).
/// When the trace itself goes to stderr they go through its buffer, so they keep their place among
/// the trace lines.
public final class AttachMessages: EventSink {
  let traceOnStderr: OutputBuffer?

  /// `traceOnStderr`: the trace's buffer when the trace is written to stderr.
  public init(traceOnStderr: OutputBuffer?) {
    self.traceOnStderr = traceOnStderr
  }

  /// A process the tracer attached to (-p), with how many threads it had.
  public func attached(pid: Int32, threads: Int) {
    say(threads > 1 ? "Process \(pid) attached with \(threads) threads" : "Process \(pid) attached")
  }

  public func handle(_ event: Event) {
    switch event {
    case .fork(_, _, let child, _, _): say("Process \(child) attached")
    case .detached(_, let tid, _): say("Process \(tid) detached")
    default: break
    }
  }

  public func finish() {}

  private func say(_ text: String) {
    let line = "pipetrace: " + text + "\n"
    if let out = traceOnStderr {
      out.append(line)
      out.lineDone()
    } else {
      printError(line)
    }
  }
}
