import CTrace
#if canImport(Glibc)
import Glibc
#endif

/// `why --all`: every task on the machine blocked for at least a given time in a call that waits on
/// another process (a read, poll, select, epoll wait, wait4/waitid, or a `restart_syscall`
/// continuing a poll), each explained as `why PID` explains it, sorted into the stuck (a proven
/// leak, a deadlock, a wait nothing can end) and the healthy (pipelines, peers, idle loops).
///
/// One pass over /proc: each task's stat and syscall file once, one scan of every fd table (the
/// holder index `why` uses), and one analyzer for all candidates, so a process met in several
/// chains is read once.
public struct HangSurvey: Sendable {
  /// One blocked process and what `why` says of it.
  public struct Entry: Sendable {
    public var diagnosis: HangDiagnosis
    /// The thread whose call was found blocked longest, and for how long (seconds).
    public var tid: Int32
    public var blockedFor: Double
    public var category: Category
    /// Its ancestors that are blocked because it is: in wait4/waitid for it, or reading a pipe its
    /// pipeline holds, with the same fix. They go on when it does.
    public var dependents: [Dependent]
  }

  public struct Dependent: Sendable {
    public var pid: Int32
    public var comm: String
    /// The call it is blocked in (`wait4`, `pselect6`, …).
    public var syscall: String
  }

  /// What a blocked process's wait is, for `why --all`'s sorting.
  public enum Category: String, Sendable, CaseIterable {
    /// Blocked on a proven leak: `why PID` prints a Fix (none while the holder is stopped).
    case leak
    /// Part of a wait-for cycle: nothing can move.
    case deadlock
    /// Blocked on something no other process can give it: an EOF only it could cause (it holds
    /// the write end itself, with no other thread).
    case never
    /// Holders pipetrace cannot classify (`why PID` prints the close only as a commented
    /// suggestion): listed with --verbose, counted otherwise.
    case unknown
    /// Waiting on live work, a peer, a terminal.
    case waiting
    /// An event loop waiting on its own wakeup channel.
    case idle

    /// Listed by `why --all` without `--verbose`.
    public var isStuck: Bool { self == .leak || self == .deadlock || self == .never }
  }

  /// The minimum blocked time asked for (seconds).
  public var minimum: Double
  /// Blocked processes, longest-blocked first.
  public var entries: [Entry]
  /// Processes blocked waiting for a child that is not stuck (counted, not diagnosed).
  public var waitingOnChildren: Int
  /// Processes whose tasks' syscall state pipetrace may not read (another user's, without privilege).
  public var uninspected: [Int32]
  /// Processes and tasks looked at.
  public var processCount: Int
  public var taskCount: Int
  /// How blocked time was measured: from the scheduler's last run time of each task
  /// (`/proc/PID/task/TID/sched`), or not at all where that file is missing (a kernel without
  /// CONFIG_SCHED_DEBUG): then every task in such a call counts.
  public var timing: Timing

  public enum Timing: String, Sendable {
    case scheduler
    case unavailable
  }

  public var stuck: [Entry] { entries.filter { $0.category.isStuck } }
  public var healthy: [Entry] { entries.filter { !$0.category.isStuck } }

  /// `why --all`'s exit status: 0 nothing stuck, 2 something stuck.
  public var exitStatus: Int32 { stuck.isEmpty ? 0 : 2 }

