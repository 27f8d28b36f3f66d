import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// One fd, in one process, that refers to a pipe (or, in the index's other tables, a socket or file).
public struct PipeFd: Sendable, Equatable, Hashable {
  public var pid: Int32
  public var fd: Int32
  public var inode: UInt64
  public var end: PipeEnd?
  /// The thread whose own fd table holds it (a thread that unshared its table with
  /// unshare(CLONE_FILES)); nil for the process's table, which all its other threads share.
  public var tid: Int32? = nil

  /// The /proc entry whose `fd` and `fdinfo` show this fd: the thread's own (/proc/TID shows that
  /// thread's table) or the process's.
  public var tableOwner: Int32 { tid ?? pid }
}

/// Every pipe and socket fd on the system, from one scan of /proc/*/fd, and the fds that name a
/// path (FIFOs and ttys are found among them by `stat`, only when asked).
///
/// The kernel has no lookup from a pipe to its holders, so like lsof we scan every process; unlike
/// lsof we only readlink (no stat) and read fdinfo only for the objects we are asked about.
public struct PipeHolderIndex: Sendable {
  /// inode → the fds that refer to it (end not yet resolved).
  public private(set) var fdsByInode: [UInt64: [PipeFd]] = [:]
  /// Socket inode → the fds that refer to it.
  public private(set) var socketsByInode: [UInt64: [PipeFd]] = [:]
  /// Fds whose link is a path (`/dev/pts/3`, `/tmp/fifo`): candidates for FIFO and pty lookups.
  public private(set) var pathFds: [PipeFd] = []
  /// Processes whose fd table could not be read (another user's, without privilege): what they
  /// hold is not in the index, so an answer built on it may be incomplete.
  public private(set) var uninspected: [Int32] = []

  public init() {}

  /// Scans all processes now.
  public static func scan() -> PipeHolderIndex {
    var index = PipeHolderIndex()
    var link = [UInt8](repeating: 0, count: 64)
    for pid in ProcFS.allPids() {
      let fdDir = ProcFS.openFdDirectory(pid)
      if fdDir < 0 {
        // A process that exited meanwhile is no loss; one we may not look into is.
        if errno == EACCES || errno == EPERM, ProcStat.read(pid).map({ !$0.isKernelThread }) ?? false {
          index.uninspected.append(pid)
        }
        continue
      }
      index.add(fdDir: fdDir, pid: pid, tid: nil, link: &link)
      for tid in threadsWithOwnFdTable(pid) {
        let dir = ProcFS.openFdDirectory(pid, tid: tid)
        if dir >= 0 { index.add(fdDir: dir, pid: pid, tid: tid, link: &link) }
      }
    }
    return index
  }

  /// Adds the pipe, socket and path fds of one fd table (`/proc/PID/fd`, or a thread's own
  /// `/proc/PID/task/TID/fd`), and closes `fdDir`.
  private mutating func add(fdDir: Int32, pid: Int32, tid: Int32?, link: inout [UInt8]) {
    let pipePrefix: [UInt8] = Array("pipe:[".utf8)
    let socketPrefix: [UInt8] = Array("socket:[".utf8)
    guard let dir = fdopendir(fdDir) else {
      close(fdDir)
      return
    }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      // d_name of an fd entry is a short decimal number; skip "." and "..".
      let fd: Int32? = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { name -> Int32? in
          if name[0] == 0x2E { return nil }
          return Int32(atoi(name))
        }
      }
      guard let fd else { continue }
      let n = withUnsafePointer(to: entry.pointee.d_name) { namePtr in
        namePtr.withMemoryRebound(to: CChar.self, capacity: 256) { name in
          link.withUnsafeMutableBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { readlinkat(fdDir, name, $0.baseAddress!, $0.count) }
          }
        }
      }
      guard n > 0 else { continue }
      if link[0] == 0x2F {  // "/": a path (possibly cut at 64 bytes: only stat reads it later)
        pathFds.append(PipeFd(pid: pid, fd: fd, inode: 0, end: nil, tid: tid))
      } else if let inode = Self.bracketedInode(link, n, prefix: pipePrefix) {
        fdsByInode[inode, default: []].append(PipeFd(pid: pid, fd: fd, inode: inode, end: nil, tid: tid))
      } else if let inode = Self.bracketedInode(link, n, prefix: socketPrefix) {
        socketsByInode[inode, default: []].append(PipeFd(pid: pid, fd: fd, inode: inode, end: nil, tid: tid))
      }
    }
  }

  /// The threads of `pid` whose fd table is not the process's (kcmp(KCMP_FILES) against the
  /// leader): only a process with more than one thread is asked, one syscall per thread, so a
  /// server's hundreds of threads sharing one table cost no fd directory reads.
  static func threadsWithOwnFdTable(_ pid: Int32) -> [Int32] {
    // /proc/PID/task has a link per thread plus two: one stat tells a single-threaded process
    // (most of them) without listing the directory.
    if let links = ProcFS.taskLinkCount(pid), links <= 3 { return [] }
    let tids = ProcFS.threadIds(of: pid)
    guard tids.count > 1 else { return [] }
    return tids.filter { $0 != pid && ct_has_own_fd_table(pid, $0) == 1 }
  }

  /// N of `prefix` N `]` in the first `n` bytes of `link`.
  private static func bracketedInode(_ link: [UInt8], _ n: Int, prefix: [UInt8]) -> UInt64? {
    guard n > prefix.count + 1, n <= link.count, link[n - 1] == 0x5D,
      link[0..<prefix.count].elementsEqual(prefix)
    else { return nil }
    var inode: UInt64 = 0
    for byte in link[prefix.count..<(n - 1)] {
      guard byte >= 0x30 && byte <= 0x39 else { return nil }
      inode = inode &* 10 &+ UInt64(byte - 0x30)
    }
    return inode
  }

  /// The holders of one pipe, each with its end read from fdinfo (falling back to the link's mode bits).
  public func holders(of inode: UInt64) -> [PipeFd] {
    (fdsByInode[inode] ?? []).map { fd in
      var resolved = fd
      resolved.end = PipeEnd.of(pid: fd.tableOwner, fd: fd.fd)
      return resolved
    }
  }

  /// The holders of one socket.
  public func socketHolders(of inode: UInt64) -> [PipeFd] {
    socketsByInode[inode] ?? []
  }

  /// The path fds whose `stat` matches (device and inode of the file, or `rdev` of a device).
  /// `end` is the access mode: `.read`, `.write`, or nil for read-write.
  public func pathHolders(where matches: (stat) -> Bool) -> [PipeFd] {
    pathFds.compactMap { fd in
      guard let st = ProcFS.fdStat(fd.tableOwner, fd: fd.fd), matches(st) else { return nil }
      var resolved = fd
      resolved.inode = UInt64(st.st_ino)
      resolved.end = PipeEnd.accessMode(pid: fd.tableOwner, fd: fd.fd)
      return resolved
    }
  }
}
