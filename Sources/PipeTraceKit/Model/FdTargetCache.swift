/// The live tracer's cache of what each fd of one fd table points to (`pipe:[1]`, `/dev/null`), for
/// `-y` decoration. Shared by the threads of a process (and CLONE_FILES children); learned from
/// /proc/TID/fd on first use and kept right by applying every `FdEffect` the trace sees (the calls
/// that change fd tables are always traced). strace -y does a readlink per fd argument; this does
/// one per fd. Not to be confused with ProcessModel's tables, which record pipe ends over a trace.
final class FdTargetCache {
  private var targets: [Int32: FdTarget] = [:]

  init() {}

  /// A copy for a forked child: its fds are the parent's at the moment of fork.
  func copy() -> FdTargetCache {
    let t = FdTargetCache()
    t.targets = targets
    return t
  }

  /// The target of `fd`, read from /proc/`tid`/fd on a miss. nil when the fd is not open.
  func target(of fd: Int32, tid: Int32) -> FdTarget? {
    if let t = targets[fd] { return t }
    guard fd >= 0, let link = ProcFS.readLink("/proc/\(tid)/fd/\(fd)") else { return nil }
    let t = FdTarget(link: link)
    targets[fd] = t
    return t
  }

  /// Keeps the cache true after `effect`. Close-on-exec flags are not tracked: an exec forgets
  /// everything and the new image's fds are read again when used.
  func apply(_ effect: FdEffect) {
    switch effect {
    case .close(let fd), .opened(let fd):
      targets[fd] = nil
    case .closeRange(let first, let last):
      if targets.isEmpty { return }
      for fd in targets.keys where Int64(fd) >= first && Int64(fd) <= last { targets[fd] = nil }
    case .duplicate(let old, let new, _):
      if let t = targets[old] { targets[new] = t } else { targets[new] = nil }
    case .pipe(let r, let w, _):
      targets[r] = nil
      targets[w] = nil
    case .exec:
      targets.removeAll()
    case .markCloseOnExec, .setCloseOnExec:
      break
    }
  }
}