  /// Surveys the machine now (or only `pids`: an autopsy of one process tree).
  ///
  /// Tasks blocked on fds (reads, writes, polls, selects, epoll waits, a poll's restart) are
  /// diagnosed; tasks waiting for a child are not diagnosed on their own (a wait chain would be
  /// explained once per generation): each is attached to the stuck process below it, if any, and
  /// otherwise counted as waiting on live work. A deadlock through a wait4 is still found, from the
  /// child's side (it is blocked writing to the pipe its parent would read).
  public static func scan(minimum: Double, pids: [Int32]? = nil) -> HangSurvey {
    var clock = SchedulerClock.Now()
    var fdWaits: [(pid: Int32, tid: Int32, blockedFor: Double)] = []
    var childWaits: [Int32: (tid: Int32, blockedFor: Double)] = [:]
    var uninspected: [Int32] = []
    var processes = 0, tasks = 0
    let me = getpid()
    for pid in pids ?? ProcFS.allPids() where pid != me {
      var unreadable = false
      var onFds: (tid: Int32, blockedFor: Double)?
      var onChild: (tid: Int32, blockedFor: Double)?
      var table: SyscallTable?
      var counted = false
      // The leader's task comes first (tids sort and the leader's tid is the pid): its stat says
      // whether this is a kernel thread or a zombie, without a second read of /proc/PID/stat.
      for tid in ProcFS.threadIds(of: pid) {
        guard let t = ProcStat.read(pid, tid: tid) else { continue }
        if !counted {
          if t.isKernelThread || (tid == pid && t.isZombie) { break }
          counted = true
          processes += 1
        }
        tasks += 1
        guard t.state == "S" || t.state == "D" else { continue }
        guard let state = SyscallState.read(pid, tid: tid) else {
          unreadable = true
          continue
        }
        guard case .inSyscall(let nr, _, _, _) = state else { continue }
        if table == nil { table = ProcFS.isI386(pid) ? SyscallTable.i386 : .x86_64 }
        guard let kind = waitKind(table!.row(nr)) else { continue }
        let blocked = clock.now(cpu: t.processor).flatMap { SchedulerClock.blockedFor(pid: pid, tid: tid, now: $0) } ?? .infinity
        guard blocked >= minimum else { continue }
        if kind == .fds, blocked > onFds?.blockedFor ?? -1 { onFds = (tid, blocked) }
        if kind == .child, blocked > onChild?.blockedFor ?? -1 { onChild = (tid, blocked) }
      }
      if unreadable, onFds == nil, onChild == nil { uninspected.append(pid) }
      if let onFds { fdWaits.append((pid, onFds.tid, onFds.blockedFor)) } else if let onChild { childWaits[pid] = onChild }
    }
    var analyzer = WaitForAnalyzer(index: PipeHolderIndex.scan())
    var entries: [Entry] = []
    for candidate in fdWaits {
      guard let snapshot = analyzer.snapshot(candidate.pid), !snapshot.stat.isZombie else { continue }
      let diagnosis = analyzer.diagnose(snapshot)
      guard let category = category(of: diagnosis) else { continue }
      entries.append(Entry(diagnosis: diagnosis, tid: candidate.tid, blockedFor: candidate.blockedFor.isFinite ? candidate.blockedFor : -1,
                           category: category, dependents: []))
    }
    // An ancestor blocked on fds with the same fix (a shell reading the pipeline the stuck reader
    // belongs to) is that reader's dependent, not a second entry.
    let stuckByPid = Dictionary(entries.enumerated().filter { $0.element.category.isStuck }.map { ($0.element.diagnosis.pid, $0.offset) },
                                uniquingKeysWith: { a, _ in a })
    var folded = Set<Int>()
    for i in entries.indices where entries[i].category.isStuck {
      guard let fix = entries[i].diagnosis.fix else { continue }
      var next = entries[i].diagnosis.pid
      var hops = 0
      while hops < 4096, let parent = analyzer.snapshot(next)?.stat.ppid, parent > 1 {
        if let j = stuckByPid[parent], j != i, !folded.contains(j), entries[j].diagnosis.fix?.closes == fix.closes {
          folded.insert(j)
        }
        next = parent
        hops += 1
      }
    }
    // Each process waiting for a child joins the first stuck process below it; the rest are
    // waiting on live work (a child that runs, or one whose own wait is healthy).
    var attached = Set<Int32>()
    for i in entries.indices where entries[i].category.isStuck && !folded.contains(i) {
      var next = entries[i].diagnosis.pid
      var hops = 0
      while hops < 4096, let parent = analyzer.snapshot(next)?.stat.ppid, parent > 1, !attached.contains(parent) {
        if let j = stuckByPid[parent], folded.contains(j) {
          entries[i].dependents.append(Dependent(pid: parent, comm: entries[j].diagnosis.comm,
                                                 syscall: entries[j].diagnosis.blocked?.syscall ?? "?"))
        } else if let wait = childWaits[parent], let p = analyzer.snapshot(parent) {
          let call = p.threads.first { $0.tid == wait.tid }?.blocked?.syscall ?? SyscallID.wait4.name
          entries[i].dependents.append(Dependent(pid: parent, comm: p.comm, syscall: call))
        } else {
          break
        }
        attached.insert(parent)
        next = parent
        hops += 1
      }
    }
    entries = entries.enumerated().filter { !folded.contains($0.offset) }.map(\.element)
    let waitingOnChildren = childWaits.keys.filter { !attached.contains($0) }.count
    entries.sort { ($0.blockedFor, $1.diagnosis.pid) > ($1.blockedFor, $0.diagnosis.pid) }
    return HangSurvey(minimum: minimum, entries: entries, waitingOnChildren: waitingOnChildren, uninspected: uninspected,
                      processCount: processes, taskCount: tasks, timing: clock.available ? .scheduler : .unavailable)
  }

