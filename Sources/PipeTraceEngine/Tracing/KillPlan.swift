import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension Tracer {
  /// Which processes a kill ends.
  public enum KillScope: Sendable {
    /// Every tracee and every task they create from now on: the loop ends when none is left.
    case all
    /// These processes and every process they (or the children killed with them) create.
    case processes(Set<Int32>)
  }
}

/// The ends asked of a tracer (`Tracer.requestKill`): which processes are being ended and with
/// which signal, grown by every child they create, and whether all of them are gone. Requests come
/// from any thread; the loop takes them, and everything else, on the tracer thread.
final class KillPlan {
  private let tracees: TaskTable
  /// Set from any thread: the ends asked for, taken by the loop in order.
  private let endRequests = Mutex<[(scope: Tracer.KillScope, signal: Int32)]>([])
  /// What the loop is ending, and with which signal: every tracee, or these processes and every
  /// child they create from then on. New children in scope get the signal at their first sight.
  private var ending: (scope: Tracer.KillScope, signal: Int32)?
  private let killedPids = Mutex<[Int32]>([])
  /// False from a `requestKill` until the loop has sent its signal and no process in its scope is
  /// left traced (all of them have exited).
  private let endComplete = Atomic<Bool>(true)

  init(tracees: TaskTable) {
    self.tracees = tracees
  }

  /// Safe from any thread.
  func request(_ scope: Tracer.KillScope, signal: Int32) {
    endRequests.withLock {
      $0.append((scope, signal))
      endComplete.store(false, ordering: .releasing)
    }
  }

  /// Whether every process of the last request has exited. Safe from any thread.
  var complete: Bool { endComplete.load(ordering: .acquiring) }

  /// Every process SIGKILLed, in order. Safe from any thread.
  var killed: [Int32] { killedPids.withLock { $0 } }

  /// Starts the ends asked for since the last call, in order.
  func takeRequests() {
    for r in endRequests.withLock({ r in defer { r.removeAll() }; return r }) { beginKill(r.scope, signal: r.signal) }
  }

  /// The trace is over: nothing is left to end.
  func markComplete() { endComplete.store(true, ordering: .releasing) }

  private func beginKill(_ scope: Tracer.KillScope, signal: Int32) {
    let traced = tracees.processes
    var targets: Set<Int32>
    switch (ending?.scope, scope) {
    case (.all?, _), (_, .all):
      ending = (.all, signal)
      targets = traced
    case (.processes(let before)?, .processes(let pids)):
      // The same processes again (SIGKILL after SIGTERM): with the children born since.
      targets = tracees.withDescendants(before.union(pids))
      ending = (.processes(targets), signal)
    case (nil, .processes(let pids)):
      targets = tracees.withDescendants(pids)
      ending = (.processes(targets), signal)
    }
    // Only tracees: a traced pid cannot be reused before this tracer has reaped it.
    for p in targets.intersection(traced).sorted() { endProcess(p) }
  }

  func checkEnded() {
    guard let e = ending else { return }
    let left: Bool
    switch e.scope {
    case .all: left = !tracees.isEmpty
    case .processes(let pids): left = pids.contains(where: tracees.isTracing(process:))
    }
    if left { return }
    endRequests.withLock { if $0.isEmpty { endComplete.store(true, ordering: .releasing) } }
  }

  /// Whether a new process `tgid`, child of `parent`, is to be ended with those being ended.
  func inKillScope(parent: Int32, tgid: Int32) -> Bool {
    switch ending?.scope {
    case nil: return false
    case .all?: return true
    case .processes(let pids)?: return pids.contains(parent) || pids.contains(tgid)
    }
  }

  func endProcess(_ tgid: Int32) {
    guard let e = ending else { return }
    if case .processes(let pids) = e.scope, !pids.contains(tgid) { ending = (.processes(pids.union([tgid])), e.signal) }
    // ESRCH: already gone. A traced process dies of SIGKILL even while it is stopped.
    guard kill(tgid, e.signal) == 0, e.signal == SIGKILL else { return }
    killedPids.withLock { if !$0.contains(tgid) { $0.append(tgid) } }
  }
}
