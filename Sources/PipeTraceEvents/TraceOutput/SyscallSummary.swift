#if canImport(Glibc)
import Glibc
#endif

/// strace -c's table: per syscall the share of time, total seconds, microseconds per call, calls and
/// errors, then a total line, in strace's column layout (count.c). Counts the calls the text output
/// shows (after -e status=, -P, --trace-fds) that returned; a call that never returned (exit_group,
/// a call cut short by the end of its process) is not counted, as in strace.
///
/// The time is system CPU time by default, as strace's: what the calling thread spent running in the
/// kernel between the call's entry and exit stops (ThreadCPUTime). With `.wall` (strace -w) it is the
/// wall-clock time between the two stops, the `-T` duration. Where the kernel does not expose a
/// thread's CPU time the table falls back to wall-clock time and says so above its header.
/// `percentiles` adds pipetrace's p50, p99 and max columns (seconds, same clock) before the name.
public final class SyscallSummary {
  public enum Clock: Sendable { case systemCPU, wall }

  /// strace's -S keys (and their aliases, `SortKey(strace:)`).
  public enum SortKey: Sendable {
    case time, minTime, maxTime, avgTime, wallTotal, wallMin, wallMax, wallAvg, calls, errors, name, nothing

    public init?(strace name: String) {
      switch name {
      case "time", "time_percent", "time-percent", "time_total", "time-total", "total_time", "total-time": self = .time
      case "min_time", "min-time", "shortest", "time_min", "time-min": self = .minTime
      case "longest", "max_time", "max-time", "time_max", "time-max": self = .maxTime
      case "avg_time", "avg-time", "time_avg", "time-avg": self = .avgTime
      case "wall_total", "wall-total", "total_wall", "total-wall": self = .wallTotal
      case "wall_min", "wall-min", "min_wall", "min-wall": self = .wallMin
      case "wall_max", "wall-max", "max_wall", "max-wall": self = .wallMax
      case "wall_avg", "wall-avg", "avg_wall", "avg-wall": self = .wallAvg
      case "calls", "count": self = .calls
      case "error", "errors": self = .errors
      case "name", "syscall", "syscall_name", "syscall-name": self = .name
      case "none", "nothing": self = .nothing
      default: return nil
      }
    }

    var needsWall: Bool {
      switch self {
      case .wallTotal, .wallMin, .wallMax, .wallAvg: return true
      default: return false
      }
    }
  }

  /// The clock the table shows (`.wall` also when system CPU time was asked for but is unreadable).
  public let clock: Clock
  /// Set when `.systemCPU` was asked for and the table shows wall-clock time instead.
  public let fellBackToWall: Bool
  let sortKey: SortKey
  let percentiles: Bool
  private var stats = CallStatistics()
  /// Wall-clock figures for a wall-* sort key while the table shows CPU time.
  private var wallStats: CallStatistics?
  private var all = LogHistogram()
  private let cpu: ThreadCPUTime?
  /// CPU time at each task's current entry stop, then the call's CPU time once it has returned.
  private var cpuAtEntry: [Int32: UInt64] = [:]
  private var cpuOfCall: [Int32: Double] = [:]

  public init(clock: Clock, sortBy: SortKey = .time, percentiles: Bool = false) {
    let cpuReadable = clock == .systemCPU && ThreadCPUTime.available
    self.clock = cpuReadable ? .systemCPU : .wall
    fellBackToWall = clock == .systemCPU && !cpuReadable
    cpu = cpuReadable ? ThreadCPUTime() : nil
    sortKey = sortBy
    self.percentiles = percentiles
    if cpuReadable && sortBy.needsWall { wallStats = CallStatistics() }
  }

  /// Every event, filtered or not: the CPU clock is read at entry and exit stops (while the task is
  /// stopped, so these calls must come from the tracer's event delivery, not later).
  package func observe(_ event: Event) {
    guard let cpu else { return }
    switch event {
    case .syscallEntry(let r):
      cpuAtEntry[r.tid] = cpu.nanoseconds(pid: r.pid, tid: r.tid)
    case .syscall(let r):
      guard let start = cpuAtEntry.removeValue(forKey: r.tid) else { return }
      if r.ret != nil, let end = cpu.nanoseconds(pid: r.pid, tid: r.tid), end >= start {
        cpuOfCall[r.tid] = Double(end - start) * 1e-9
      }
    case .exit(_, let tid, _, _, _, _), .detached(_, let tid, _):
      cpuAtEntry[tid] = nil
      cpuOfCall[tid] = nil
      cpu.forget(tid: tid)
    default:
      break
    }
  }

  /// An event the text output shows.
  package func count(_ event: Event) {
    guard case .syscall(let r) = event, r.ret != nil else { return }
    let wall = max(0, r.duration ?? 0)
    let failed = r.errno != nil
    let d: Double
    if cpu != nil {
      // A call whose entry was not seen (attached in the middle of it) has no CPU figure: 0.
      d = cpuOfCall.removeValue(forKey: r.tid) ?? 0
      wallStats?.add(call: r.call, name: r.name, pid: 0, duration: wall, failed: failed)
    } else {
      d = wall
    }
    // One process slot: like strace -c, only totals over every traced process are kept.
    stats.add(call: r.call, name: r.name, pid: 0, duration: d, failed: failed)
    if percentiles { all.add(d) }
  }

