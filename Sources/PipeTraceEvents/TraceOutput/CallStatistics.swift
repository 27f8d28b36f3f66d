/// Calls, errors and duration percentiles per syscall name, overall and per process: the report's
/// summary tables. Calls (by catalogue ID; names the catalogue lacks by name) and pids become small
/// numbers once, so an update is two array writes.
package struct CallStatistics {
  struct Stats {
    var calls = 0
    var errors = 0
    var total = 0.0
    var histogram = LogHistogram()

    mutating func add(_ d: Double, failed: Bool) {
      calls += 1
      if failed { errors += 1 }
      total += d
      histogram.add(d)
    }
  }

  package init() {}

  /// The slot of each catalogue call, -1 until seen.
  private var callSlots = [Int32](repeating: -1, count: SyscallCatalogue.specs.count)
  /// The slots of names the catalogue does not have.
  private var otherNameSlots = NameTable<Int>()
  private var names: [String] = []
  private var overallStats: [Stats] = []
  /// `processSlot[pid]` indexes `perProcessStats`.
  private var processSlot: [Int32: Int] = [:]
  private var perProcessStats: [[Stats]] = []
  /// The previous call's pid: consecutive calls often repeat it, sparing the lookup.
  private var lastPid: Int32 = -1
  private var lastSlot = -1

  /// `name` is asked for only the first time a call is seen (and for calls the catalogue lacks).
  package mutating func add(call: SyscallID, name: @autoclosure () -> String, pid: Int32, duration d: Double, failed: Bool) {
    let id: Int
    if call.isKnown {
      let known = callSlots[Int(call.index)]
      if known >= 0 {
        id = Int(known)
      } else {
        id = newSlot(name())
        callSlots[Int(call.index)] = Int32(id)
      }
    } else {
      let other = name()
      if let known = otherNameSlots[other] {
        id = known
      } else {
        id = newSlot(other)
        otherNameSlots[other] = id
      }
    }
    overallStats[id].add(d, failed: failed)
    let slot = self.slot(of: pid)
    perProcessStats[slot].grow(to: id + 1, with: Stats())
    perProcessStats[slot][id].add(d, failed: failed)
  }

  private mutating func newSlot(_ name: String) -> Int {
    names.append(name)
    overallStats.append(Stats())
    return names.count - 1
  }

  private mutating func slot(of pid: Int32) -> Int {
    if pid == lastPid { return lastSlot }
    let slot: Int
    if let known = processSlot[pid] {
      slot = known
    } else {
      slot = perProcessStats.count
      processSlot[pid] = slot
      perProcessStats.append([])
    }
    lastPid = pid
    lastSlot = slot
    return slot
  }

  /// Every syscall seen, the most time first.
  package func overall() -> [CallSummary] { summaries(overallStats) }

  /// nil for a process that made no finished call.
  package func perProcess(_ pid: Int32) -> [CallSummary]? {
    processSlot[pid].map { summaries(perProcessStats[$0]) }
  }

  private func summaries(_ stats: [Stats]) -> [CallSummary] {
    stats.enumerated().filter { $0.element.calls > 0 }.map { id, s in
      CallSummary(
        name: names[id],
        calls: s.calls, errors: s.errors, total: s.total,
        avg: s.calls > 0 ? s.total / Double(s.calls) : 0, min: s.histogram.min, p50: s.histogram.quantile(0.5),
        p99: s.histogram.quantile(0.99), max: s.histogram.max)
    }.sorted { ($0.total, $0.calls, $1.name) > ($1.total, $1.calls, $0.name) }
  }
}

extension Array {
  /// Appends `value` until `count >= n`, so index `n - 1` exists.
  mutating func grow(to n: Int, with value: Element) {
    if count < n { append(contentsOf: repeatElement(value, count: n - count)) }
  }
}

/// One syscall's row of a -c summary or a report: counts and wall times.
public struct CallSummary: Sendable {
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
