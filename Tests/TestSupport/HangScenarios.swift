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