  enum WaitKind { case fds, child }

  /// What a call waits on, by its row in the task's ABI's table: fds (reads, writes, polls,
  /// selects, epoll waits, and `restart_syscall`, which may continue a poll: the diagnosis tells)
  /// or a child (wait4, waitid); nil for anything else.
  static func waitKind(_ row: SyscallRow) -> WaitKind? {
    if row.traits.contains(.continuesCall) { return .fds }
    if row.traits.contains(.waitsOnChild) { return .child }
    return row.traits.isDisjoint(with: [.readsFd, .writesFd, .waitsOnFds]) ? nil : .fds
  }

  /// The category of a diagnosis; nil when it turned out not to be blocked after all.
  static func category(of d: HangDiagnosis) -> Category? {
    switch d.outcome {
    case .fix: return .leak
    case .idle: return .idle
    case .notBlocked, .unreadable: return nil
    case .noFix:
      if d.cycle != nil { return .deadlock }
      if d.blocked?.sleepsOnly == true { return nil }
      switch d.verdictCase {
      case .stoppedLeak: return .leak
      case .selfHeld: return .never
      case .unknown: return .unknown
      default: return .waiting
      }
    }
  }
}

/// The scheduler's clock, as /proc/PID/task/TID/sched shows it (`se.exec_start`, milliseconds of
/// the runqueue clock when the task last got a CPU). The runqueue clock is not CLOCK_MONOTONIC
/// (they drift apart by seconds on a VM), so "now" is this thread's own `se.exec_start`, read while
/// it runs on the CPU the task last ran on (`Now`): a blocked task's time since it last ran is the
/// difference.
enum SchedulerClock {
  /// Milliseconds on the scheduler's clock now, of the CPU this thread runs on; nil when the
  /// kernel has no sched files.
  static func now() -> Double? { execStart(ProcFS.ownThreadPath("sched")) }

  /// "Now" on each CPU's clock, read on that CPU once per survey. Each CPU's runqueue has its
  /// own clock, and on a VM two of them may differ by more than any `--min` (0.56 s between the
  /// two CPUs of the machine this was written on): a task's time since it last ran is measured
  /// on the clock of the CPU it last ran on. Where this thread may not run on that CPU (a
  /// cpuset), or the CPU is not known, its own CPU's clock stands in.
  struct Now {
    private var byCPU: [Int32: Double] = [:]
    private let here = SchedulerClock.now()
    var available: Bool { here != nil }

    mutating func now(cpu: Int32?) -> Double? {
      guard let cpu, here != nil else { return here }
      if let known = byCPU[cpu] { return known }
      // One try per CPU: a CPU this thread may not run on keeps its own clock's stand-in, not a
      // failed pin for each of its tasks.
      var saved = ct_cpu_mask()
      var there: Double?
      if ct_pin_to_cpu(cpu, &saved) == 0 {
        there = SchedulerClock.now()
        _ = ct_restore_affinity(&saved)
      }
      byCPU[cpu] = there ?? here
      return there ?? here
    }
  }

  static func blockedFor(pid: Int32, tid: Int32, now: Double) -> Double? {
    execStart(ProcFS.taskPath(pid, tid: tid, "sched")).map { max(0, (now - $0) / 1000) }
  }

  static func execStart(_ path: String) -> Double? {
    guard let bytes = ProcFS.readBytes(path) else { return nil }
    // `se.exec_start    :     522906.540784` (the third line): the number after the colon.
    let key = Array("se.exec_start".utf8)
    guard let at = firstRange(of: key, in: bytes), let colon = bytes[at...].firstIndex(of: UInt8(ascii: ":")) else { return nil }
    var whole: Double = 0, scale: Double = 0
    var seen = false
    for b in bytes[(colon + 1)...] {
      if b == UInt8(ascii: " ") && !seen { continue }
      if b == UInt8(ascii: "."), scale == 0 { scale = 1; continue }
      guard b >= 0x30 && b <= 0x39 else { break }
      seen = true
      if scale == 0 { whole = whole * 10 + Double(b - 0x30) } else { scale /= 10; whole += Double(b - 0x30) * scale }
    }
    return seen ? whole : nil
  }

