/// What a syscall does, as far as the tracer, the fd model, `why` and the report must know it.
public struct SyscallTraits: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// Reads data from the fd in its first argument (read, readv, recvmsg...).
  public static let readsFd = SyscallTraits(rawValue: 1 << 0)
  /// Writes data to the fd in its first argument (write, writev, sendmsg...).
  public static let writesFd = SyscallTraits(rawValue: 1 << 1)
  /// Blocks until one of several fds is ready (poll, select, epoll_wait...).
  public static let waitsOnFds = SyscallTraits(rawValue: 1 << 2)
  /// Waits for a child to change state (wait4, waitpid, waitid).
  public static let waitsOnChild = SyscallTraits(rawValue: 1 << 3)
  /// Closes fds or puts a new file at an fd number that may be in use (close, close_range, dup2,
  /// dup3): cached fd targets go stale without it.
  public static let changesFdTable = SyscallTraits(rawValue: 1 << 4)
  /// Maps, unmaps or changes the protection of memory (code mappings change what a stack means).
  public static let mapsCode = SyscallTraits(rawValue: 1 << 5)
  /// Never returns when it succeeds (exit, exit_group): the line ends `= ?`.
  public static let neverReturns = SyscallTraits(rawValue: 1 << 6)
  /// Waits for time or a signal only, on no fd and no child (nanosleep, pause...).
  public static let sleepsOnly = SyscallTraits(rawValue: 1 << 7)
  /// In the default set pipetrace shows (a pipe hang is made of these, plus process life).
  public static let shownByDefault = SyscallTraits(rawValue: 1 << 8)
  /// Replaces the program image (execve, execveat): close-on-exec fds go.
  public static let execs = SyscallTraits(rawValue: 1 << 10)
  /// Returns a new fd on success (open, dup, socket, epoll_create...; fcntl only for F_DUPFD*).
  public static let returnsFd = SyscallTraits(rawValue: 1 << 11)
  /// Changes what an fd table holds in a way `FdEffect` describes (close, dup*, fcntl, pipe*,
  /// socketpair, and every call that returns a new fd).
  public static let hasFdEffect = SyscallTraits(rawValue: 1 << 13)
  /// Restarts as restart_syscall when a stop or a signal interrupts it (poll, nanosleep, futex...).
  public static let restartable = SyscallTraits(rawValue: 1 << 14)
  /// Makes a new task (fork, vfork, clone, clone3).
  public static let createsTask = SyscallTraits(rawValue: 1 << 15)
  /// restart_syscall: the kernel continuing a call a stop or a signal interrupted.
  public static let continuesCall = SyscallTraits(rawValue: 1 << 16)
  /// Blocks on time, a signal or a futex, on no fd and no child (`report` ranks these last).
  public static let sleeps = SyscallTraits(rawValue: 1 << 17)
}

/// strace's syscall classes, for `-e trace=%file`, `%desc`, ...
public struct SyscallClass: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let file = SyscallClass(rawValue: 1 << 0)
  public static let desc = SyscallClass(rawValue: 1 << 1)
  public static let process = SyscallClass(rawValue: 1 << 2)
  public static let network = SyscallClass(rawValue: 1 << 3)
  public static let signal = SyscallClass(rawValue: 1 << 4)
  public static let ipc = SyscallClass(rawValue: 1 << 5)
  public static let memory = SyscallClass(rawValue: 1 << 6)
  public static let creds = SyscallClass(rawValue: 1 << 7)
  public static let clock = SyscallClass(rawValue: 1 << 8)
  /// stat(2)-like calls that take a path, that do not follow symlinks, that take an fd; any of them.
  public static let stat = SyscallClass(rawValue: 1 << 9)
  public static let lstat = SyscallClass(rawValue: 1 << 10)
  public static let fstat = SyscallClass(rawValue: 1 << 11)
  public static let statLike = SyscallClass(rawValue: 1 << 12)
  public static let statfs = SyscallClass(rawValue: 1 << 13)
  public static let fstatfs = SyscallClass(rawValue: 1 << 14)
  public static let statfsLike = SyscallClass(rawValue: 1 << 15)
  /// Calls that take no arguments and always succeed (getpid, getuid...).
  public static let pure = SyscallClass(rawValue: 1 << 16)

  /// The names `-e trace=%NAME` accepts (strace's; `%%stat` and `%%statfs` for the "any" sets).
  public static let byName: [(String, SyscallClass)] = [
    ("file", .file), ("desc", .desc), ("process", .process), ("network", .network), ("net", .network),
    ("signal", .signal), ("ipc", .ipc), ("memory", .memory), ("creds", .creds), ("clock", .clock),
    ("stat", .stat), ("lstat", .lstat), ("fstat", .fstat), ("%stat", .statLike), ("statfs", .statfs),
    ("fstatfs", .fstatfs), ("%statfs", .statfsLike), ("pure", .pure),
  ]

  /// One letter per class in the catalogue's text (SyscallCatalogue).
  static func fromLetters(_ letters: Substring) -> SyscallClass {
    var c = SyscallClass()
    for ch in letters {
      switch ch {
      case "f": c.insert(.file)
      case "d": c.insert(.desc)
      case "p": c.insert(.process)
      case "n": c.insert(.network)
      case "s": c.insert(.signal)
      case "i": c.insert(.ipc)
      case "m": c.insert(.memory)
      case "c": c.insert(.creds)
      case "k": c.insert(.clock)
      case "S": c.formUnion([.stat, .statLike])
      case "L": c.formUnion([.lstat, .statLike])
      case "F": c.formUnion([.fstat, .statLike])
      case "A": c.insert(.statLike)
      case "T": c.formUnion([.statfs, .statfsLike])
      case "U": c.formUnion([.fstatfs, .statfsLike])
      case "V": c.insert(.statfsLike)
      case "P": c.insert(.pure)
      default: break
      }
    }
    return c
  }
}
