/// How one syscall argument is decoded and printed, as strace prints it. Integer kinds say their C
/// type: the kernel reads only that many bits of the register, and so does the decoder. Kinds
/// marked "out" are filled in by the kernel and decoded at exit; strace prints a line's entry part
/// up to the first of them.
package enum ArgKind: Sendable {
  /// C `int`: the low 32 bits, signed.
  case int
  /// C `unsigned int`.
  case uint
  /// C `long` (the ABI's word), signed.
  case long
  /// C `unsigned long`, `size_t`.
  case ulong
  /// An unsigned int in hex (`%#x`).
  case hexInt
  /// A word in hex (what strace prints for calls it does not decode).
  case hexLong
  /// A 64-bit file offset (`loff_t`). i386 passes it in two registers, low word first.
  case offset
  /// A pointer printed as its address (`NULL` for 0).
  case pointer
  /// An int fd, with its target (`-y`).
  case fd
  /// An int fd or `AT_FDCWD`.
  case dirfd
  /// A signal number (int).
  case signal
  /// A file mode (`umode_t`) in octal.
  case mode
  /// A flag set of a C int (the low 32 bits); `dflt` is strace's comment for unknown bits (`O_???`).
  case flags(Xlat, dflt: String)
  /// One named value of a C int (the low 32 bits).
  case xval(Xlat, dflt: String)
  /// open(2) flags: access mode first, then the flags.
  case openFlags
  /// open(2)'s mode: printed only when the flags (the argument before it) have O_CREAT or O_TMPFILE.
  case openMode
  /// A buffer the caller fills, `countArg` bytes long.
  case inBuffer(countArg: Int)
  /// out: a buffer the kernel fills; the return value says how many bytes.
  case outBuffer
  /// An iovec array the caller fills, `countArg` entries.
  case inIovec(countArg: Int)
  /// out: an iovec array the kernel fills, `countArg` entries, the return value bytes in all.
  case outIovec(countArg: Int)
  /// A NUL-terminated path.
  case path
  /// A NULL-terminated array of strings (execve's argv).
  case argv
  /// execve's envp: its address and how many variables (`-v`: the strings).
  case envp
  /// out: `int[2]` of pipe/pipe2/socketpair.
  case pipeFds
  /// A socket type (int): `SOCK_STREAM|SOCK_CLOEXEC`.
  case socketType
  /// out: `int *` of a wait status (wait4, waitpid).
  case waitStatus
  /// out: `struct rusage *` (wait4 prints it only for a positive return, waitid always).
  case rusage(always: Bool)
  /// out: `siginfo_t *` (waitid).
  case siginfo
  /// A `struct timespec *` the caller fills; `time64` for the 64-bit layout of the *_time64 calls.
  case timespec(time64: Bool)
  /// out: a timespec the kernel fills only when the call is interrupted (nanosleep's remainder).
  case timespecRemainder(time64: Bool)
  /// A `struct timeval *` the caller fills.
  case timeval
  /// A `sigset_t *` whose size is argument `sizeArg`.
  case sigset(sizeArg: Int)
  /// A pollfd array of `countArg` entries (revents at exit, in the result).
  case pollFds(countArg: Int)
  /// An fd_set of as many bits as argument `nfdsArg` says (select, pselect6).
  case fdSet(nfdsArg: Int)
  /// pselect6's sixth argument: a pointer to `{sigset_t *, size_t}`.
  case pselectSigmask
  /// A `struct epoll_event *` the caller fills (epoll_ctl).
  case epollEvent
  /// out: an epoll_event array the kernel fills, as many as the return value.
  case epollEvents
  /// clone3's `struct clone_args *`, `sizeArg` bytes.
  case cloneArgs(sizeArg: Int)
  /// fcntl's third argument, decoded by the command (argument 1); out for the GET commands.
  case fcntlArg
  /// An id that `idtypeArg` says is a pid, a pidfd or a process group (waitid).
  case waitId(idtypeArg: Int)
  /// A clock id (clock_nanosleep, clock_gettime).
  case clockId
}

/// How a syscall's return value is printed.
package enum ReturnKind: Sendable {
  /// A signed number (`ssize_t`, `int`, a pid).
  case int
  /// An address (mmap, brk).
  case hex
  /// A new fd, printed with its target.
  case fd
  /// Never returns on success (exit_group, exit): `= ?`.
  case none
}

extension Xlat {
  /// The value of an argument as strace or pipetrace printed it (`O_RDONLY|O_CLOEXEC`, `F_DUPFD`,
  /// `0x80000 /* O_CLOEXEC */`, `~0`, `42`), names read with the tables of the argument's kind;
  /// nil when no part of it is a number or a name those tables have.
  static func value(printed text: String, kind: ArgKind?) -> Int64? {
    if let n = Int64(text) { return n }
    var body = Substring(text)
    if let comment = body.firstIndex(of: "/") { body = body[..<comment] }
    let tables: [Xlat]
    switch kind {
    case .flags(let t, _)?, .xval(let t, _)?: tables = [t]
    case .fcntlArg?: tables = [.fdFlags]
    case .socketType?: tables = [.socketTypes, .socketTypeFlags]
    case .openFlags?: tables = [.openAccessModes, .openModeFlags]
    default: tables = []
    }
    var value: UInt64 = 0
    var known = false
    for part in body.split(separator: "|") {
      var word = part.drop { $0 == " " }
      while word.last == " " { word = word.dropLast() }
      if word == "~0" {
        value |= UInt64(UInt32.max)
      } else if let n = UInt64(word) {
        value |= n
      } else if word.hasPrefix("0x"), let n = UInt64(word.dropFirst(2), radix: 16) {
        value |= n
      } else if let n = tables.lazy.compactMap({ $0.value(of: String(word)) }).first {
        value |= n
      } else {
        continue
      }
      known = true
    }
    return known ? Int64(bitPattern: value) : nil
  }
}
