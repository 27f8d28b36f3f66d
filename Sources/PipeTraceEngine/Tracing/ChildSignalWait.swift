import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Waiting for the next stop among thousands of tracees without the kernel's walk of all of them.
///
/// waitpid(-1) looks at every tracee in turn (wait_consider_task over the tracer's list of tracees),
/// and a wait that finds none ready walks the whole list before it sleeps: with one stop at a time
/// (a deep fork chain, 10,000 processes alive, each but the newest asleep in wait4) nearly every wait
/// does, and the tracer's time per stop grows with the number of tracees (perf: all of it in
/// wait_consider_task). waitpid(tid) looks at that one task only.
///
/// Each stop and exit of a tracee sends the tracer a SIGCHLD whose si_pid names it. The tracer keeps
/// SIGCHLD blocked, so it sleeps in sigtimedwait instead (no walk) and takes the named task with
/// waitpid(tid, WNOHANG). SIGCHLD does not queue: one sent while another is pending is dropped, so
/// a SIGCHLD taken may stand for more stops than the one it names. After each, the tasks likely to
/// have stopped with it are asked one by one (`candidates`: those whose stops came last, a new
/// child, the parent of a task that exited); anything else is found by a sweep, waitpid(-1,
/// WNOHANG) until it finds nothing, owed from the moment a SIGCHLD is taken. An owed sweep is done
/// when the tracees are quiet for a while, at the latest a while after the first SIGCHLD taken since
/// the last sweep, and whenever a wait times out; "a while" is at least `quiet` (`sweepAfter`) and
/// at least 20 times what the last sweep took, so sweeping never costs more than a twentieth of
/// the time. Why nothing is missed: after a sweep that found nothing, every stop not yet taken
/// happened after the last SIGCHLD was taken, so a SIGCHLD is pending.
///
/// Used only with many tracees (below `minTracees` the walk is short and one waitpid per stop is
/// cheaper), and only while the kernel sends SIGCHLD for stops (not ignored, no SA_NOCLDSTOP).
struct ChildSignalWait {
  /// Fewer tracees than this: waitpid(-1) as usual (the spin policy's bound for cheap polls).
  static let minTracees = SpinPolicy.maxTracees + 1
  /// How long the tracees must be quiet, at least, before an owed sweep.
  static let quiet = 0.002
  /// The longest an owed sweep waits, at least, while the tracees keep stopping.
  static let sweepAfter = 0.01
  /// How many candidates are kept.
  static let maxCandidates = 6

  /// What a wait found.
  enum Next {
    /// A task changed state (or no tracee is left: `.noChildren`).
    case wait(WaitResult)
    /// One of the tracer's own signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT), with its si_code.
    case tracerSignal(Int32, code: Int32)
    /// Nothing within the timeout, or the wait was interrupted (the wake-up timer).
    case idle
  }

  /// The kernel reports tracee stops with SIGCHLD to this process.
  let usable = ct_sigchld_reports_stops() != 0
  /// A SIGCHLD was taken since the last sweep that found nothing: stops may be waiting unannounced.
  private var owed = true
  /// CLOCK_MONOTONIC when `owed` was set.
  private var owedSince = -Double.infinity
  /// The next wait sweeps (a sweep found a stop: there may be more).
  private var sweeping = true
  /// How long the last sweep that found nothing took.
  private var sweepCost = 0.0
  /// A SIGCHLD was taken since the candidates were last asked.
  private var askCandidates = false
  /// Tasks likely to stop unannounced, the likeliest first.
  private(set) var candidates: [Int32] = []

  /// Whether to wait this way with `tracees` tracees.
  func applies(tracees: Int) -> Bool { usable && tracees >= Self.minTracees }

  /// The tracer waited some other way: from now on sweep first.
  mutating func forget() {
    sweeping = true
  }

  /// A SIGCHLD was taken (here or by the tracer's own check for its signals).
  mutating func took(now: Double) {
    askCandidates = true
    if !owed {
      owed = true
      owedSince = now
    }
  }

  /// `tid` is likely to stop soon (a new child, the parent of a task that exited).
  mutating func expect(_ tid: Int32) {
    candidates.removeAll { $0 == tid }
    candidates.insert(tid, at: 0)
    if candidates.count > Self.maxCandidates { candidates.removeLast() }
  }

  /// The next stop, one of the tracer's signals, or `.idle` after `timeout` seconds without either
  /// (or when the wake-up timer interrupted the wait).
  mutating func next(timeout: Double) -> Next {
    while true {
      let now = Clock.monotonic()
      let spacing = max(Self.sweepAfter, 20 * sweepCost)
      if sweeping || (owed && now - owedSince >= spacing) {
        let r = WaitResult.wait(block: false)
        guard case .nothing = r else {
          sweeping = true
          return found(r)
        }
        sweeping = false
        owed = false
        sweepCost = Clock.monotonic() - now
      }
      if askCandidates {
        askCandidates = false
        for tid in candidates {
          let r = WaitResult.wait(tid, block: false)
          if case .stop = r {
            // The others may have stopped too.
            askCandidates = true
            return found(r)
          }
          if case .failed(.ECHILD) = r { candidates.removeAll { $0 == tid } }
        }
      }
      // While a sweep is owed, sleep only until the tracees go quiet.
      let wait = owed ? min(timeout, max(Self.quiet, 20 * sweepCost)) : timeout
      var code: Int32 = 0
      var pid: pid_t = 0
      let sig = ct_take_tracer_signal(Int32((wait * 1000).rounded(.up)), &code, &pid)
      if sig == SIGCHLD {
        took(now: now)
        // The task it names (none waiting: a sweep or a candidate's wait took its stop already,
        // or it is no tracee).
        if pid > 0 {
          let r = WaitResult.wait(pid, block: false)
          if case .stop = r { return found(r) }
        }
        continue
      }
      if sig > 0 { return .tracerSignal(sig, code: code) }
      // Quiet (or interrupted): whatever may wait unannounced is found now.
      sweeping = true
      if sig < 0 || !owed || wait >= timeout { return .idle }
    }
  }

  /// A task that stopped is likely to stop again soon; one that is gone, never.
  private mutating func found(_ r: WaitResult) -> Next {
    if case .stop(let tid, let stop) = r {
      if stop.isTermination {
        candidates.removeAll { $0 == tid }
      } else {
        expect(tid)
      }
    }
    return .wait(r)
  }
}
