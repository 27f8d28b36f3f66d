#if canImport(Glibc)
import Glibc
#endif

/// Processes that hold the write end of a captured pipe after the command has gone.
enum LeakedPipeHolders {
  /// The write-end holders of `inodes`, from one scan of /proc (the one `why` uses).
  static func find(writingTo inodes: [UInt64], excluding: Int32) -> [RunRecord.Holder] {
    let index = PipeHolderIndex.scan()
    return inodes.flatMap { inode in
      index.holders(of: inode).filter { $0.end == .write && $0.pid != excluding }.map {
        RunRecord.Holder(pid: $0.pid, fd: $0.fd, comm: ProcStatus(pid: $0.pid)?.name ?? "?", pipe: "pipe:[\(inode)]")
      }
    }
  }

  /// Closes each holder's leaked fds inside it (as `--inject-close PID FD --expect pipe:[N]` does).
  /// Returns the holders whose fd was closed.
  static func close(_ holders: [RunRecord.Holder]) -> [RunRecord.Holder] {
    var closed: [RunRecord.Holder] = []
    for (pid, fds) in Dictionary(grouping: holders, by: \.pid).sorted(by: { $0.key < $1.key }) {
      for (pipe, same) in Dictionary(grouping: fds, by: \.pipe) {
        guard let results = try? InjectClose.close(pid: pid, fds: same.map(\.fd), expect: pipe) else { continue }
        for (fd, outcome) in results where outcome.released {
          if let h = same.first(where: { $0.fd == fd }) { closed.append(h) }
        }
      }
    }
    return closed
  }
}
