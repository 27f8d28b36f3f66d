/// The calls pipetrace knows more of than `NAME NARGS CLASSES`, one spec line each: the head as in
/// `SyscallCatalogue.text`, then the argument kinds (nil: not decoded, NARGS raw words in hex; a
/// `special` decoder for calls whose arguments depend on each other), the return kind, the traits,
/// the fd-effect rule, the fork kind, the arguments strace's -P reads as fds that print as numbers,
/// the register with the PROT_* flags of a call that maps code only with PROT_EXEC, and the kernel
/// functions that show a restart_syscall continuing the call. Derived, not written: `returnsFd`
/// (a `.fd` return or the `newFd` rule; a `.fd` return alone implies `newFd`), `changesFdTable`
/// and `hasFdEffect` (from the rule), `createsTask` (from the fork kind). Where the i386 ABI decodes
/// a name otherwise, its override is in `I386Syscalls`.
extension SyscallCatalogue {
  package static let lines: [SpecLine] = [
    .call("read 3 d", [.fd, .outBuffer, .ulong], traits: [.readsFd, .shownByDefault]),
    .call("write 3 d", [.fd, .inBuffer(countArg: 2), .ulong], traits: [.writesFd, .shownByDefault]),
    .call("open 3 df", [.path, .openFlags, .openMode], returns: .fd),
    .call("close 1 d", [.fd], traits: .shownByDefault, fd: .close(fd: 0)),
    .call("stat 2 fS", [.path, .pointer]),
    .call("fstat 2 dF", [.fd, .pointer]),
    .call("lstat 2 fL", [.path, .pointer]),
    .call("poll 3 d", [.pollFds(countArg: 1), .uint, .int], traits: [.waitsOnFds, .shownByDefault, .restartable],
          restart: .init(stack: ["do_restart_poll"], wchan: ["poll"])),
    .call("lseek 3 d", [.fd, .long, .xval(.seekWhence, dflt: "SEEK_???")]),
    .call("mmap 6 dm", [], returns: .hex, special: .mmap(pageOffset: false), traits: .mapsCode, prot: 2),
    .call("mprotect 3 m", [.pointer, .ulong, .flags(.mmapProt, dflt: "PROT_???")], traits: .mapsCode, prot: 2),
    .call("munmap 2 m", [.pointer, .ulong], traits: .mapsCode),
    .call("brk 1 m", [.pointer], returns: .hex),
    .call("rt_sigreturn 0 s", []),
    .call("ioctl 3 d", [.fd, .hexInt, .hexLong]),
    .call("pread64 4 d", [.fd, .outBuffer, .ulong, .offset], traits: [.readsFd, .shownByDefault]),
    .call("pwrite64 4 d", [.fd, .inBuffer(countArg: 2), .ulong, .offset], traits: .writesFd),
    .call("readv 3 d", [.fd, .outIovec(countArg: 2), .ulong], traits: [.readsFd, .shownByDefault]),
    .call("writev 3 d", [.fd, .inIovec(countArg: 2), .ulong], traits: [.writesFd, .shownByDefault]),
    .call("access 2 f", [.path, accessMode]),
    .call("pipe 1 d", [.pipeFds], traits: .shownByDefault, fd: .pair(array: 0, flags: nil, pipe: true)),
    .call("select 5 d", selectArgs, traits: [.waitsOnFds, .shownByDefault]),
    .call("sched_yield 0 -", []),
    .call("mremap 5 m", [.pointer, .ulong, .ulong, .hexInt, .pointer], returns: .hex, traits: .mapsCode),
    .call("dup 1 d", [.fd], returns: .fd, traits: .shownByDefault, fd: .duplicate(old: 0, new: nil, flags: nil)),
    .call("dup2 2 d", [.fd, .fd], returns: .fd,
          traits: .shownByDefault, fd: .duplicate(old: 0, new: 1, flags: nil), pathFds: [1]),
    .call("pause 0 s", [], traits: [.sleepsOnly, .sleeps]),
    .call("nanosleep 2 -", [.timespec(time64: false), .timespecRemainder(time64: false)],
          traits: [.sleepsOnly, .restartable, .sleeps]),
    .call("getpid 0 P", []),
    .call("sendfile 4 dn", traits: .writesFd, pathFds: [0, 1]),
    .call("socket 3 n", [.int, .int, .int], returns: .fd),
    .call("accept 3 n", fd: .newFd),
    .call("sendto 6 n", traits: .writesFd),
    .call("recvfrom 6 n", traits: .readsFd),
    .call("sendmsg 3 n", traits: .writesFd),
    .call("recvmsg 3 n", traits: .readsFd),
    .call("socketpair 4 n", [.xval(.addressFamilies, dflt: "AF_???"), .socketType, .ulong, .pipeFds],
          fd: .pair(array: 3, flags: 1, pipe: false)),
    .call("clone 5 p", [], special: .clone, traits: .shownByDefault, fork: .fork),
    .call("fork 0 p", [], traits: .shownByDefault, fork: .fork),
    .call("vfork 0 p", [], traits: .shownByDefault, fork: .vfork),
    .call("execve 3 fp", [.path, .argv, .envp], traits: [.shownByDefault, .execs]),
    .call("exit 1 p", [.int], returns: .none, traits: .neverReturns),
    .call("wait4 4 p", [.int, .waitStatus, waitOptions, .rusage(always: false)], traits: [.waitsOnChild, .shownByDefault]),
    .call("kill 2 ps", [.int, .signal], traits: .shownByDefault),
    .call("fcntl 3 d", fcntlArgs, traits: .shownByDefault, fd: .fcntl(fd: 0, command: 1, arg: 2)),
    .call("fsync 1 d", [.fd]),
    .call("fdatasync 1 d", [.fd]),
    .call("truncate 2 f", [.path, .long]),
    .call("ftruncate 2 d", [.fd, .long]),
    .call("chdir 1 f", [.path]),
    .call("fchdir 1 d", [.fd]),
    .call("rename 2 f", [.path, .path]),
    .call("mkdir 2 f", [.path, .mode]),
    .call("rmdir 1 f", [.path]),
    .call("creat 2 df", [.path, .mode], returns: .fd),
    .call("link 2 f", [.path, .path]),
    .call("unlink 1 f", [.path]),
    .call("symlink 2 f", [.path, .path]),
    .call("readlink 3 f", [.path, .outBuffer, .ulong]),
    .call("chmod 2 f", [.path, .mode]),
    .call("fchmod 2 d", [.fd, .mode]),
    .call("umask 1 -", [.mode]),
    .call("getuid 0 cP", []),
    .call("getgid 0 cP", []),
    .call("geteuid 0 cP", []),
    .call("getegid 0 cP", []),
    .call("setpgid 2 -", [.int, .int]),
    .call("getppid 0 P", []),
    .call("getpgrp 0 P", []),
    .call("setsid 0 -", []),
    .call("getpgid 1 -", [.int]),
    .call("getsid 1 -", [.int]),
    .call("rt_sigtimedwait 4 s", traits: .sleeps),
    .call("rt_sigsuspend 2 s", traits: [.sleepsOnly, .sleeps]),
    .call("chroot 1 f", [.path]),
    .call("gettid 0 P", []),
    .call("tkill 2 ps", [.int, .signal]),
    .call("futex 6 -", traits: [.restartable, .sleeps], restart: .init(stack: ["futex_wait_restart"], wchan: ["futex"])),
    .call("epoll_create 1 d", [.int], returns: .fd),
    .call("getdents64 3 d", [.fd, .pointer, .uint]),
    .call("set_tid_address 1 -", [.pointer]),
    .call("restart_syscall 0 -", traits: [.sleepsOnly, .continuesCall]),
    .call("clock_nanosleep 4 -", clockNanosleepArgs(time64: false), traits: [.sleepsOnly, .restartable, .sleeps],
          restart: .init(stack: ["hrtimer_nanosleep_restart", "posix_cpu_nsleep_restart", "alarm_timer_nsleep_restart"],
                         wchan: ["nanosleep", "hrtimer"])),
    .call("exit_group 1 p", [.int], returns: .none, traits: [.neverReturns, .shownByDefault]),
    .call("epoll_wait 4 d", [.fd, .epollEvents, .int, .int], traits: [.waitsOnFds, .shownByDefault]),
    .call("epoll_ctl 4 d", [.fd, .xval(.epollCtlOps, dflt: "EPOLL_CTL_???"), .fd, .epollEvent], pathFds: [2]),
    .call("tgkill 3 ps", [.int, .int, .signal]),
    .call("mq_open 4 d", fd: .newFd),
    .call("waitid 5 p", [.xval(.waitidTypes, dflt: "P_???"), .waitId(idtypeArg: 0), .siginfo, waitOptions, .rusage(always: true)],
          traits: [.waitsOnChild, .shownByDefault]),
    .call("inotify_init 0 d", []),
    .call("openat 4 df", [.dirfd, .path, .openFlags, .openMode], returns: .fd),
    .call("mkdirat 3 df", [.dirfd, .path, .mode]),
    .call("newfstatat 4 dfF", [.dirfd, .path, .pointer, atFlags]),
    .call("unlinkat 3 df", [.dirfd, .path, atFlags]),
    .call("renameat 4 df", [.dirfd, .path, .dirfd, .path]),
    .call("readlinkat 4 df", [.dirfd, .path, .outBuffer, .ulong]),
    .call("fchmodat 3 df", [.dirfd, .path, .mode]),
    .call("faccessat 3 df", [.dirfd, .path, accessMode]),
    .call("pselect6 6 d", pselectArgs(time64: false), traits: [.waitsOnFds, .shownByDefault]),
    .call("ppoll 5 d", ppollArgs(time64: false), traits: [.waitsOnFds, .shownByDefault]),
    .call("splice 6 d", pathFds: [0, 2]),
    .call("tee 4 d", pathFds: [0, 1]),
    .call("vmsplice 4 d", traits: .writesFd),
    .call("epoll_pwait 6 d", [.fd, .epollEvents, .int, .int, .sigset(sizeArg: 5), .ulong],
          traits: [.waitsOnFds, .shownByDefault]),
    .call("signalfd 3 ds", fd: .newFd),
    .call("timerfd_create 2 d", fd: .newFd),
    .call("eventfd 1 d", [.uint], returns: .fd),
    .call("accept4 4 n", fd: .newFd),
    .call("signalfd4 4 ds", fd: .newFd),
    .call("eventfd2 2 d", [.uint, .flags(.openModeFlags, dflt: "EFD_???")], returns: .fd),
    .call("epoll_create1 1 d", [.flags(.epollCreateFlags, dflt: "EPOLL_???")], returns: .fd),
    .call("dup3 3 d", [.fd, .fd, openModeFlags], returns: .fd,
          traits: .shownByDefault, fd: .duplicate(old: 0, new: 1, flags: 2), pathFds: [1]),
    .call("pipe2 2 d", [.pipeFds, openModeFlags], traits: .shownByDefault, fd: .pair(array: 0, flags: 1, pipe: true)),
    .call("inotify_init1 1 d", [.flags(.openModeFlags, dflt: "IN_???")], returns: .fd),
    .call("preadv 5 d", [.fd, .outIovec(countArg: 2), .ulong, .offset], traits: .readsFd),
    .call("pwritev 5 d", [.fd, .inIovec(countArg: 2), .ulong, .offset], traits: .writesFd),
    .call("perf_event_open 5 d", fd: .newFd),
    .call("recvmmsg 5 n", traits: .readsFd),
    .call("fanotify_init 2 d", fd: .newFd),
    .call("open_by_handle_at 3 d", fd: .newFd),
    .call("sendmmsg 4 n", traits: .writesFd),
    .call("memfd_create 2 d", fd: .newFd),
    .call("execveat 5 dfp", [.dirfd, .path, .argv, .envp, .flags(.execveatFlags, dflt: "AT_???")],
          traits: [.shownByDefault, .execs]),
    .call("userfaultfd 1 d", fd: .newFd),
    .call("copy_file_range 6 d", pathFds: [0, 2]),
    .call("preadv2 6 d", [.fd, .outIovec(countArg: 2), .ulong, .offset, .hexInt], traits: .readsFd),
    .call("pwritev2 6 d", [.fd, .inIovec(countArg: 2), .ulong, .offset, .hexInt], traits: .writesFd),
    .call("pkey_mprotect 4 m", traits: .mapsCode, prot: 2),
    .call("statx 5 dfF", [.dirfd, .path, atFlags, .hexInt, .pointer]),
    .call("io_uring_setup 2 d", fd: .newFd),
    .call("open_tree 3 df", fd: .newFd),
    .call("fsopen 2 d", fd: .newFd),
    .call("fsmount 3 d", fd: .newFd),
    .call("fspick 3 df", fd: .newFd),
    .call("pidfd_open 2 d", [.int, .uint], returns: .fd),
    .call("clone3 2 p", [.cloneArgs(sizeArg: 1), .ulong], traits: .shownByDefault, fork: .clone),
    .call("close_range 3 -", [.uint, .uint, .flags(.closeRangeFlags, dflt: "CLOSE_RANGE_???")],
          traits: .shownByDefault, fd: .closeRange(first: 0, last: 1, flags: 2)),
    .call("openat2 4 df", fd: .newFd),
    .call("pidfd_getfd 3 d", fd: .newFd),
    .call("faccessat2 4 df", [.dirfd, .path, accessMode, atFlags]),
    .call("epoll_pwait2 6 d", [.fd, .epollEvents, .int, .timespec(time64: true), .sigset(sizeArg: 5), .ulong],
          traits: .waitsOnFds),
    .call("landlock_create_ruleset 3 d", fd: .newFd),
    .call("memfd_secret 1 d", fd: .newFd),
    .call("waitpid 3 p", [.int, .waitStatus, waitOptions], traits: [.waitsOnChild, .shownByDefault]),
    .call("sigsuspend 3 s", traits: [.sleepsOnly, .sleeps]),
    .call("sigreturn 0 s", []),
    .call("_newselect 5 d", selectArgs, traits: [.waitsOnFds, .shownByDefault]),
    .call("mmap2 6 dm", [], returns: .hex, special: .mmap(pageOffset: true), traits: .mapsCode, prot: 2),
    .call("truncate64 3 f", [.path, .offset]),
    .call("ftruncate64 3 d", [.fd, .offset]),
    .call("stat64 2 fS", [.path, .pointer]),
    .call("lstat64 2 fL", [.path, .pointer]),
    .call("fstat64 2 dF", [.fd, .pointer]),
    .call("fstatat64 4 dfF", [.dirfd, .path, .pointer, atFlags]),
    .call("getuid32 0 cP", []),
    .call("getgid32 0 cP", []),
    .call("geteuid32 0 cP", []),
    .call("getegid32 0 cP", []),
    .call("fcntl64 3 d", fcntlArgs, traits: .shownByDefault, fd: .fcntl(fd: 0, command: 1, arg: 2)),
    .call("sendfile64 4 dn", traits: .writesFd, pathFds: [0, 1]),
    .call("clock_nanosleep_time64 4 -", clockNanosleepArgs(time64: true), traits: [.sleepsOnly, .restartable, .sleeps]),
    .call("pselect6_time64 6 d", pselectArgs(time64: true), traits: [.waitsOnFds, .shownByDefault]),
    .call("ppoll_time64 5 d", ppollArgs(time64: true), traits: [.waitsOnFds, .shownByDefault]),
    .call("recvmmsg_time64 5 n", traits: .readsFd),
    .call("futex_time64 6 -", traits: [.restartable, .sleeps]),
    .call("rt_sigtimedwait_time64 4 s", traits: .sleeps),
  ]

