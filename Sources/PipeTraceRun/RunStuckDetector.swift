import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `run`'s stuck detector: a task of the tree blocked `stuckAfter` seconds on a proven leak inside
/// the command's own pipeline (`{ sleep 300 & echo hi; } | wc -l`) is named, unstuck or ended.
///
/// `run` does not stop the tree at syscalls (it traces lifetimes only), so blocked tasks are found
/// from /proc on each tick: every thread of every live process of the tree, its
/// /proc/PID/task/TID/syscall (which call, with which arguments) and schedstat (CPU time, wait time,
/// times scheduled). A thread whose two files read the same on two ticks has not run in between: it
/// has been blocked in that one call since the first of them. Only calls that can wait on another
/// process's fds (reads, polls, selects, epoll waits, restart_syscall) are followed; one blocked
/// `stuckAfter` seconds gets a `why` diagnosis (`diagnoseHang`), and while it proves no leak another
/// one after a back-off (`LeakLooks`: 1, 2, 4, … s, at most 60 s apart) for as long as the call stays
/// blocked; a proven leak is answered once per blocked call.
///
/// Acts only where `why` proves a leak: `outcome == .fix` with a `fix` (`why` gives one only for a
/// leaked holder, never for a pipeline stage, a server, a self-pipe or an unknown). Only holders in
/// the traced tree are touched: `close` puts /dev/null in place of their leaked fds through the
/// trace, `kill` sends them (and what they started) SIGTERM, then SIGKILL after `grace`; `report`
/// names the leak on stderr and waits on.
final class RunStuckDetector: TraceTicker {
  let stuckAfter: Double
  let action: CommandRunner.LeakAction
  let grace: Double
  let tree: ProcessTree
  /// One line for the user (stderr).
  let say: (String) -> Void
  let found: Findings
  /// Per thread: what its /proc files read when it was first seen in this call, since when, and
  /// when it is to be looked at again (or whether it has been answered).
  private var watched: [Int32: Watch] = [:]
  /// Holders sent SIGTERM: SIGKILL at `at` to those still alive.
  private var pendingKills: [(pids: Set<Int32>, at: Double)] = []

  private struct Watch {
    var pid: Int32
    var state: String
    var since: Double
    var looks = LeakLooks()
  }

  /// The leaks found and what was done, read from any thread.
  final class Findings: Sendable {
    private let list = Mutex<[RunRecord.Stuck]>([])
    func append(_ f: RunRecord.Stuck) { list.withLock { $0.append(f) } }
    var all: [RunRecord.Stuck] { list.withLock { $0 } }
  }

  init(stuckAfter: Double, action: CommandRunner.LeakAction, grace: Double, tree: ProcessTree,
       found: Findings, say: @escaping (String) -> Void) {
    self.found = found
    self.stuckAfter = stuckAfter
    self.action = action
    self.grace = grace
    self.tree = tree
    self.say = say
  }

  /// A quarter of the threshold, between 10 ms and 1 s: a leak is named between `stuckAfter` and
  /// `stuckAfter` + this.
  var tickInterval: Double { max(0.01, min(1, stuckAfter / 4)) }

  func tick(now: Double, tracer: Tracer) {
    var seen = Set<Int32>()
    for pid in tree.livePids {
      for tid in ProcFS.threadIds(of: pid) {
        guard let state = Self.waitState(pid: pid, tid: tid) else { continue }
        seen.insert(tid)
        if var w = watched[tid], w.pid == pid, w.state == state {
          if now - w.since >= stuckAfter && w.looks.isDue(at: now) {
            respond(pid: pid, tid: tid, blockedFor: now - w.since, now: now, looks: &w.looks, tracer: tracer)
            watched[tid] = w
          }
        } else {
          watched[tid] = Watch(pid: pid, state: state, since: now)
        }
      }
    }
    watched = watched.filter { seen.contains($0.key) }
    let due = pendingKills.filter { now >= $0.at }
    pendingKills.removeAll { now >= $0.at }
    for k in due { tracer.requestKill(.processes(k.pids)) }
  }

  /// What a thread blocked in a call that may wait on another process reads in its
  /// /proc/PID/task/TID/syscall and schedstat; nil when it runs, or waits on something else.
  static func waitState(pid: Int32, tid: Int32) -> String? {
    guard let text = ProcFS.taskFile(pid, tid: tid, "syscall"), case .inSyscall(let nr, _, _, _)? = SyscallState.parse(text)
    else { return nil }
    let row = SyscallTable.x86_64.row(nr)
    guard row.traits.contains(.continuesCall) || row.traits.contains(.readsFd) || row.traits.contains(.waitsOnFds) else { return nil }
    // Unchanged schedstat: not scheduled since (no wakeup, even a spurious one).
    guard let sched = ProcFS.taskFile(pid, tid: tid, "schedstat") else { return nil }
    return text + sched
  }

  private func respond(pid: Int32, tid: Int32, blockedFor: Double, now: Double, looks: inout LeakLooks, tracer: Tracer) {
    // The contract: a fix only for a proven leak. Not proven (yet): nothing said, looked at again.
    guard let diagnosis = try? diagnoseHang(pid: pid), diagnosis.outcome == .fix, let fix = diagnosis.fix else {
      _ = looks.refused(nil, at: now)
      return
    }
    guard looks.act() else { return }
    let comm = DisplayText.escape(diagnosis.comm)
    let call = diagnosis.blocked?.syscall ?? "a call"
    // Only holders this run traces: what the command started, nothing else on the machine.
    let closes = fix.closes.filter { tracer.isTracing(process: $0.pid) }
    var line = "pipetrace: run: \(comm) (pid \(pid)) blocked for \(NumberText.fixed(blockedFor, places: 1)) s in \(call) "
      + "on a leaked pipe: \(diagnosis.verdict)"
    let entry = RunRecord.Stuck(
      pid: pid, tid: tid, comm: diagnosis.comm, syscall: call, blockedFor: blockedFor, verdict: diagnosis.verdict,
      fix: fix.command, holders: fix.closes.map { .init(pid: $0.pid, fds: $0.fds) }, action: closes.isEmpty ? .report : action)
    found.append(entry)
    switch entry.action {
    case .report:
      line += "\n  Fix: \(fix.command)"
      if action != .report { line += "\n  (not \(action.rawValue == "close" ? "closed" : "ended"): no holder is part of this run's tree)" }
      say(line)
    case .close:
      say(line + "\n  closing the leaked fds: " + closes.map { "\($0.pid):\($0.fds.map(String.init).joined(separator: ","))" }.joined(separator: " "))
      for close in closes {
        HangResponder.perform(close, tracer: tracer) { [say] result in
          switch result {
          case .success(let results):
            for (fd, outcome) in results {
              say("pipetrace: run: inject-close \(close.pid) fd \(fd) (\(DisplayText.escape(close.expect))): \(outcome.text)")
            }
          case .failure(let error):
            say("pipetrace: run: inject-close \(close.pid) failed: \(error)")
          }
        }
      }
    case .kill:
      let pids = Set(closes.map(\.pid))
      say(line + "\n  ending the holders: " + pids.sorted().map(String.init).joined(separator: " ")
        + " (SIGTERM, SIGKILL after \(NumberText.fixed(grace, places: 1)) s)")
      tracer.requestKill(.processes(pids), signal: SIGTERM)
      pendingKills.append((pids, Clock.monotonic() + grace))
    }
  }
}
