#if canImport(Glibc)
import Glibc
#endif

/// Processes that hold the write end of a captured pipe after the command has gone.
enum LeakedPipeHolders {
  static func find(writingTo inodes: [UInt64], excluding: Int32) -> [RunRecord.Holder] {
    var out: [RunRecord.Holder] = []
    let wanted = Set(inodes.map { "pipe:[\($0)]" })
    for name in listDirectory("/proc") {
      guard let pid = Int32(name), pid != excluding else { continue }
      for fdName in listDirectory("/proc/\(pid)/fd") {
        guard let fd = Int32(fdName), let link = FdTable.readLink(tid: pid, fd: fd), wanted.contains(link) else { continue }
        // The write end: access mode O_WRONLY in fdinfo's octal flags.
        guard let info = readProcFile("/proc/\(pid)/fdinfo/\(fd)"),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
          let flags = Int(line.dropFirst(6).trimmingCharacters(in: "\t"), radix: 8), flags & 3 == 1
        else { continue }
        out.append(RunRecord.Holder(pid: pid, fd: fd, comm: ProcStatus(pid: pid)?.name ?? "?"))
      }
    }
    return out
  }

  static func close(_ holders: [RunRecord.Holder]) -> [RunRecord.Holder] {
    []
  }
}
