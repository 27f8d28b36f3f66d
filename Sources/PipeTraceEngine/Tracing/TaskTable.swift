/// Every task a tracer traces, by thread id, with the threads of each process (thread group) kept
/// alongside: what asks about a process costs what that process has threads, not what the trace
/// has tasks (a deep fork chain has thousands). A task is filed under the tgid it has when it is
/// stored; a task that changes process goes through `move(_:toProcess:)`.
package final class TaskTable {
  private var byTid: [Int32: Tracee] = [:]
  /// The threads of each traced process, by tid; no empty entry.
  private var byTgid: [Int32: [Int32: Tracee]] = [:]

  package subscript(tid: Int32) -> Tracee? {
    get { byTid[tid] }
    set {
      if let old = byTid[tid] { unfile(tid, from: old.tgid) }
      byTid[tid] = newValue
      if let t = newValue { byTgid[t.tgid, default: [:]][tid] = t }
    }
  }

  var isEmpty: Bool { byTid.isEmpty }
  var count: Int { byTid.count }
  /// Every task, in no particular order.
  var all: Dictionary<Int32, Tracee>.Values { byTid.values }

  /// The traced processes (thread group ids).
  var processes: Set<Int32> { Set(byTgid.keys) }

  /// Whether any thread of `tgid` is traced.
  func isTracing(process tgid: Int32) -> Bool { byTgid[tgid] != nil }

  /// The traced threads of process `tgid`, in no particular order.
  func threads(of tgid: Int32) -> [Tracee] { byTgid[tgid].map { Array($0.values) } ?? [] }

  /// `t` (stored) belongs to process `tgid` after all (its fork event said so).
  func move(_ t: Tracee, toProcess tgid: Int32) {
    guard t.tgid != tgid, byTid[t.tid] === t else {
      t.tgid = tgid
      return
    }
    unfile(t.tid, from: t.tgid)
    t.tgid = tgid
    byTgid[tgid, default: [:]][t.tid] = t
  }

  private func unfile(_ tid: Int32, from tgid: Int32) {
    byTgid[tgid]?[tid] = nil
    if byTgid[tgid]?.isEmpty == true { byTgid[tgid] = nil }
  }

  /// `pids` and every traced process they forked (and those forked), as the fork events showed.
  func withDescendants(_ pids: Set<Int32>) -> Set<Int32> {
    var all = pids
    var children: [Int32: [Int32]] = [:]
    for t in byTid.values where t.tid == t.tgid {
      if let p = t.parentTgid { children[p, default: []].append(t.tgid) }
    }
    var queue = Array(pids)
    while let p = queue.popLast() {
      for c in children[p] ?? [] where all.insert(c).inserted { queue.append(c) }
    }
    return all
  }
}