  // Argument kinds and lists more than one line uses (a call's variant in another ABI, its time64
  // twin); `selectArgs` also decodes the five arguments i386's old select(2) points to.
  private static let openModeFlags = ArgKind.flags(.openModeFlags, dflt: "O_???")
  private static let waitOptions = ArgKind.flags(.waitOptions, dflt: "W???")
  private static let atFlags = ArgKind.flags(.atFlags, dflt: "AT_???")
  private static let accessMode = ArgKind.flags(.accessModes, dflt: "?_OK")
  static let selectArgs: [ArgKind] = [.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .timeval]
  private static let fcntlArgs: [ArgKind] = [.fd, .xval(.fcntlCommands, dflt: "F_???"), .fcntlArg]
  private static func pselectArgs(time64: Bool) -> [ArgKind] {
    [.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .timespec(time64: time64), .pselectSigmask]
  }
  private static func ppollArgs(time64: Bool) -> [ArgKind] {
    [.pollFds(countArg: 1), .uint, .timespec(time64: time64), .sigset(sizeArg: 4), .ulong]
  }
  private static func clockNanosleepArgs(time64: Bool) -> [ArgKind] {
    [.clockId, .flags(.timerFlags, dflt: "TIMER_???"), .timespec(time64: time64), .timespecRemainder(time64: time64)]
  }
}

