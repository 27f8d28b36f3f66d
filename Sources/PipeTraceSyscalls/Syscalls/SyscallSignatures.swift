/// The decoding recipes and traits of the calls pipetrace decodes, by name. A table row of any ABI
/// takes its recipe from here (`i386` entries override where the i386 ABI differs); the argument
/// count and classes of every other call come from `SyscallCatalogue`.
enum SyscallSignatures {
  static let shared: [String: Signature] = {
    let openModeFlags = ArgKind.flags(.openModeFlags, dflt: "O_???")
    let waitOptions = ArgKind.flags(.waitOptions, dflt: "W???")
    let atFlags = ArgKind.flags(.atFlags, dflt: "AT_???")
    let accessMode = ArgKind.flags(.accessModes, dflt: "?_OK")
    var s: [String: Signature] = [
      // The pipe set.
      "read": Signature([.fd, .outBuffer, .ulong]),
      "write": Signature([.fd, .inBuffer(countArg: 2), .ulong]),
      "pread64": Signature([.fd, .outBuffer, .ulong, .offset]),
      "pwrite64": Signature([.fd, .inBuffer(countArg: 2), .ulong, .offset]),
      "readv": Signature([.fd, .outIovec(countArg: 2), .ulong]),
      "writev": Signature([.fd, .inIovec(countArg: 2), .ulong]),
      "preadv": Signature([.fd, .outIovec(countArg: 2), .ulong, .offset]),
      "pwritev": Signature([.fd, .inIovec(countArg: 2), .ulong, .offset]),
      "preadv2": Signature([.fd, .outIovec(countArg: 2), .ulong, .offset, .hexInt]),
      "pwritev2": Signature([.fd, .inIovec(countArg: 2), .ulong, .offset, .hexInt]),
      "close": Signature([.fd]),
      "close_range": Signature([.uint, .uint, .flags(.closeRangeFlags, dflt: "CLOSE_RANGE_???")]),
      "pipe": Signature([.pipeFds]),
      "pipe2": Signature([.pipeFds, openModeFlags]),
      "dup": Signature([.fd], .fd),
      "dup2": Signature([.fd, .fd], .fd),
      "dup3": Signature([.fd, .fd, openModeFlags], .fd),
      "fcntl": Signature([.fd, .xval(.fcntlCommands, dflt: "F_???"), .fcntlArg]),
      "wait4": Signature([.int, .waitStatus, waitOptions, .rusage(always: false)]),
      "waitpid": Signature([.int, .waitStatus, waitOptions]),
      "waitid": Signature([.xval(.waitidTypes, dflt: "P_???"), .waitId(idtypeArg: 0), .siginfo, waitOptions,
                           .rusage(always: true)]),
      "poll": Signature([.pollFds(countArg: 1), .uint, .int]),
      "ppoll": Signature([.pollFds(countArg: 1), .uint, .timespec(time64: false), .sigset(sizeArg: 4), .ulong]),
      "select": Signature([.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .timeval]),
      "pselect6": Signature([.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0),
                             .timespec(time64: false), .pselectSigmask]),
      "epoll_wait": Signature([.fd, .epollEvents, .int, .int]),
      "epoll_pwait": Signature([.fd, .epollEvents, .int, .int, .sigset(sizeArg: 5), .ulong]),
      "epoll_pwait2": Signature([.fd, .epollEvents, .int, .timespec(time64: true), .sigset(sizeArg: 5), .ulong]),
      "clone": Signature([], special: .clone),
      "clone3": Signature([.cloneArgs(sizeArg: 1), .ulong]),
      "fork": Signature([]),
      "vfork": Signature([]),
      "execve": Signature([.path, .argv, .envp]),
      "execveat": Signature([.dirfd, .path, .argv, .envp, .flags(.execveatFlags, dflt: "AT_???")]),
      "exit_group": Signature([.int], .none),
      "exit": Signature([.int], .none),
      "kill": Signature([.int, .signal]),
      "tkill": Signature([.int, .signal]),
      "tgkill": Signature([.int, .int, .signal]),
      // Outside the pipe set: what `-e trace=NAME` is asked for most.
      "epoll_create": Signature([.int], .fd),
      "epoll_create1": Signature([.flags(.epollCreateFlags, dflt: "EPOLL_???")], .fd),
      "epoll_ctl": Signature([.fd, .xval(.epollCtlOps, dflt: "EPOLL_CTL_???"), .fd, .epollEvent]),
      "open": Signature([.path, .openFlags, .openMode], .fd),
      "openat": Signature([.dirfd, .path, .openFlags, .openMode], .fd),
      "creat": Signature([.path, .mode], .fd),
      "lseek": Signature([.fd, .long, .xval(.seekWhence, dflt: "SEEK_???")]),
      "access": Signature([.path, accessMode]),
      "faccessat": Signature([.dirfd, .path, accessMode]),
      "faccessat2": Signature([.dirfd, .path, accessMode, atFlags]),
      "chdir": Signature([.path]),
      "fchdir": Signature([.fd]),
      "chroot": Signature([.path]),
      "unlink": Signature([.path]),
      "unlinkat": Signature([.dirfd, .path, atFlags]),
      "rmdir": Signature([.path]),
      "mkdir": Signature([.path, .mode]),
      "mkdirat": Signature([.dirfd, .path, .mode]),
      "rename": Signature([.path, .path]),
      "renameat": Signature([.dirfd, .path, .dirfd, .path]),
      "link": Signature([.path, .path]),
      "symlink": Signature([.path, .path]),
      "readlink": Signature([.path, .outBuffer, .ulong]),
      "readlinkat": Signature([.dirfd, .path, .outBuffer, .ulong]),
      "chmod": Signature([.path, .mode]),
      "fchmod": Signature([.fd, .mode]),
      "fchmodat": Signature([.dirfd, .path, .mode]),
      "truncate": Signature([.path, .long]),
      "ftruncate": Signature([.fd, .long]),
      "fsync": Signature([.fd]),
      "fdatasync": Signature([.fd]),
      "stat": Signature([.path, .pointer]),
      "lstat": Signature([.path, .pointer]),
      "fstat": Signature([.fd, .pointer]),
      "newfstatat": Signature([.dirfd, .path, .pointer, atFlags]),
      "statx": Signature([.dirfd, .path, atFlags, .hexInt, .pointer]),
      "getdents64": Signature([.fd, .pointer, .uint]),
      "ioctl": Signature([.fd, .hexInt, .hexLong]),
      "umask": Signature([.mode]),
      "nanosleep": Signature([.timespec(time64: false), .timespecRemainder(time64: false)]),
      "clock_nanosleep": Signature([.clockId, .flags(.timerFlags, dflt: "TIMER_???"), .timespec(time64: false),
                                    .timespecRemainder(time64: false)]),
      "mmap": Signature([], .hex, special: .mmap(pageOffset: false)),
      "munmap": Signature([.pointer, .ulong]),
      "mprotect": Signature([.pointer, .ulong, .flags(.mmapProt, dflt: "PROT_???")]),
      "brk": Signature([.pointer], .hex),
      "mremap": Signature([.pointer, .ulong, .ulong, .hexInt, .pointer], .hex),
      "setpgid": Signature([.int, .int]),
      "getpgid": Signature([.int]),
      "getsid": Signature([.int]),
      "socket": Signature([.int, .int, .int], .fd),
      "socketpair": Signature([.xval(.addressFamilies, dflt: "AF_???"), .socketType, .ulong, .pipeFds]),
      "eventfd": Signature([.uint], .fd),
      "eventfd2": Signature([.uint, .flags(.openModeFlags, dflt: "EFD_???")], .fd),
      "inotify_init1": Signature([.flags(.openModeFlags, dflt: "IN_???")], .fd),
      "pidfd_open": Signature([.int, .uint], .fd),
      "set_tid_address": Signature([.pointer]),
    ]
    for name in [
      "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "setsid", "getpgrp", "sched_yield",
      "pause", "rt_sigreturn", "sigreturn", "inotify_init", "getuid32", "geteuid32", "getgid32", "getegid32",
    ] {
      s[name] = Signature([])
    }
    // The *_time64 calls of 32-bit ABIs take 64-bit timespecs.
    s["ppoll_time64"] = Signature([.pollFds(countArg: 1), .uint, .timespec(time64: true), .sigset(sizeArg: 4), .ulong])
    s["pselect6_time64"] = Signature([.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0),
                                      .timespec(time64: true), .pselectSigmask])
    s["clock_nanosleep_time64"] = Signature([.clockId, .flags(.timerFlags, dflt: "TIMER_???"),
                                             .timespec(time64: true), .timespecRemainder(time64: true)])
    return s
  }()

  /// Where the i386 ABI differs from the shared recipe.
  static let i386: [String: Signature] = [
    "select": Signature([.pointer], special: .oldSelect),
    "_newselect": shared["select"]!,
    "mmap": Signature([.pointer], .hex, special: .oldMmap),
    "mmap2": Signature([], .hex, special: .mmap(pageOffset: true)),
    "fcntl64": shared["fcntl"]!,
    "truncate64": Signature([.path, .offset]),
    "ftruncate64": Signature([.fd, .offset]),
    "stat64": Signature([.path, .pointer]),
    "lstat64": Signature([.path, .pointer]),
    "fstat64": Signature([.fd, .pointer]),
    "fstatat64": Signature([.dirfd, .path, .pointer, .flags(.atFlags, dflt: "AT_???")]),
  ]

  static func signature(_ name: String, arch: SyscallArch) -> Signature? {
    if arch == .i386, let s = i386[name] { return s }
    return shared[name]
  }

  /// The traits of a name, in any ABI (several names mean the same call in different ABIs).
  static func traits(_ name: String) -> SyscallTraits {
    var t = SyscallTraits()
    if readsFd.contains(name) { t.insert(.readsFd) }
    if writesFd.contains(name) { t.insert(.writesFd) }
    if waitsOnFds.contains(name) { t.insert(.waitsOnFds) }
    if waitsOnChild.contains(name) { t.insert(.waitsOnChild) }
    if fdRules[name]?.closesOrReplaces == true { t.insert(.changesFdTable) }
    if mapsCode.contains(name) { t.insert(.mapsCode) }
    if neverReturns.contains(name) { t.insert(.neverReturns) }
    if sleepsOnly.contains(name) { t.insert(.sleepsOnly) }
    if shownByDefault.contains(name) { t.insert(.shownByDefault) }
    if execs.contains(name) { t.insert(.execs) }
    if let s = shared[name] ?? i386[name], s.returns == .fd { t.insert(.returnsFd) }
    if returnsFd.contains(name) { t.insert(.returnsFd) }
    if t.contains(.returnsFd) || t.contains(.changesFdTable) || fdRules[name] != nil { t.insert(.hasFdEffect) }
    if restartable.contains(name) { t.insert(.restartable) }
    if forkKinds[name] != nil { t.insert(.createsTask) }
    if name == "restart_syscall" { t.insert(.continuesCall) }
    if sleeps.contains(name) { t.insert(.sleeps) }
    return t
  }

  /// The fd-effect rule of every call that changes an fd table other than by returning a new fd
  /// (those get `newFd` from their traits). Arguments by position.
  static let fdRules: [String: FdRule] = [
    "close": .close(fd: 0),
    "close_range": .closeRange(first: 0, last: 1, flags: 2),
    "dup": .duplicate(old: 0, new: nil, flags: nil),
    "dup2": .duplicate(old: 0, new: 1, flags: nil),
    "dup3": .duplicate(old: 0, new: 1, flags: 2),
    "fcntl": .fcntl(fd: 0, command: 1, arg: 2),
    "fcntl64": .fcntl(fd: 0, command: 1, arg: 2),
    "pipe": .pair(array: 0, flags: nil, pipe: true),
    "pipe2": .pair(array: 0, flags: 1, pipe: true),
    "socketpair": .pair(array: 3, flags: 1, pipe: false),
  ]

  /// The rule of a call: its own, or `newFd` when it returns a new fd.
  static func fdRule(_ name: String, traits: SyscallTraits) -> FdRule? {
    fdRules[name] ?? (traits.contains(.returnsFd) ? .newFd : nil)
  }

  /// Arguments strace's -P reads as fds that the decoder shows as numbers (pathtrace.c's cases).
  static let numericFdArguments: [String: [Int]] = [
    "dup2": [1], "dup3": [1], "sendfile": [0, 1], "tee": [0, 1], "splice": [0, 2],
    "copy_file_range": [0, 2], "epoll_ctl": [2],
  ]

  /// Calls that make a new task, with what the task is when the flags say no more (CLONE_THREAD
  /// makes a thread, CLONE_VFORK a vfork).
  static let forkKinds: [String: ForkKind] = ["fork": .fork, "vfork": .vfork, "clone": .fork, "clone3": .clone]

  /// Calls that restart as restart_syscall when interrupted: showing one shows its continuation.
  static let restartable: Set<String> = [
    "poll", "nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "futex", "futex_time64",
  ]

  /// Calls that block on time, a signal or a futex: `report` ranks them after waits on objects.
  static let sleeps: Set<String> = [
    "futex", "nanosleep", "clock_nanosleep", "pause", "rt_sigsuspend", "rt_sigtimedwait", "sigsuspend",
  ]

  /// Calls that return a new fd on success (as well as those whose signature returns `.fd`).
  static let returnsFd: Set<String> = [
    "open", "openat", "openat2", "creat", "accept", "accept4", "signalfd", "signalfd4",
    "timerfd_create", "memfd_create", "userfaultfd", "fanotify_init", "perf_event_open", "open_by_handle_at",
    "pidfd_getfd", "io_uring_setup", "memfd_secret", "open_tree", "fsopen", "fsmount", "fspick", "mq_open",
    "landlock_create_ruleset",
  ]

  static let readsFd: Set<String> = [
    "read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64",
  ]
  static let writesFd: Set<String> = [
    "write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg", "sendfile", "sendfile64",
    "vmsplice",
  ]
  static let waitsOnFds: Set<String> = [
    "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64", "epoll_wait",
    "epoll_pwait", "epoll_pwait2",
  ]
  static let waitsOnChild: Set<String> = ["wait4", "waitpid", "waitid"]
  static let mapsCode: Set<String> = ["mmap", "mmap2", "munmap", "mprotect", "mremap", "pkey_mprotect"]
  /// The register with the PROT_* flags of the calls that map code only with PROT_EXEC.
  static let protArgument: [String: Int] = ["mmap": 2, "mmap2": 2, "mprotect": 2, "pkey_mprotect": 2]
  static let neverReturns: Set<String> = ["exit", "exit_group"]
  static let sleepsOnly: Set<String> = [
    "nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "pause", "rt_sigsuspend", "sigsuspend",
    "restart_syscall",
  ]
  static let execs: Set<String> = ["execve", "execveat"]
  /// What a pipe hang is made of, plus process creation and exit (every ABI's names).
  static let shownByDefault: Set<String> = [
    "read", "readv", "pread64", "write", "writev", "close", "close_range", "pipe", "pipe2", "dup", "dup2", "dup3",
    "fcntl", "fcntl64", "wait4", "waitpid", "waitid", "poll", "ppoll", "ppoll_time64", "select", "_newselect",
    "pselect6", "pselect6_time64", "epoll_wait", "epoll_pwait", "clone", "clone3", "fork", "vfork", "execve",
    "execveat", "exit_group", "kill",
  ]
}
