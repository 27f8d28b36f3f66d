/// The syscall table as data: numbers and names for every x86_64 syscall, decoding recipes for the
/// ones pipetrace knows (the rest print their six raw arguments in hex).
public struct SyscallTable: Sendable {
  public static let x86_64 = SyscallTable(names: X86_64SyscallNames.byNumber, specs: x86_64Specs)

  let names: [String]
  let specs: [SyscallSpec?]
  let numbersByName: [String: Int]

  init(names: [String], specs: [String: SyscallSpec]) {
    self.names = names
    var byNumber = [SyscallSpec?](repeating: nil, count: names.count)
    var numbers: [String: Int] = [:]
    for (nr, name) in names.enumerated() where !name.isEmpty {
      numbers[name] = nr
      byNumber[nr] = specs[name]
    }
    self.specs = byNumber
    self.numbersByName = numbers
  }

  public var count: Int { names.count }

  public func name(of nr: Int) -> String {
    nr >= 0 && nr < names.count && !names[nr].isEmpty ? names[nr] : "syscall_\(nr)"
  }

  public func number(of name: String) -> Int? { numbersByName[name] }

  func spec(of nr: Int) -> SyscallSpec {
    if nr >= 0 && nr < specs.count, let s = specs[nr] { return s }
    return SyscallSpec(name: name(of: nr), args: Array(repeating: .hex, count: 6))
  }

  /// The default set: what a pipe hang is made of, plus process creation and exit.
  public static let pipeSet: [String] = [
    "read", "readv", "pread64", "write", "writev", "close", "close_range", "pipe", "pipe2", "dup",
    "dup2", "dup3", "fcntl", "wait4", "waitid", "poll", "ppoll", "select", "pselect6", "epoll_wait",
    "epoll_pwait", "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit_group", "kill",
  ]

  /// Calls the tracer must see even when they are not shown: they change fd tables (so cached fd
  /// targets stay right), create threads (which share a table) or replace the program image.
  public static let modelSet: [String] = [
    "close", "close_range", "dup2", "dup3", "execve", "execveat", "clone", "clone3",
  ]

  /// With stack traces: calls that map or unmap code, after which cached unwind info is stale.
  public static let codeMappingSet: [String] = ["mmap", "munmap", "mprotect", "mremap"]

  static let x86_64Specs: [String: SyscallSpec] = {
    let list: [SyscallSpec] = [
      SyscallSpec(name: "read", args: [.fd, .outBuffer, .uint]),
      SyscallSpec(name: "write", args: [.fd, .inBuffer(countArg: 2), .uint]),
      SyscallSpec(name: "pread64", args: [.fd, .outBuffer, .uint, .long]),
      SyscallSpec(name: "pwrite64", args: [.fd, .inBuffer(countArg: 2), .uint, .long]),
      SyscallSpec(name: "readv", args: [.fd, .outIovec(countArg: 2), .int]),
      SyscallSpec(name: "writev", args: [.fd, .inIovec(countArg: 2), .int]),
      SyscallSpec(name: "open", args: [.path, .openFlags, .mode], returns: .fd),
      SyscallSpec(name: "openat", args: [.dirfd, .path, .openFlags, .mode], returns: .fd),
      SyscallSpec(name: "close", args: [.fd]),
      SyscallSpec(name: "close_range", args: [.uint, .uint, .closeRangeFlags]),
      SyscallSpec(name: "pipe", args: [.pipeFds]),
      SyscallSpec(name: "pipe2", args: [.pipeFds, .openFlags]),
      SyscallSpec(name: "dup", args: [.fd], returns: .fd),
      SyscallSpec(name: "dup2", args: [.fd, .int], returns: .fd),
      SyscallSpec(name: "dup3", args: [.fd, .int, .openFlags], returns: .fd),
      SyscallSpec(name: "fcntl", args: [.fd, .fcntlCommand, .int]),
      SyscallSpec(name: "wait4", args: [.int, .waitStatus, .waitOptions, .pointer]),
      SyscallSpec(name: "waitid", args: [.idType, .int, .pointer, .waitOptions, .pointer]),
      SyscallSpec(name: "poll", args: [.pollFds(countArg: 1), .uint, .int]),
      SyscallSpec(name: "ppoll", args: [.pollFds(countArg: 1), .uint, .pointer, .pointer, .uint]),
      SyscallSpec(name: "select", args: [.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .pointer]),
      SyscallSpec(name: "pselect6", args: [.int, .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .fdSet(nfdsArg: 0), .pointer, .pointer]),
      SyscallSpec(name: "epoll_wait", args: [.fd, .pointer, .int, .int]),
      SyscallSpec(name: "epoll_pwait", args: [.fd, .pointer, .int, .int, .pointer, .uint]),
      SyscallSpec(name: "clone", args: [.cloneFlagsAndStack]),
      SyscallSpec(name: "clone3", args: [.cloneArgs, .uint]),
      SyscallSpec(name: "fork", args: []),
      SyscallSpec(name: "vfork", args: []),
      SyscallSpec(name: "execve", args: [.path, .argv, .envp]),
      SyscallSpec(name: "execveat", args: [.dirfd, .path, .argv, .envp, .hex]),
      SyscallSpec(name: "exit_group", args: [.int], returns: .none),
      SyscallSpec(name: "exit", args: [.int], returns: .none),
      SyscallSpec(name: "kill", args: [.int, .signal]),
      SyscallSpec(name: "tgkill", args: [.int, .int, .signal]),
      SyscallSpec(name: "socket", args: [.int, .int, .int], returns: .fd),
      SyscallSpec(name: "nanosleep", args: [.pointer, .pointer]),
      SyscallSpec(name: "getpid", args: []),
      SyscallSpec(name: "getppid", args: []),
      SyscallSpec(name: "setsid", args: []),
      SyscallSpec(name: "brk", args: [.pointer], returns: .hex),
      SyscallSpec(name: "mmap", args: [.pointer, .uint, .hex, .hex, .fd, .hex], returns: .hex),
      SyscallSpec(name: "munmap", args: [.pointer, .uint]),
      SyscallSpec(name: "mprotect", args: [.pointer, .uint, .hex]),
      SyscallSpec(name: "mremap", args: [.pointer, .uint, .uint, .hex, .pointer], returns: .hex),
      SyscallSpec(name: "lseek", args: [.fd, .long, .int]),
      SyscallSpec(name: "fstat", args: [.fd, .pointer]),
      SyscallSpec(name: "newfstatat", args: [.dirfd, .path, .pointer, .hex]),
      SyscallSpec(name: "access", args: [.path, .int]),
      SyscallSpec(name: "chdir", args: [.path]),
      SyscallSpec(name: "unlink", args: [.path]),
      SyscallSpec(name: "rt_sigreturn", args: []),
      SyscallSpec(name: "restart_syscall", args: []),
    ]
    return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
  }()
}
