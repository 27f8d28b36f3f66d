/// How one syscall argument is decoded. Kinds marked "out" are filled in by the kernel and decoded at
/// syscall exit; the others at entry (strace prints a line's entry part up to its first out argument).
enum ArgKind: Sendable {
  /// A C int (32 bits, sign-extended).
  case int
  /// A C long.
  case long
  case uint
  case hex
  case fd
  /// `AT_FDCWD` or an fd.
  case dirfd
  /// A buffer the caller supplies; its length is argument `countArg`.
  case inBuffer(countArg: Int)
  /// out: a buffer the kernel fills; its length is the return value.
  case outBuffer
  /// An iovec array supplied by the caller; `countArg` entries.
  case inIovec(countArg: Int)
  /// out: an iovec array the kernel fills, `countArg` entries, return value bytes in all.
  case outIovec(countArg: Int)
  /// out: int[2] of pipe()/pipe2().
  case pipeFds
  /// out: int* of wait4's status.
  case waitStatus
  case waitOptions
  case openFlags
  case mode
  case signal
  case cloneFlags
  /// clone's first argument: printed as strace does, `child_stack=…, flags=…`.
  case cloneFlagsAndStack
  /// clone3's struct clone_args pointer (flags are read from it).
  case cloneArgs
  case fcntlCommand
  case closeRangeFlags
  case path
  case argv
  case envp
  /// A pollfd array with `countArg` entries (events at entry, revents in the return detail).
  case pollFds(countArg: Int)
  /// An fd_set of `nfdsArg` bits (select/pselect6).
  case fdSet(nfdsArg: Int)
  case idType
  case pointer

  var isOut: Bool {
    switch self {
    case .outBuffer, .outIovec, .pipeFds, .waitStatus: return true
    default: return false
    }
  }
}

/// What a syscall returns, for printing `= RET`.
enum ReturnKind: Sendable {
  case int
  case hex
  /// A new fd, printed with its target.
  case fd
  /// Never returns on success (exit_group, exit): `= ?`.
  case none
}

/// One syscall's decoding recipe.
struct SyscallSpec: Sendable {
  var name: String
  var args: [ArgKind]
  var returns: ReturnKind = .int

  /// How many leading arguments can be printed at entry.
  var entryArgCount: Int { args.firstIndex(where: { $0.isOut }) ?? args.count }
}