  private static func firstRange(of key: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= key.count else { return nil }
    for i in 0...(bytes.count - key.count) where bytes[i] == key[0] && bytes[i..<(i + key.count)].elementsEqual(key) {
      return i
    }
    return nil
  }
}

/// Text and JSON forms of a survey.
extension HangSurvey {
  /// One line per stuck process (all blocked ones with `verbose`), its Fix under it where `why PID`
  /// would print one, then a summary. Strings from other processes are escaped as `why` escapes them.
  public func render(verbose: Bool) -> String {
    let shown = DisplayText.escape
    var lines: [String] = []
    for entry in verbose ? entries : stuck {
      let d = entry.diagnosis
      let time = entry.blockedFor >= 0 ? String(format1(entry.blockedFor)) + " s" : "unknown time"
      lines.append("\(d.pid) \(shown(d.comm)) [\(entry.category.rawValue), blocked \(time)]: \(d.verdict)")
      if !entry.dependents.isEmpty {
        lines.append("  blocked until it goes on: " + entry.dependents.map { "\($0.pid) \(shown($0.comm)) (\($0.syscall))" }
          .joined(separator: ", "))
      }
      if let fix = d.fix { lines.append("  Fix: \(fix.command)") }
    }
    let counts = Category.allCases.compactMap { c -> String? in
      let n = entries.filter { $0.category == c }.count
      return n == 0 ? nil : "\(n) \(c.rawValue)"
    }
    let plural = entries.count == 1 ? "" : "es"
    lines.append("\(stuck.count) stuck of \(entries.count) process\(plural) blocked at least \(format1(minimum)) s"
      + (counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))")
      + (waitingOnChildren > 0 ? "; \(waitingOnChildren) waiting for children that are not stuck" : "")
      + "; \(processCount) processes, \(taskCount) tasks looked at"
      + (!verbose && !healthy.isEmpty ? "; --verbose lists the healthy ones" : "") + ".")
    if timing == .unavailable {
      lines.append("Blocked time unknown: this kernel has no /proc/PID/task/TID/sched; every task in such a call was counted.")
    }
    if !uninspected.isEmpty {
      lines.append("Not inspected: \(uninspected.count) process\(uninspected.count == 1 ? "" : "es") whose syscall state "
        + "pipetrace may not read (another user's; run as root or as that user).")
    }
    // As in `why`: nothing from another process reaches the terminal unescaped.
    return lines.map { line in line.contains { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) } ? shown(line) : line }
      .joined(separator: "\n") + "\n"
  }

  public var jsonValue: JSONValue {
    .object([
      ("min", .fixed(minimum, places: 3)),
      ("timing", .string(timing.rawValue)),
      ("processes", .int(Int64(processCount))),
      ("tasks", .int(Int64(taskCount))),
      ("stuck", .int(Int64(stuck.count))),
      ("waiting_on_children", .int(Int64(waitingOnChildren))),
      ("exit_status", .int(Int64(exitStatus))),
      ("entries", .array(entries.map { e in
        .object([
          ("pid", .int(Int64(e.diagnosis.pid))), ("tid", .int(Int64(e.tid))),
          ("blocked_for", e.blockedFor >= 0 ? .fixed(e.blockedFor, places: 3) : .null),
          ("category", .string(e.category.rawValue)), ("stuck", .bool(e.category.isStuck)),
          ("dependents", .array(e.dependents.map {
            .object([("pid", .int(Int64($0.pid))), ("comm", .string($0.comm)), ("syscall", .string($0.syscall))])
          })),
          ("diagnosis", e.diagnosis.jsonValue),
        ])
      })),
      ("uninspected", .int(Int64(uninspected.count))),
      ("uninspected_pids", .array(uninspected.prefix(10_000).map { .int(Int64($0)) })),
    ])
  }

  public func json() -> String { jsonValue.text + "\n" }

  private func format1(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }
}
