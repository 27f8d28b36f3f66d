/// One process as /proc shows it at one moment, with each thread's blocked call decoded.
public struct ProcessSnapshot: Sendable {
  public var stat: ProcStat
  public var cmdline: String
  public var threads: [ThreadSnapshot]

  public struct ThreadSnapshot: Sendable {
    public var tid: Int32
    public var state: Character
    public var syscall: SyscallState?
    public var wchan: String?
    /// Decoded when the thread sleeps inside a syscall.
    public var blocked: BlockedCall?
  }

  public var pid: Int32 { stat.pid }
  public var comm: String { stat.comm }

  /// The thread whose wait explains the process: the first one blocked on fds or a child,
  /// else the first one sleeping in any syscall (main thread first).
  public var primaryBlock: BlockedCall? {
    let inCalls = threads.compactMap(\.blocked)
    return inCalls.first { !$0.fds.isEmpty || $0.waitPid != nil } ?? inCalls.first
  }

  /// Its children (every thread's /proc/PID/task/TID/children: a child belongs to the thread
  /// that forked it), zombies included.
  var childPids: [Int32] {
    threads.flatMap { thread in
      (ProcFS.taskFile(pid, tid: thread.tid, "children") ?? "").split(separator: " ").compactMap {
        Int32($0.trimmingCharacters())
      }
    }
  }

  /// True when no thread sleeps in a syscall: it is on a CPU, runnable, stopped or in a fault.
  public var isBlocked: Bool { threads.contains { $0.blocked != nil } }

  /// Reads the process now; nil when it is gone.
  public static func read(_ pid: Int32) -> ProcessSnapshot? {
    guard let stat = ProcStat.read(pid) else { return nil }
    var threads: [ThreadSnapshot] = []
    var i386: Bool?
    for tid in ProcFS.threadIds(of: pid) {
      let tstat = ProcStat.read(pid, tid: tid)
      let state = tstat?.state ?? "?"
      let sys = SyscallState.read(pid, tid: tid)
      let wchan = ProcFS.wchan(pid, tid: tid)
      var blocked: BlockedCall?
      // A thread on a CPU ("R") may still show its last syscall; only sleepers are blocked in one.
      if case .inSyscall(let nr, let args, _, _)? = sys, state == "S" || state == "D" {
        if i386 == nil { i386 = ProcFS.isI386(pid) }
        blocked = BlockedCall.read(pid: pid, tid: tid, number: nr, args: args, i386: i386!, wchan: wchan)
      }
      threads.append(ThreadSnapshot(tid: tid, state: state, syscall: sys, wchan: wchan, blocked: blocked))
    }
    return ProcessSnapshot(stat: stat, cmdline: ProcFS.cmdline(pid), threads: threads)
  }
}
