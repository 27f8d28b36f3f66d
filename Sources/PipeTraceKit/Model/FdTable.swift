#if canImport(Glibc)
import Glibc
#endif

/// The fd targets of one fd table (a process, or the threads sharing it through CLONE_FILES), learned
/// from /proc/TID/fd once and kept until a traced close, dup2, dup3, close_range or execve changes
/// them. strace -y does a readlink per fd argument; this does one per fd.
final class FdTable {
  private var targets: [Int32: FdTarget] = [:]

  init() {}

  /// A copy for a forked child: its fds are the parent's at the moment of fork.
  func copy() -> FdTable {
    let t = FdTable()
    t.targets = targets
    return t
  }

  /// The target of `fd`, read from /proc/`tid`/fd on a miss. nil when the fd is not open.
  func target(of fd: Int32, tid: Int32) -> FdTarget? {
    if let t = targets[fd] { return t }
    guard fd >= 0, let link = FdTable.readLink(tid: tid, fd: fd) else { return nil }
    let t = FdTarget(link: link)
    targets[fd] = t
    return t
  }

  func closed(_ fd: Int32) { targets[fd] = nil }

  func closed(range lo: UInt32, _ hi: UInt32) {
    if targets.isEmpty { return }
    for fd in targets.keys where UInt32(bitPattern: fd) >= lo && UInt32(bitPattern: fd) <= hi {
      targets[fd] = nil
    }
  }

  /// `newFd` now points where `oldFd` did (dup2/dup3/F_DUPFD), or was freshly opened (nil).
  func assign(_ newFd: Int32, from oldFd: Int32?) {
    if let old = oldFd, let t = targets[old] { targets[newFd] = t } else { targets[newFd] = nil }
  }

  static func readLink(tid: Int32, fd: Int32) -> String? {
    ProcFS.readLink("/proc/\(tid)/fd/\(fd)")
  }
}
