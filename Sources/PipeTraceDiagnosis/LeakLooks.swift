/// How a stuck detector looks at one blocked call whose leak is not proven (yet): again, for as
/// long as the call stays blocked, and never acts twice. Shared by the trace's `--unstick-after`
/// (HangResponder) and `run --on-leak` (RunStuckDetector).
///
/// A first look can come too early to prove anything: the kernel reparents a leaked holder when its
/// parent exits, but the trace collects that exit stop a moment later, so the lineage that proves
/// the adoption is not there yet. So a refused call is looked at again 1 s after the first refusal,
/// then after 2, 4, 8, … s, at most 60 s apart. What is said about it is said once: a refusal that
/// reads the same as the last one said is not repeated. Once acted on, it is never looked at again.
/// The owner drops it when the call ends (returns, or its thread exits or is detached).
package struct LeakLooks {
  /// The wait after the first refusal; each refusal doubles it, up to `longestWait`.
  static let firstWait = 1.0
  static let longestWait = 60.0

  /// The fix was carried out (or started): nothing more is done about this call.
  private(set) var acted = false
  private var nextLook = -Double.infinity
  private var wait = LeakLooks.firstWait
  private var said: String?

  package init() {}

  /// Whether a look at `now` is due: not acted on, and the back-off since the last refusal is over.
  package func isDue(at now: Double) -> Bool { !acted && now >= nextLook }

  /// A look that proved no leak: the next one is due after the back-off. Returns `line` when it
  /// differs from the last line said about this call (to be said now), nil when it would repeat
  /// it or is nil (nothing to say: an idle loop, a call not blocked after all).
  package mutating func refused(_ line: String?, at now: Double) -> String? {
    nextLook = now + wait
    wait = min(wait * 2, LeakLooks.longestWait)
    guard let line, line != said else { return nil }
    said = line
    return line
  }

  /// A look that proved the leak: true the first time (act now), false ever after.
  package mutating func act() -> Bool {
    defer { acted = true }
    return !acted
  }
}