/// One spec line (`SyscallCatalogue.lines`).
package struct SpecLine: Sendable {
  /// `NAME NARGS CLASSES`, as a line of `SyscallCatalogue.text`.
  let head: String
  let signature: Signature?
  let traits: SyscallTraits
  let fdRule: FdRule?
  let forkKind: ForkKind?
  let numericFdArguments: [Int]
  let protArgument: Int?
  let restartMarkers: RestartMarkers?

  static func call(
    _ head: String, _ args: [ArgKind]? = nil, returns: ReturnKind = .int, special: SpecialDecoder? = nil,
    traits: SyscallTraits = [], fd: FdRule? = nil, fork: ForkKind? = nil, pathFds: [Int] = [], prot: Int? = nil,
    restart: RestartMarkers? = nil
  ) -> SpecLine {
    SpecLine(
      head: head, signature: args.map { Signature($0, returns, special: special) }, traits: traits, fdRule: fd,
      forkKind: fork, numericFdArguments: pathFds, protArgument: prot, restartMarkers: restart)
  }
}

/// How a thread in restart_syscall shows which call it continues: a kernel function in its stack
/// (reading it needs privilege) or a word in its wait channel (`RestartedCall`).
public struct RestartMarkers: Sendable {
  public let stack: [String]
  public let wchan: [String]
}
