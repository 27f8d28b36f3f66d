#if canImport(Glibc)
import Glibc
#endif

/// How a printed fix names pipetrace: `pipetrace` when that name on PATH is this very binary, else
/// the binary's own path (a build tree, a copy under another name), so the line works when pasted.
public enum FixProgram {
  public static let name: String = {
    guard let exe = ProcFS.readLink("/proc/self/exe"), exe.hasPrefix("/") else { return "pipetrace" }
    var me = stat()
    guard stat("/proc/self/exe", &me) == 0 else { return "pipetrace" }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") where dir.hasPrefix("/") {
      var st = stat()
      if stat("\(dir)/pipetrace", &st) == 0 {
        // The first pipetrace on PATH is what the shell runs: this binary or another one.
        return st.st_dev == me.st_dev && st.st_ino == me.st_ino ? "pipetrace" : ShellQuote.quote(exe)
      }
    }
    // Not on PATH: the path of this binary, unless the host is not pipetrace (a test runner).
    return exe.hasSuffix("/pipetrace") ? ShellQuote.quote(exe) : "pipetrace"
  }()
}
