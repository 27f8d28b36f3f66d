#if canImport(Glibc)
import Glibc
#endif

/// The hangs pipetrace exists for, started for real, shared by the library and CLI tests.
extension TestProcesses {
  /// The seed: Python's `communicate()` on a script that backgrounds a daemon (`sleep 300`) holding
  /// the pipe as stdout and stderr. Returns once Python blocks in read and the script has exited.
  public func startSeedHang() throws -> (python: Child, output: TestPipe, sleeper: Int32) {
    try write("b.sh", "#!/bin/sh\nsleep 300 &\necho $! > sleeper.pid\necho start ok\n", executable: true)
    let output = TestPipe()
    let python = try launch([
      "python3", "-c",
      "import subprocess; out = subprocess.Popen('./b.sh', shell=True, stdout=subprocess.PIPE, "
        + "stderr=subprocess.STDOUT).communicate()[0]; print(out.decode().strip())",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let sleeper = try pid(fromFile: "sleeper.pid")
    try waitUntilBlocked(python.pid, in: [0], comm: "python")
    // The shell is a zombie (or gone) once it has exited: the sleeper alone holds the write end.
    try waitUntil("b.sh exited") { !childrenOf(python.pid).contains { isAlive($0) } }
    return (python, output, sleeper)
  }

  /// Python's `communicate()` on a script that backgrounds a subshell `(sleep 300; echo late) &`:
  /// two holders, the subshell (in wait4) and its sleeper. Returns once Python blocks in read and
  /// the script has exited, leaving both orphaned.
  public func startBackgroundSubshellHang() throws -> (python: Child, output: TestPipe, sub: Int32, sleeper: Int32) {
    try write("c.sh", "#!/bin/sh\n(sleep 300; echo late) &\necho $! > sub.pid\necho start ok\n", executable: true)
    let output = TestPipe()
    let python = try launch([
      "python3", "-c",
      "import subprocess; out = subprocess.Popen('./c.sh', shell=True, stdout=subprocess.PIPE).communicate()[0]; "
        + "print(out.decode().splitlines()[0])",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let sub = try pid(fromFile: "sub.pid")
    try waitUntilBlocked(sub, in: [61])
    guard let sleeper = childrenOf(sub).first else { throw Timeout(description: "the subshell has no sleeper") }
    adopt(sleeper)
    try waitUntilBlocked(sleeper, in: [230, 35])
    try waitUntilBlocked(python.pid, in: [0])
    // c.sh and the shell Python started it with are gone (zombies hold no fds): only the subshell
    // and its sleeper still hold the pipe.
    try waitUntil("c.sh exited") { procStatusField(sub, "PPid") == "1" && !childrenOf(python.pid).contains { isAlive($0) } }
    return (python, output, sub, sleeper)
  }

  /// `out=$(sh -c 'sleep 300 & …; echo start ok')`: returns once the outer shell blocks in read
  /// and the inner one has exited, leaving the sleeper holding the substitution's pipe.
  public func startShellSubstitutionHang() throws -> (sh: Child, output: TestPipe, sleeper: Int32) {
    let output = TestPipe()
    let sh = try launch([
      "/bin/sh", "-c", "out=$(sh -c 'sleep 300 & echo $! > sleeper.pid; echo start ok'); echo \"got $out\"",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let sleeper = try pid(fromFile: "sleeper.pid")
    try waitUntilBlocked(sh.pid, in: [0])
    try waitUntil("inner sh exited") { !childrenOf(sh.pid).contains { isAlive($0) } }
    return (sh, output, sleeper)
  }
}

/// Real programs started the careless way: a daemon `&` in a script, no output redirection, under a
/// reader that waits for EOF on what the daemon inherited.
extension TestProcesses {
  /// Python's `subprocess.run('./start.sh', shell=True, capture_output=True, timeout=...)` on
  /// `script`, which starts a daemon and writes its pid to `pidFile`. Returns once Python waits in
  /// poll (the timeout makes it poll) and the script has exited. Python prints
  /// `returned RC STDOUT` on `output` when run() returns.
  public func startCarelessRun(_ script: String, pidFile: String, timeout: Int = 300)
    throws -> (python: Child, output: TestPipe, daemon: Int32)
  {
    try write("start.sh", "#!/bin/sh\n" + script, executable: true)
    let output = TestPipe()
    let python = try launch([
      "python3", "-c",
      "import subprocess; r = subprocess.run('./start.sh', shell=True, capture_output=True, timeout=\(timeout)); "
        + "print('returned', r.returncode, repr(r.stdout), flush=True)",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let daemon = try pid(fromFile: pidFile)
    try waitUntilBlocked(python.pid, in: [7, 219], comm: "python")
    try waitUntil("start.sh exited") { !childrenOf(python.pid).contains { isAlive($0) } }
    return (python, output, daemon)
  }

  /// Sends SIGTERM to a daemon this test started and waits until it is gone (reaped by init or a
  /// subreaper): a database shuts down cleanly instead of being killed at clean-up.
  public func stop(daemon pid: Int32, timeout: Double = 60) throws {
    guard isAlive(pid) else { return }
    kill(pid, SIGTERM)
    try waitUntil("\(pid) ended", timeout: timeout) { !isAlive(pid) }
  }
}
