#if canImport(Glibc)
import Glibc
#endif

/// One fd, in one process, that refers to a pipe.
public struct PipeFd: Sendable, Equatable, Hashable {
  public var pid: Int32
  public var fd: Int32
  public var inode: UInt64
  public var end: PipeEnd?
}

/// Every pipe fd on the system, from one scan of /proc/*/fd.
///
/// The kernel has no lookup from a pipe to its holders, so like lsof we scan every process; unlike
/// lsof we only readlink (no stat) and read fdinfo only for the pipes we are asked about.
public struct PipeHolderIndex: Sendable {
  /// inode → the fds that refer to it (end not yet resolved).
  public private(set) var fdsByInode: [UInt64: [PipeFd]] = [:]

  public init() {}

  /// Scans all processes now.
  public static func scan() -> PipeHolderIndex {
    var index = PipeHolderIndex()
    let prefix: [UInt8] = Array("pipe:[".utf8)
    var link = [UInt8](repeating: 0, count: 64)
    for pid in ProcFS.allPids() {
      let fdDir = open("/proc/\(pid)/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      if fdDir < 0 { continue }
      guard let dir = fdopendir(fdDir) else {
        close(fdDir)
        continue
      }
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
        guard n > prefix.count + 1, link[0..<prefix.count].elementsEqual(prefix), link[n - 1] == 0x5D else {
          continue
        }
        var inode: UInt64 = 0
        for byte in link[prefix.count..<(n - 1)] { inode = inode * 10 + UInt64(byte - 0x30) }
        index.fdsByInode[inode, default: []].append(PipeFd(pid: pid, fd: fd, inode: inode, end: nil))
      }
      closedir(dir)
    }
    return index
  }

  /// The holders of one pipe, each with its end read from fdinfo (falling back to the link's mode bits).
  public func holders(of inode: UInt64) -> [PipeFd] {
    (fdsByInode[inode] ?? []).map { fd in
      var resolved = fd
      resolved.end = PipeHolderIndex.end(pid: fd.pid, fd: fd.fd)
      return resolved
    }
  }

  /// The access mode of an fd: O_WRONLY means the write end of a pipe.
  public static func end(pid: Int32, fd: Int32) -> PipeEnd? {
    if let flags = ProcFS.fdFlags(pid, fd: fd) {
      return flags & 3 == 1 ? .write : .read
    }
    var st = stat()
    guard lstat("/proc/\(pid)/fd/\(fd)", &st) == 0 else { return nil }
    if st.st_mode & S_IWUSR != 0 { return .write }
    if st.st_mode & S_IRUSR != 0 { return .read }
    return nil
  }
}
