/// Attaching to running processes: the checks that give a clear reason instead of a bare EPERM,
/// then PTRACE_SEIZE + PTRACE_INTERRUPT of every thread (no SIGSTOP is ever sent, so a waiting
/// shell notices nothing), and with `tree` of every existing descendant too.
enum Attacher {
  /// One thread seized and asked to stop; its first stop reaches the tracer's loop.
  struct SeizedThread {
    var tid: Int32
    var tgid: Int32
  }

  /// Seizes every thread of each pid (and with `tree`, of every descendant), handing each to
  /// `register` at once (so a later error leaves nothing seized that the tracer does not know).
  /// A descendant that vanished meanwhile is skipped; a named pid that cannot be attached is an error.
  static func attach(
    _ pids: [Int32], tree: Bool, options: Ptrace.Options, seen: (Int32) -> Bool, register: (SeizedThread) -> Void
  ) throws(TraceError) {
    var all: [Int32] = []
    for pid in pids {
      try checkAttachable(pid)
      all.append(pid)
      if tree { all.append(contentsOf: ProcStatus.descendants(of: pid)) }
    }
    var done = Set<Int32>()
    for pid in all where !done.contains(pid) && !seen(pid) {
      done.insert(pid)
      do {
        try seizeProcess(pid, options: options, register: register)
      } catch {
        if pids.contains(pid) { throw error }
      }
    }
  }

  static func checkAttachable(_ pid: Int32) throws(TraceError) {
    guard pid > 0 else { throw .invalidPid(String(pid)) }
    if pid == getpid() { throw .isSelf(pid) }
    guard let s = ProcStatus(pid: pid) else { throw .noSuchProcess(pid) }
    // A thread id: attaching its process instead would surprise; refuse clearly.
    if s.tgid != pid { throw .attachFailed(pid, Errno(ESRCH)) }
    if s.isKernelThread { throw .kernelThread(pid, name: s.name) }
    if s.state == "Z" || s.state == "X" { throw .zombie(pid, name: s.name) }
    if s.tracerPid != 0 {
      throw .alreadyTraced(pid, tracer: s.tracerPid, tracerName: ProcStatus(pid: s.tracerPid)?.name ?? "?")
    }
  }

  /// Threads may be created while we attach: the task list is read until it holds nothing new.
  private static func seizeProcess(_ pid: Int32, options: Ptrace.Options, register: (SeizedThread) -> Void) throws(TraceError) {
    var attached = Set<Int32>()
    while true {
      let fresh = ProcFS.threadIds(of: pid).filter { !attached.contains($0) }
      if fresh.isEmpty { break }
      for tid in fresh {
        attached.insert(tid)
        do {
          try Ptrace.seize(tid, options)
        } catch {
          // A thread that ended meanwhile is no error; the process itself must be attachable.
          guard tid == pid else { continue }
          if error == .ESRCH { throw .noSuchProcess(pid) }
          if let s = ProcStatus(pid: pid), s.tracerPid != 0 {
            throw .alreadyTraced(pid, tracer: s.tracerPid, tracerName: ProcStatus(pid: s.tracerPid)?.name ?? "?")
          }
          if error == .EPERM || error == Errno(EACCES) { throw .permissionDenied(pid, error) }
          throw .attachFailed(pid, error)
        }
        register(SeizedThread(tid: tid, tgid: pid))
        try? Ptrace.interrupt(tid)
      }
    }
  }
}

#if canImport(Glibc)
import Glibc
#endif