  // MARK: The table

  public func render() -> String {
    var rows = stats.overall()
    let number = { (name: String) in SyscallTable.x86_64.number(of: name) ?? Int.max }
    // strace sorts with a stable qsort over syscall numbers: ties keep syscall-number order.
    rows.sort { (number($0.name), $0.name) < (number($1.name), $1.name) }
    let wall = Dictionary((wallStats?.overall() ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    func key(_ s: CallSummary) -> Double? {
      switch sortKey {
      case .time: return s.total
      case .minTime: return s.min
      case .maxTime: return s.max
      case .avgTime: return s.avg
      case .wallTotal: return (wall[s.name] ?? s).total
      case .wallMin: return (wall[s.name] ?? s).min
      case .wallMax: return (wall[s.name] ?? s).max
      case .wallAvg: return (wall[s.name] ?? s).avg
      case .calls: return Double(s.calls)
      case .errors: return Double(s.errors)
      case .name, .nothing: return nil
      }
    }
    switch sortKey {
    case .nothing: break
    case .name: rows = stableSorted(rows) { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    default: rows = stableSorted(rows) { key($0)! > key($1)! }
    }

    let cum = rows.reduce(0.0) { $0 + $1.total }
    let calls = rows.reduce(0) { $0 + $1.calls }
    let errors = rows.reduce(0) { $0 + $1.errors }
    let avgMax = rows.map { usecsPerCall($0.total, $0.calls) }.max() ?? 0

    var columns: [Column] = [
      Column("% time", width: 6),
      Column("seconds", width: max(11, NumberText.printf(places: 6, cum).utf8.count)),
      Column("usecs/call", width: max(11, String(avgMax).utf8.count)),
      Column("calls", width: max(9, String(calls).utf8.count)),
      Column("errors", width: max(9, String(errors).utf8.count)),
    ]
    if percentiles {
      let longest = Int(rows.map(\.max).max() ?? 0)
      for title in ["p50", "p99", "max"] {
        columns.append(Column(title, width: max(title.utf8.count, "\(longest).000000".utf8.count)))
      }
    }
    let nameWidth = max(16, (rows.map { $0.name.utf8.count }.max() ?? 0) + 1)

    var text = ""
    if fellBackToWall {
      text += "pipetrace: no per-thread CPU time on this kernel (/proc/PID/task/TID/schedstat): "
        + "the seconds below are wall-clock time, as with -w\n"
    }
    func line(_ cells: [String], name: String) {
      for (i, c) in cells.enumerated() {
        if i > 0 { text += " " }
        text += String(repeating: " ", count: max(0, columns[i].width - c.utf8.count)) + c
      }
      text += " " + name + "\n"
    }
    func divider() {
      text += columns.map { String(repeating: "-", count: $0.width) }.joined(separator: " ")
      text += " " + String(repeating: "-", count: nameWidth) + "\n"
    }
    line(columns.map(\.title), name: "syscall")
    divider()
    for r in rows {
      var percent = 100.0 * r.total
      if percent != 0 { percent /= cum }
      var cells = [
        NumberText.printf(places: 2, percent), NumberText.printf(places: 6, r.total), String(usecsPerCall(r.total, r.calls)),
        String(r.calls), r.errors == 0 ? "" : String(r.errors),
      ]
      if percentiles { cells += [r.p50, r.p99, r.max].map { NumberText.printf(places: 6, $0) } }
      line(cells, name: r.name)
    }
    divider()
    var totals = [
      NumberText.printf(places: 2, 100.0), NumberText.printf(places: 6, cum), String(usecsPerCall(cum, calls)), String(calls),
      errors == 0 ? "" : String(errors),
    ]
    if percentiles { totals += [all.quantile(0.5), all.quantile(0.99), all.max].map { NumberText.printf(places: 6, $0) } }
    line(totals, name: "total")
    return text
  }

  private struct Column {
    var title: String
    var width: Int
    init(_ title: String, width: Int) {
      self.title = title
      self.width = width
    }
  }

  /// strace: `(uint64_t) (seconds / calls * 1e6)`, from whole nanoseconds.
  private func usecsPerCall(_ seconds: Double, _ calls: Int) -> UInt64 {
    guard calls > 0 else { return 0 }
    let nanos = UInt64((max(0, seconds) * 1e9).rounded())
    return nanos / UInt64(calls) / 1000
  }

  private func stableSorted(
    _ rows: [CallSummary], by before: (CallSummary, CallSummary) -> Bool
  ) -> [CallSummary] {
    rows.enumerated().sorted { a, b in
      if before(a.element, b.element) { return true }
      if before(b.element, a.element) { return false }
      return a.offset < b.offset
    }.map(\.element)
  }
}
