#if canImport(Glibc)
import Glibc
#endif

/// What one thread waits for, decoded from /proc/PID/task/TID/syscall (x86_64 numbers).
public struct BlockedCall: Sendable, Equatable {
  public var syscall: String
  public var number: Int
  public var args: [UInt64]
  /// The fds the call waits on and what it wants from each.
  public var fds: [WaitedFd]
  /// For wait4/waitid: the pid argument (-1 = any child, 0 / < -1 = a process group).
  public var waitPid: Int32?
  /// For epoll_wait: the epoll fd (its watched fds are in `fds`).
  public var epollFd: Int32?
  /// The thread is in `restart_syscall`, continuing this call after a stop interrupted it.
  public var restarted = false

  /// One fd the call waits on. `wants` is what the thread is doing: `.read` waits for data or EOF
  /// (so the write end's holders matter), `.write` waits for room (the read end's holders matter).
  public struct WaitedFd: Sendable, Equatable {
    public var fd: Int32
    public var wants: PipeEnd
    public var target: FdTarget?
  }

  public static func name(of number: Int) -> String { SyscallTable.x86_64.name(of: number) }

  /// i386 numbers (a 32-bit process's /proc/PID/syscall) of the same calls, as x86_64 numbers.
  static let fromI386: [Int: Int] = [
    3: 0, 4: 1, 168: 7, 180: 17, 181: 18, 145: 19, 146: 20, 142: 23, 29: 34, 162: 35, 362: 42, 369: 44,
    371: 45, 370: 46, 372: 47, 7: 61, 114: 61, 55: 72, 221: 72, 177: 128, 179: 130, 240: 202, 0: 219,
    267: 230, 256: 232, 284: 247, 308: 270, 309: 271, 319: 281, 364: 288, 333: 295, 334: 296, 441: 441,
  ]

  /// What a thread sleeping in syscall `number` (as /proc/PID/task/TID/syscall shows it) waits for.
  /// A 32-bit process's numbers are i386 ones; `restart_syscall` is resolved to the call it continues.
  static func read(pid: Int32, tid: Int32, number: Int, args: [UInt64], i386: Bool, wchan: String?) -> BlockedCall {
    var nr = number
    if i386 { nr = fromI386[number] ?? -number - 1000 }  // unknown i386 calls keep a name of their own
    guard nr == RestartedCall.number else {
      return nr < -999 ? BlockedCall(syscall: "i386_syscall_\(number)", number: nr, args: args, fds: [])
        : decode(pid: pid, number: nr, args: args)
    }
    guard let original = RestartedCall.original(pid: pid, tid: tid, wchan: wchan, args: args) else {
      return decode(pid: pid, number: nr, args: args)
    }
    var call = decode(pid: pid, number: original, args: args)
    call.restarted = true
    return call
  }

  /// Decodes the fds and wait target of a blocked call; memory arguments (pollfd arrays, fd_sets) are
  /// read from the process without stopping it.
  public static func decode(pid: Int32, number: Int, args: [UInt64]) -> BlockedCall {
    var call = BlockedCall(syscall: name(of: number), number: number, args: args, fds: [])
    func fd(_ value: UInt64, _ wants: PipeEnd) -> WaitedFd {
      let n = Int32(truncatingIfNeeded: value)
      return WaitedFd(fd: n, wants: wants, target: ProcFS.fdTarget(pid, fd: n))
    }
    switch number {
    case 0, 17, 19, 295, 45, 47:
      call.fds = [fd(args[0], .read)]
    case 1, 18, 20, 296, 44, 46:
      call.fds = [fd(args[0], .write)]
    case 7, 271:
      call.fds = pollFds(pid: pid, address: args[0], count: args[1]).map { fd(UInt64(UInt32(bitPattern: $0.0)), $0.1) }
    case 23, 270:
      let nfds = Int(Int32(truncatingIfNeeded: args[0]))
      call.fds = selectFds(pid: pid, address: args[1], nfds: nfds).map { fd(UInt64($0), .read) }
        + selectFds(pid: pid, address: args[2], nfds: nfds).map { fd(UInt64($0), .write) }
    case 232, 281, 441:
      let epfd = Int32(truncatingIfNeeded: args[0])
      call.epollFd = epfd
      // The interest list has no direction we can read cheaply; a pipe's own end tells it.
      call.fds = ProcFS.epollTargets(pid, epfd: epfd).map { n in
        let end = PipeHolderIndex.end(pid: pid, fd: n) ?? .read
        return WaitedFd(fd: n, wants: end, target: ProcFS.fdTarget(pid, fd: n))
      }
    case 61:
      call.waitPid = Int32(truncatingIfNeeded: args[0])
    case 247:
      // idtype: P_ALL 0, P_PID 1, P_PGID 2.
      switch args[0] {
      case 1: call.waitPid = Int32(truncatingIfNeeded: args[1])
      case 2: call.waitPid = -Int32(truncatingIfNeeded: args[1])
      default: call.waitPid = -1
      }
    default:
      break
    }
    return call
  }

  /// struct pollfd { int fd; short events; short revents; }: POLLIN 1 / POLLPRI 2 read, POLLOUT 4 write.
  static func pollFds(pid: Int32, address: UInt64, count: UInt64) -> [(Int32, PipeEnd)] {
    guard address != 0, count > 0, count <= 4096 else { return [] }
    // A pid names its thread-group leader, which shares the process's memory.
    let buffer = TraceeMemory(tid: pid).bytes(at: address, count: Int(count) * 8)
    guard buffer.count == Int(count) * 8 else { return [] }
    var result: [(Int32, PipeEnd)] = []
    for i in 0..<Int(count) {
      let base = i * 8
      let fd = Int32(bitPattern: UInt32(buffer[base]) | UInt32(buffer[base + 1]) << 8
        | UInt32(buffer[base + 2]) << 16 | UInt32(buffer[base + 3]) << 24)
      let events = UInt16(buffer[base + 4]) | UInt16(buffer[base + 5]) << 8
      if fd < 0 { continue }
      if events & 0x3 != 0 { result.append((fd, .read)) }
      if events & 0x4 != 0 { result.append((fd, .write)) }
    }
    return result
  }

  /// The set bits of an fd_set of `nfds` bits.
  static func selectFds(pid: Int32, address: UInt64, nfds: Int) -> [Int32] {
    guard address != 0, nfds > 0, nfds <= 65536 else { return [] }
    let size = (nfds + 63) / 64 * 8
    let buffer = TraceeMemory(tid: pid).bytes(at: address, count: size)
    guard buffer.count == size else { return [] }
    return (0..<nfds).filter { buffer[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }.map { Int32($0) }
  }

  /// `read(3</pipe:[123]>)`-style short form for text output (paths escaped as strace does).
  public var summary: String {
    let restart = restarted ? " (resumed as restart_syscall)" : ""
    if let waitPid {
      return "\(syscall)(\(waitPid == -1 ? "any child" : "pid \(waitPid)"))" + restart
    }
    if fds.isEmpty { return syscall + restart }
    let list = fds.map { f in "\(f.fd)" + (f.target.map { "<\(DisplayText.escape($0.path))>" } ?? "") }
    if let epollFd { return "\(syscall)(\(epollFd) watching \(list.joined(separator: ", ")))" + restart }
    return "\(syscall)(\(list.joined(separator: ", ")))" + restart
  }
}
