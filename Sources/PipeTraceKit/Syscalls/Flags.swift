/// Named bits and constants, for printing flag arguments as strace does (`O_CLOEXEC|O_NONBLOCK`).
enum Flags {
  typealias Table = [(UInt64, String)]

  static let open: Table = [
    (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"), (0o10000, "O_DSYNC"), (0o40000, "O_DIRECT"), (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"), (0o10000000, "O_PATH"),
  ]
  static let clone: Table = [
    (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"), (0x4000, "CLONE_VFORK"), (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"), (0x20000, "CLONE_NEWNS"), (0x40000, "CLONE_SYSVSEM"), (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"), (0x200000, "CLONE_CHILD_CLEARTID"), (0x400000, "CLONE_DETACHED"),
    (0x800000, "CLONE_UNTRACED"), (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"), (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO"),
  ]
  static let wait: Table = [
    (1, "WNOHANG"), (2, "WSTOPPED"), (4, "WEXITED"), (8, "WCONTINUED"), (0x1000000, "WNOWAIT"),
    (0x20000000, "__WNOTHREAD"), (0x40000000, "__WALL"), (0x80000000, "__WCLONE"),
  ]
  static let poll: Table = [
    (0x1, "POLLIN"), (0x2, "POLLPRI"), (0x4, "POLLOUT"), (0x8, "POLLERR"), (0x10, "POLLHUP"), (0x20, "POLLNVAL"),
    (0x40, "POLLRDNORM"), (0x80, "POLLRDBAND"), (0x100, "POLLWRNORM"), (0x200, "POLLWRBAND"), (0x2000, "POLLRDHUP"),
  ]
  static let closeRange: Table = [(2, "CLOSE_RANGE_UNSHARE"), (4, "CLOSE_RANGE_CLOEXEC")]
  static let fcntlCommands: [Int64: String] = [
    0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK", 6: "F_SETLK",
    7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ",
    1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS",
  ]
  static let idTypes: [Int64: String] = [0: "P_ALL", 1: "P_PID", 2: "P_PGID", 3: "P_PIDFD"]

  /// `A|B|0x40` for the bits of `value`; `zero` when none are set.
  static func describe(_ value: UInt64, _ table: Table, zero: String = "0") -> String {
    if value == 0 { return zero }
    var parts: [String] = []
    var rest = value
    for (bit, name) in table where value & bit == bit {
      parts.append(name)
      rest &= ~bit
    }
    if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
    return parts.joined(separator: "|")
  }

  static func openFlags(_ value: UInt64, withAccessMode: Bool) -> String {
    let access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][Int(value & 3)]
    let rest = describe(value & ~3, open, zero: "")
    if withAccessMode { return rest.isEmpty ? access : access + "|" + rest }
    return rest.isEmpty ? "0" : rest
  }

  static func cloneFlags(_ value: UInt64) -> String {
    let sig = Int32(value & 0xff)
    let flags = describe(value & ~0xff, clone, zero: "")
    if sig == 0 { return flags.isEmpty ? "0" : flags }
    return flags.isEmpty ? Signals.name(sig) : flags + "|" + Signals.name(sig)
  }
}
