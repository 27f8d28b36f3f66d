import CTrace

/// How a call changes its process's fd table, as one line of its spec says it: which arguments
/// hold the fds and flags. `effects` applies it to a finished call's integers, the one place the
/// rules live (the live fd cache and the post-mortem model both take their effects from it).
public enum FdRule: Sendable, Equatable {
  /// close(fd): the fd goes even when close reports EINTR or EIO (only EBADF means none was open).
  case close(fd: Int)
  /// close_range(first, last, flags): closes the range, or with CLOSE_RANGE_CLOEXEC marks it.
  case closeRange(first: Int, last: Int, flags: Int)
  /// dup, dup2, dup3: `old` now also at `new` (nil: the return value); O_CLOEXEC in `flags`.
  case duplicate(old: Int, new: Int?, flags: Int?)
  /// fcntl(fd, command, arg): F_DUPFD, F_DUPFD_CLOEXEC and F_SETFD change the table.
  case fcntl(fd: Int, command: Int, arg: Int)
  /// pipe, pipe2, socketpair: two new fds in the array at `array`; O_CLOEXEC in `flags`. A pipe's
  /// fds are its read and write ends; a socket pair's are two new fds.
  case pair(array: Int, flags: Int?, pipe: Bool)
  /// The return value is a new fd (open, socket, accept, epoll_create...).
  case newFd
}

/// What a finished syscall did to its process's fd table.
public enum FdEffect: Equatable, Sendable {
  /// `fd` was closed.
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
}

extension FdRule {
  /// The effects of a finished call under this rule, from integers only: `ret` (nil: it never
  /// returned), `errno` (nil: it succeeded), `args` each argument's value (nil: not known), `pair`
  /// the fds in the pair array. A failed call has none, except close.
  public func effects(ret: Int64?, errno: Errno?, args: [Int64?], pair: [Int32]) -> [FdEffect] {
    func arg(_ i: Int) -> Int64? { i < args.count ? args[i] : nil }
    func fd(_ i: Int) -> Int32? { arg(i).map { Int32(truncatingIfNeeded: $0) } }
    func has(_ i: Int?, _ bit: some BinaryInteger) -> Bool { i.flatMap(arg).map { $0 & Int64(bit) != 0 } ?? false }
    if case .close(let i) = self {
      guard errno != .EBADF, ret != nil, let fd = fd(i) else { return [] }
      return [.close(fd)]
    }
    guard errno == nil, let ret else { return [] }
    let newFd = Int32(truncatingIfNeeded: ret)
    switch self {
    case .close:
      return []
    case .closeRange(let first, let last, let flags):
      guard let from = arg(first) else { return [] }
      let to = arg(last) ?? Int64(UInt32.max)
      return has(flags, CT_CLOSE_RANGE_CLOEXEC) ? [.markCloseOnExec(first: from, last: to)] : [.closeRange(first: from, last: to)]
    case .duplicate(let old, let new, let flags):
      guard let o = fd(old) else { return [] }
      guard let new else { return [.duplicate(old: o, new: newFd, closeOnExec: false)] }
      guard let n = fd(new), o != n else { return [] }
      return [.duplicate(old: o, new: n, closeOnExec: has(flags, CT_O_CLOEXEC))]
    case .fcntl(let f, let command, let value):
      guard let fd = fd(f), let cmd = arg(command) else { return [] }
      switch cmd {
      case Int64(CT_F_DUPFD): return [.duplicate(old: fd, new: newFd, closeOnExec: false)]
      case Int64(CT_F_DUPFD_CLOEXEC): return [.duplicate(old: fd, new: newFd, closeOnExec: true)]
      case Int64(CT_F_SETFD):
        guard arg(value) != nil else { return [] }
        return [.setCloseOnExec(fd, has(value, CT_FD_CLOEXEC))]
      default: return []
      }
    case .pair(_, let flags, let pipe):
      guard pipe else { return pair.map { .opened($0) } }
      guard pair.count == 2 else { return [] }
      return [.pipe(read: pair[0], write: pair[1], closeOnExec: has(flags, CT_O_CLOEXEC))]
    case .newFd:
      return [.opened(newFd)]
    }
  }

  /// Closes fds or puts a file at an fd number that may be in use (the `changesFdTable` trait).
  var closesOrReplaces: Bool {
    switch self {
    case .close, .closeRange: return true
    case .duplicate(_, let new, _): return new != nil
    case .fcntl, .pair, .newFd: return false
    }
  }

  /// The arguments whose values the rule reads (the pair array's fds come apart, in `pair`).
  public var argumentsRead: [Int] {
    switch self {
    case .close(let fd): return [fd]
    case .closeRange(let first, let last, let flags): return [first, last, flags]
    case .duplicate(let old, let new, let flags): return [old] + (new.map { [$0] } ?? []) + (flags.map { [$0] } ?? [])
    case .fcntl(let fd, let command, let arg): return [fd, command, arg]
    case .pair(_, let flags, _): return flags.map { [$0] } ?? []
    case .newFd: return []
    }
  }

  /// The argument holding the pair array, for `pair` rules.
  public var pairArgument: Int? {
    if case .pair(let a, _, _) = self { return a }
    return nil
  }
}
