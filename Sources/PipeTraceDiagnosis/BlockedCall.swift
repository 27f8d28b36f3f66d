import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// What one thread waits for, decoded from /proc/PID/task/TID/syscall with the syscall table of
/// the thread's ABI (x86_64 or i386): the row's traits and argument kinds say which fds it waits on.
public struct BlockedCall: Sendable, Equatable {
  public var syscall: String
  /// The number in the thread's own ABI.
  public var number: Int
  public var args: [UInt64]
  /// The fds the call waits on and what it wants from each.
  public var fds: [WaitedFd]
  /// For wait4/waitpid/waitid: the pid argument (-1 = any child, 0 / < -1 = a process group).
  public var waitPid: Int32?
  /// For epoll_wait: the epoll fd (its watched fds are in `fds`).
  public var epollFd: Int32?
  /// The thread is in `restart_syscall`, continuing this call after a stop interrupted it.
  public var restarted = false
  /// What the table knows of the call.
  public var traits: SyscallTraits = []

  /// One fd the call waits on. `wants` is what the thread is doing: `.read` waits for data or EOF
  /// (so the write end's holders matter), `.write` waits for room (the read end's holders matter).
  public struct WaitedFd: Sendable, Equatable {
    public var fd: Int32
    public var wants: PipeEnd
    public var target: FdTarget?
  }

  /// Waits for time or a signal only (a sleep, or a restart_syscall that is not a poll).
  public var sleepsOnly: Bool { traits.contains(.sleepsOnly) }

  /// What a thread sleeping in syscall `number` (as /proc/PID/task/TID/syscall shows it, in its own
  /// ABI) waits for; `restart_syscall` is resolved to the call it continues.
  static func read(pid: Int32, tid: Int32, number: Int, args: [UInt64], i386: Bool, wchan: String?) -> BlockedCall {
    let table = i386 ? SyscallTable.i386 : .x86_64
    let row = table.row(number)
    guard row.traits.contains(.continuesCall),
      let original = RestartedCall.original(pid: pid, tid: tid, wchan: wchan, args: args),
      let resumed = table.number(of: original) ?? table.number(of: original.name + "_time64")
    else {
      return decode(pid: pid, row: row, args: args)
    }
    var call = decode(pid: pid, row: table.row(resumed), args: args)
    call.restarted = true
    return call
  }

  /// Decodes the fds and wait target of a blocked call from its row: reads and writes on their first
  /// argument, pollfd arrays, fd_sets, an epoll fd's interest list, a wait's pid. Memory arguments
  /// are read from the process without stopping it.
  static func decode(pid: Int32, row: SyscallRow, args: [UInt64]) -> BlockedCall {
    var call = BlockedCall(syscall: row.name, number: row.number, args: args, fds: [], traits: row.traits)
    func fd(_ value: UInt64, _ wants: PipeEnd) -> WaitedFd {
      let n = Int32(truncatingIfNeeded: value)
      return WaitedFd(fd: n, wants: wants, target: ProcFS.fdTarget(pid, fd: n))
    }
    let kinds = row.args ?? []
    let t = row.traits
    if t.contains(.readsFd) {
      call.fds = [fd(args[0], .read)]
    } else if t.contains(.writesFd) {
      call.fds = [fd(args[0], .write)]
    } else if t.contains(.waitsOnFds) {
      if case .pollFds? = kinds.first {
        call.fds = pollFds(pid: pid, address: args[0], count: args[1]).map { fd(UInt64(UInt32(bitPattern: $0.0)), $0.1) }
      } else if kinds.count >= 3, case .fdSet = kinds[1] {
        let nfds = Int(Int32(truncatingIfNeeded: args[0]))
        call.fds = selectFds(pid: pid, address: args[1], nfds: nfds).map { fd(UInt64($0), .read) }
          + selectFds(pid: pid, address: args[2], nfds: nfds).map { fd(UInt64($0), .write) }
      } else if kinds.count >= 2, case .fd = kinds[0], case .epollEvents = kinds[1] {
        let epfd = Int32(truncatingIfNeeded: args[0])
        call.epollFd = epfd
        // Each interest says what it waits for, as a pollfd does.
        let reading = UInt32(CT_EPOLLIN | CT_EPOLLPRI | CT_EPOLLRDHUP), writing = UInt32(CT_EPOLLOUT)
        call.fds = ProcFS.epollInterest(pid, epfd: epfd).flatMap { n, events in
          (events & reading != 0 ? [fd(UInt64(UInt32(bitPattern: n)), .read)] : [])
            + (events & writing != 0 ? [fd(UInt64(UInt32(bitPattern: n)), .write)] : [])
        }
      }
    } else if t.contains(.waitsOnChild) {
      if case .waitId? = kinds.dropFirst().first {
        // waitid(idtype, id, ...): P_ALL 0, P_PID 1, P_PGID 2.
        switch args[0] {
        case UInt64(CT_P_PID): call.waitPid = Int32(truncatingIfNeeded: args[1])
        case UInt64(CT_P_PGID): call.waitPid = -Int32(truncatingIfNeeded: args[1])
        default: call.waitPid = -1
        }
      } else {
        call.waitPid = Int32(truncatingIfNeeded: args[0])  // wait4, waitpid
      }
    }
    return call
  }

  /// struct pollfd { int fd; short events; short revents; } (the same in every ABI): POLLIN or
  /// POLLPRI read, POLLOUT write.
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
      if events & UInt16(CT_POLLIN | CT_POLLPRI) != 0 { result.append((fd, .read)) }
      if events & UInt16(CT_POLLOUT) != 0 { result.append((fd, .write)) }
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
