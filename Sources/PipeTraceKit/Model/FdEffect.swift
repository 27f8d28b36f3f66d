import CTrace

/// What a finished syscall did to its process's fd table. Derived once, here, from the record (live
/// records and records read from a saved trace alike), and applied by both the live fd target cache
/// and the post-mortem ProcessModel, so the two can never disagree on the rules. (An exec's
/// close-on-exec fds: the live cache is replaced, the model handles the exec event itself.)
enum FdEffect: Equatable {
  /// `fd` was closed (close(2) releases it even when it reports EINTR or EIO).
  case close(Int32)
  /// Every fd from `first` to `last` was closed (close_range).
  case closeRange(first: Int64, last: Int64)
  /// Every fd from `first` to `last` became close-on-exec (close_range with CLOSE_RANGE_CLOEXEC).
  case markCloseOnExec(first: Int64, last: Int64)
  /// `new` now refers to what `old` does (dup, dup2, dup3, fcntl F_DUPFD*); an open `new` was
  /// closed first.
  case duplicate(old: Int32, new: Int32, closeOnExec: Bool)
  /// A new pipe: `read` and `write` ends.
  case pipe(read: Int32, write: Int32, closeOnExec: Bool)
  /// fcntl(F_SETFD) set or cleared FD_CLOEXEC on `fd`.
  case setCloseOnExec(Int32, Bool)
  /// A call returned a new fd the table did not have (open, socket, accept, ...).
  case opened(Int32)

  /// The effects of a finished syscall. A failed call has none, except close (only EBADF means
  /// nothing was open).
  static func of(_ r: SyscallRecord) -> [FdEffect] {
    let args = r.args
    if r.name == "close" {
      guard r.errno != .EBADF, r.ret != nil, let fd = args.first.flatMap(fdNumber) else { return [] }
      return [.close(fd)]
    }
    guard r.errno == nil, let ret = r.ret else { return [] }
    let newFd = Int32(truncatingIfNeeded: ret)
    switch r.name {
    case "dup":
      guard let old = args.first.flatMap(fdNumber) else { return [] }
      return [.duplicate(old: old, new: newFd, closeOnExec: false)]
    case "dup2", "dup3":
      guard args.count >= 2, let old = fdNumber(args[0]), let new = fdNumber(args[1]), old != new else { return [] }
      let cloexec = r.name == "dup3" && args.count >= 3 && hasFlag(args[2], "O_CLOEXEC", bit: UInt64(CT_O_CLOEXEC))
      return [.duplicate(old: old, new: new, closeOnExec: cloexec)]
    case "fcntl", "fcntl64":
      guard args.count >= 2, let fd = fdNumber(args[0]) else { return [] }
      switch fcntlCommand(args[1]) {
      case Int64(CT_F_DUPFD): return [.duplicate(old: fd, new: newFd, closeOnExec: false)]
      case Int64(CT_F_DUPFD_CLOEXEC): return [.duplicate(old: fd, new: newFd, closeOnExec: true)]
      case Int64(CT_F_SETFD):
        guard args.count >= 3 else { return [] }
        return [.setCloseOnExec(fd, hasFlag(args[2], "FD_CLOEXEC", bit: UInt64(CT_FD_CLOEXEC)))]
      default: return []
      }
    case "close_range":
      guard args.count >= 2, let first = integer(args[0]) else { return [] }
      let last = integer(args[1]) ?? Int64(UInt32.max)
      if args.count >= 3 && hasFlag(args[2], "CLOSE_RANGE_CLOEXEC", bit: UInt64(CT_CLOSE_RANGE_CLOEXEC)) {
        return [.markCloseOnExec(first: first, last: last)]
      }
      return [.closeRange(first: first, last: last)]
    case "pipe", "pipe2":
      guard case .array(let fds, _)? = args.first, fds.count == 2,
        let rfd = fdNumber(fds[0]), let wfd = fdNumber(fds[1])
      else { return [] }
      let cloexec = r.name == "pipe2" && args.count >= 2 && hasFlag(args[1], "O_CLOEXEC", bit: UInt64(CT_O_CLOEXEC))
      return [.pipe(read: rfd, write: wfd, closeOnExec: cloexec)]
    case "socketpair":
      guard args.count >= 4, case .array(let fds, _) = args[3] else { return [] }
      return fds.compactMap(fdNumber).map { .opened($0) }
    default:
      return SyscallTable.traits(named: r.name).contains(.returnsFd) ? [.opened(newFd)] : []
    }
  }

  /// The fd number of an argument, decoded (`3<pipe:[1]>`) or bare.
  static func fdNumber(_ v: ArgValue) -> Int32? {
    switch v {
    case .fd(let n, _): return n
    case .int(let n): return Int32(truncatingIfNeeded: n)
    case .uint(let n): return Int32(truncatingIfNeeded: n)
    default: return nil
    }
  }

  static func integer(_ v: ArgValue) -> Int64? {
    switch v {
    case .int(let n): return n
    case .uint(let n): return Int64(truncatingIfNeeded: n)
    case .hex(let n): return Int64(truncatingIfNeeded: n)
    case .fd(let n, _): return Int64(n)
    case .symbol(let s), .raw(let s): return s == "~0" ? Int64(UInt32.max) : Int64(s)
    default: return nil
    }
  }

  /// fcntl's command: a number, or its name as strace or pipetrace prints it.
  static func fcntlCommand(_ v: ArgValue) -> Int64? {
    if let n = integer(v) { return n }
    switch text(v) {
    case "F_DUPFD": return Int64(CT_F_DUPFD)
    case "F_SETFD": return Int64(CT_F_SETFD)
    case "F_DUPFD_CLOEXEC": return Int64(CT_F_DUPFD_CLOEXEC)
    default: return nil
    }
  }

  /// Whether a flag argument has `bit` set: tested on the number when the value is bare, on the
  /// names (`O_RDONLY|O_CLOEXEC`, whole `|`-separated words) when it was decoded.
  static func hasFlag(_ v: ArgValue, _ name: StaticString, bit: UInt64) -> Bool {
    switch v {
    case .int(let n): return UInt64(bitPattern: n) & bit != 0
    case .uint(let n), .hex(let n): return n & bit != 0
    default: return ProcessModel.hasFlag(v, name)
    }
  }

  private static func text(_ v: ArgValue) -> String {
    switch v {
    case .symbol(let s), .raw(let s): return s
    default: return ""
    }
  }
}
