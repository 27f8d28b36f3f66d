#if canImport(Glibc)
import Glibc
#endif

/// How to spell pipetrace in a command it prints (a `Fix:` line, a note, a hint) so that the
/// command, pasted into a shell, runs this same binary: `pipetrace` when the first `pipetrace` on
/// PATH is this very file, otherwise the absolute path of the running binary (shell-quoted), as
/// after `swift build` with nothing installed, or with an older pipetrace first on PATH.
public enum SelfCommand {
  /// Worked out once, at first use.
  public static let name: String = spelling(path: getenv("PATH").map { String(cString: $0) } ?? "",
                                            executable: runningBinary())

  /// `pipetrace` when the first executable `pipetrace` in the directories of `path` (as a shell
  /// searches them) is the same file as `executable`, else `executable` quoted for a shell.
  package static func spelling(path: String, executable: String?) -> String {
    guard let executable, let own = fileID(executable) else { return "pipetrace" }
    for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (dir.isEmpty ? "." : String(dir)) + "/pipetrace"
      guard access(candidate, X_OK) == 0, let id = fileID(candidate), id.regular else { continue }
      // The shell runs this one: it must be us.
      return id.device == own.device && id.inode == own.inode ? "pipetrace" : shellQuoted([executable])
    }
    return shellQuoted([executable])
  }

  /// The running binary's absolute path; nil when it was deleted (replaced while running).
  static func runningBinary() -> String? {
    guard let path = ProcFS.ownExecutable, !path.isEmpty else { return nil }
    return path.hasSuffix(" (deleted)") ? nil : path
  }

  private static func fileID(_ path: String) -> (device: UInt64, inode: UInt64, regular: Bool)? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return (UInt64(st.st_dev), UInt64(st.st_ino), (st.st_mode & S_IFMT) == S_IFREG)
  }
}
