#if canImport(Glibc)
import Glibc
#endif

/// Which end of a pipe an fd holds (`unknown` where a trace did not say).
public enum PipeEnd: String, Sendable {
  case read, write, unknown
}

extension PipeEnd {
  /// The access mode of an fd: O_WRONLY means the write end of a pipe.
  public static func of(pid: Int32, fd: Int32) -> PipeEnd? {
    if let flags = ProcFS.fdFlags(pid, fd: fd) {
      return flags & 3 == 1 ? .write : .read
    }
    guard let st = ProcFS.fdStat(pid, fd: fd, follow: false) else { return nil }
    if st.st_mode & S_IWUSR != 0 { return .write }
    if st.st_mode & S_IRUSR != 0 { return .read }
    return nil
  }

  /// `.read` (O_RDONLY), `.write` (O_WRONLY), nil for O_RDWR (both) or unknown.
  package static func accessMode(pid: Int32, fd: Int32) -> PipeEnd? {
    guard let flags = ProcFS.fdFlags(pid, fd: fd) else { return nil }
    switch flags & 3 {
    case 0: return .read
    case 1: return .write
    default: return nil
    }
  }
}
