/// The live tracer's cache of what each fd of one fd table points to (`pipe:[1]`, `/dev/null`), for
/// `-y` decoration. Shared by the threads of a process (and CLONE_FILES children); learned from
/// /proc/TID/fd on first use and kept right by applying every `FdEffect` the trace sees (the calls
/// that change fd tables are always traced). strace -y does a readlink per fd argument; this does
/// one per fd. Not to be confused with ProcessModel's tables, which record pipe ends over a trace.
///
/// With -yy (`details`) a target also carries what strace -yy adds (`FdDetailReader`): a device's
/// numbers and a pidfd's process are read with the fd's link; a socket's protocol and addresses
/// are kept per socket inode, so a socket is looked up once whatever fds or calls use it. As in
/// strace, a socket's text is kept once the kernel knew its address; a socket it knew nothing about
/// yet (unbound, unconnected) is asked again at its next use.
package final class FdTargetCache {
  private var targets: [Int32: FdTarget] = [:]
  /// -yy: the text of each socket the kernel knew, by inode; nil for a protocol -yy does not
  /// decode (its `socket:[N]` is shown).
  private var sockets: [UInt64: FdDetail?] = [:]
  static let socketLimit = 4096

  package init() {}

  /// A copy for a forked child: its fds are the parent's at the moment of fork.
  package func copy() -> FdTargetCache {
    let t = FdTargetCache()
    t.targets = targets
    t.sockets = sockets
    return t
  }

  /// The target of `fd`, read from /proc/`tid`/fd on a miss. nil when the fd is not open.
  /// `details`: with what -yy adds.
  package func target(of fd: Int32, tid: Int32, details: Bool = false) -> FdTarget? {
    if let t = targets[fd] {
      guard details, t.kind == .socket, t.detail == nil else { return t }
      return withSocketDetail(t, fd: fd, tid: tid)
    }
    guard fd >= 0, let link = ProcFS.fdLink(tid, fd: fd) else { return nil }
    var t = FdTarget(link: link)
    if details {
      if t.kind == .socket { return withSocketDetail(t, fd: fd, tid: tid) }
      t.detail = FdDetailReader.device(tid: tid, fd: fd, link: link) ?? FdDetailReader.pidfd(tid: tid, fd: fd, link: link)
    }
    targets[fd] = t
    return t
  }

  /// A socket's target with its -yy text: cached by inode, else looked up (and kept, with the fd's
  /// target, once the kernel knew the socket's address).
  private func withSocketDetail(_ target: FdTarget, fd: Int32, tid: Int32) -> FdTarget {
    guard let inode = target.inode else { return target }
    var shown = target
    if let known = sockets[inode] {
      shown.detail = known
      targets[fd] = shown
      return shown
    }
    // Bounded, as strace's is (1024 entries): a server's closed connections must not pile up. The
    // fds in use keep their text in `targets`.
    if sockets.count >= Self.socketLimit { sockets.removeAll(keepingCapacity: true) }
    guard let (detail, resolved) = FdDetailReader.socket(inode: inode, tid: tid, fd: fd) else {
      sockets[inode] = .some(nil)
      targets[fd] = target
      return target
    }
    shown.detail = detail
    if resolved { sockets[inode] = detail }
    // strace's fallback `PROTO:[INODE]` is for this call only.
    targets[fd] = resolved ? shown : target
    return shown
  }

  /// Keeps the cache true after `effect`. Close-on-exec flags are not tracked: an exec forgets
  /// everything and the new image's fds are read again when used.
  package func apply(_ effect: FdEffect) {
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
    case .markCloseOnExec, .setCloseOnExec:
      break
    }
  }
}
