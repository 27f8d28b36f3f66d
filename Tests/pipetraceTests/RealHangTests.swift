import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace why` and the fix it prints, on real programs hung the careless way: a daemon started
/// with `&` and no redirection under a reader that waits for EOF. Each test applies the printed
/// fix through a shell, as a user pastes it, and checks that the reader returns and the holder
/// runs on with /dev/null where the leaked fd was.
final class RealHangTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// Python's run(timeout=...) polls; any stop (why --stack, strace -p, an attach) turns the poll
  /// into restart_syscall. why still sees the poll and its fix.
  func testRunWithTimeoutStaysThePollAfterAStop() throws {
    let (python, output, daemon) = try procs.startCarelessRun(
      "sleep 300 &\necho $! > d.pid\necho started\n", pidFile: "d.pid", timeout: 120)
    let stack = try CLI.run(["why", "--stack", "\(python.pid)"])
    XCTAssertEqual(stack.status, 0, stack.stdout + stack.stderr)
    XCTAssertTrue(stack.stdout.contains("Fix: "), stack.stdout)
    try waitUntil("python resumed as restart_syscall") { blockedSyscall(python.pid) == 219 }

    let (status, d) = try whyJSON(python.pid)
    XCTAssertEqual(status, 0)
    let blocked = try XCTUnwrap(d["blocked"] as? [String: Any])
    XCTAssertEqual(blocked["syscall"] as? String, "poll", "\(d)")
    XCTAssertEqual(blocked["restarted"] as? Bool, true)
    XCTAssertEqual(holderFds(d, pid: daemon), [1, 2])
    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned 0 b'started\\n'\n")
    XCTAssertEqual(python.wait(), 0)
    XCTAssertTrue(isAlive(daemon))
    XCTAssertEqual(fdLink(daemon, 1), "/dev/null")
    XCTAssertEqual(fdLink(daemon, 2), "/dev/null")
  }

  /// The stuck detector of a trace attached with -p (the attach itself makes the poll restart):
  /// its note names the poll and the fix.
  func testStuckDetectorOfAnAttachedTraceSeesTheRestartedPoll() throws {
    let (python, _, daemon) = try procs.startCarelessRun(
      "sleep 300 &\necho $! > d.pid\necho started\n", pidFile: "d.pid", timeout: 120)
    let trace = temporaryFile("stuck.txt")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, [
      "-p", "\(python.pid)", "--tree", "-e", "trace=poll,restart_syscall", "--stuck-after", "0.3", "-o", trace,
    ])
    let noted = eventually { ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").contains("# Fix: ") }
    kill(tracer.pid, SIGTERM)
    XCTAssertTrue(eventually { !tracer.isRunning }, "pipetrace detached and exited on SIGTERM")
    tracer.stop()
    let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
    XCTAssertTrue(noted, text)
    XCTAssertTrue(text.contains("poll(3<pipe:[") && text.contains("(resumed as restart_syscall)"), text)
    XCTAssertTrue(text.contains("--inject-close \(daemon) 1 --expect 'pipe:["), text)
  }

  /// node's execSync gives the child a socketpair; the daemon holds the peer. node's own wakeup
  /// pipe (both ends its own) is not the culprit.
  func testNodeExecSyncSocketpair() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/node") else { throw XCTSkip("needs nodejs (.ci/setup)") }
    try procs.write("start.sh", "#!/bin/sh\nsleep 300 &\necho $! > d.pid\necho started\n", executable: true)
    let output = TestPipe()
    let node = try procs.launch([
      "/usr/bin/node", "-e",
      "const r = require('child_process').execSync('./start.sh'); console.log('returned', JSON.stringify(r.toString()))",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let daemon = try procs.pid(fromFile: "d.pid")
    try waitUntilBlocked(node.pid, in: [232, 281, 441], comm: "node")
    try waitUntil("start.sh exited") { !childrenOf(node.pid).contains { isAlive($0) } }

    let (status, d) = try whyJSON(node.pid)
    XCTAssertEqual(status, 0, "\(d)")
    let holders = d["holders"] as? [[String: Any]] ?? []
    XCTAssertEqual(Set(holders.compactMap { $0["pid"] as? Int }), [Int(daemon)], "only the daemon: \(holders)")
    XCTAssertTrue(holders.allSatisfy { $0["kind"] as? String == "socket" && $0["relation"] as? String == "orphan" })
    let closes = d["closes"] as? [[String: Any]] ?? []
    XCTAssertEqual(closes.compactMap { $0["pid"] as? Int }.map(Int32.init), [daemon, daemon])
    XCTAssertTrue(closes.allSatisfy { ($0["expect"] as? String)?.hasPrefix("socket:[") ?? false }, "\(closes)")
    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned \"started\\n\"\n")
    XCTAssertEqual(node.wait(), 0)
    XCTAssertEqual(fdLink(daemon, 1), "/dev/null")
  }

  /// A reader of a FIFO: holders matched by device and inode, not by the link text.
  func testFifoReader() throws {
    let fifo = procs.directory.appendingPathComponent("fifo").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let output = TestPipe()
    let reader = try procs.launch(["python3", "-c", "print('returned', repr(open('fifo').read()), flush=True)"],
                                  stdout: output.writeEnd)
    output.closeWrite()
    // The writer opens the FIFO under another name (a hard link: /proc shows that name), starts a
    // daemon on it and exits: only device and inode tell it is the same FIFO.
    XCTAssertEqual(Glibc.link(fifo, procs.directory.appendingPathComponent("alias").path), 0)
    try procs.write("start.sh", "#!/bin/sh\nexec > alias\nsleep 300 &\necho $! > d.pid\necho started\n", executable: true)
    let writer = try procs.launch(["./start.sh"])
    XCTAssertEqual(writer.wait(), 0)
    let daemon = try procs.pid(fromFile: "d.pid")
    try waitUntilBlocked(reader.pid, in: [0], comm: "python")

    let (status, d) = try whyJSON(reader.pid)
    XCTAssertEqual(status, 0, "\(d)")
    XCTAssertEqual(holderFds(d, pid: daemon), [1])
    XCTAssertEqual((d["holders"] as? [[String: Any]])?.first?["kind"] as? String, "fifo")
    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned 'started\\n'\n")
    XCTAssertEqual(reader.wait(), 0)
    XCTAssertEqual(fdLink(daemon, 1), "/dev/null")
  }

  /// A reader of a pty master waits while anyone holds the slave: the background job is named.
  func testPtyMasterReader() throws {
    try procs.write("pty_reader.py", """
      import os, pty, subprocess
      m, s = pty.openpty()
      p = subprocess.Popen(['sh', '-c', 'sleep 300 & echo $! > d.pid; echo started'], stdin=s, stdout=s, stderr=s)
      os.close(s)
      p.wait()
      out = b''
      while True:
          try:
              b = os.read(m, 1024)
          except OSError:
              break
          if not b:
              break
          out += b
      print('returned', repr(out), flush=True)
      """)
    let output = TestPipe()
    let reader = try procs.launch(["python3", "pty_reader.py"], stdout: output.writeEnd)
    output.closeWrite()
    let daemon = try procs.pid(fromFile: "d.pid")
    try waitUntilBlocked(reader.pid, in: [0], comm: "python")
    try waitUntil("the shell exited") { !childrenOf(reader.pid).contains { isAlive($0) } }

    let (status, d) = try whyJSON(reader.pid)
    XCTAssertEqual(status, 0, "\(d)")
    XCTAssertEqual(holderFds(d, pid: daemon), [1, 2])
    let slave = try XCTUnwrap(fdLink(daemon, 1))
    XCTAssertTrue(slave.hasPrefix("/dev/pts/"), slave)
    XCTAssertEqual((d["closes"] as? [[String: Any]])?.first?["expect"] as? String, slave)
    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned b'started\\r\\n'\n")
    XCTAssertEqual(reader.wait(), 0)
  }

  /// A socketpair handed to a shell as stdout (as libuv does), and a connected UNIX socket whose
  /// server left a daemon holding the accepted connection.
  func testSocketpairAndConnectedUnixSocket() throws {
    let output = TestPipe()
    let pair = try procs.launch([
      "python3", "-c",
      "import socket, subprocess\nmine, theirs = socket.socketpair()\n"
        + "p = subprocess.Popen(['sh', '-c', 'sleep 300 & echo $! > d.pid; echo started'], stdout=theirs)\n"
        + "theirs.close()\np.wait()\ndata = b''\nwhile True:\n    b = mine.recv(100)\n    if not b: break\n    data += b\n"
        + "print('returned', repr(data), flush=True)\n",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let daemon = try procs.pid(fromFile: "d.pid")
    try waitUntilBlocked(pair.pid, in: [45, 0], comm: "python")
    try waitUntil("the shell exited") { !childrenOf(pair.pid).contains { isAlive($0) } }
    let (status, d) = try whyJSON(pair.pid)
    XCTAssertEqual(status, 0, "\(d)")
    XCTAssertEqual(holderFds(d, pid: daemon), [1])
    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned b'started\\n'\n")

    // The server accepts, starts a daemon on the connection (stdout) and closes its own end.
    try procs.write("server.py", """
      import os, socket, subprocess
      s = socket.socket(socket.AF_UNIX)
      s.bind('sock')
      s.listen()
      open('listening', 'w').close()
      c, _ = s.accept()
      subprocess.run(['sh', '-c', 'sleep 300 & echo $! > d2.pid; echo hello'], stdout=c)
      c.close()
      s.accept()
      """)
    try procs.launch(["python3", "server.py"])
    try waitUntil("server listening") { FileManager.default.fileExists(atPath: procs.directory.appendingPathComponent("listening").path) }
    let clientOut = TestPipe()
    let client = try procs.launch([
      "python3", "-c",
      "import socket\nc = socket.socket(socket.AF_UNIX)\nc.connect('sock')\ndata = b''\n"
        + "while True:\n    b = c.recv(100)\n    if not b: break\n    data += b\nprint('returned', repr(data), flush=True)\n",
    ], stdout: clientOut.writeEnd)
    clientOut.closeWrite()
    let daemon2 = try procs.pid(fromFile: "d2.pid")
    try waitUntilBlocked(client.pid, in: [45, 0], comm: "python")
    let (status2, d2) = try whyJSON(client.pid)
    XCTAssertEqual(status2, 0, "\(d2)")
    XCTAssertEqual(holderFds(d2, pid: daemon2), [1])
    let clientPrinted = try fixAndRead(d2, clientOut)
    XCTAssertEqual(clientPrinted, "returned b'hello\\n'\n")
  }

  /// Python → make → make, whose $(shell ...) started a daemon: the daemon holds the inner make's
  /// pipe (and Python's stderr). The fix goes to the daemon, never to the makes, which are the
  /// pipeline Python waits for.
  func testNestedMakeIsFollowedToTheDaemon() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else { throw XCTSkip("needs make") }
    try procs.write("Makefile", "all:\n\t$(MAKE) -s -C sub\n")
    try FileManager.default.createDirectory(at: procs.directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
    try procs.write("sub/Makefile", "STARTED := $(shell sleep 300 & echo $$! > ../d.pid; echo ok)\nall:\n\t@echo sub $(STARTED)\n")
    let output = TestPipe()
    let python = try procs.launch([
      "python3", "-c",
      "import subprocess; r = subprocess.run(['make', '-s'], capture_output=True, timeout=300); "
        + "print('returned', r.returncode, repr(r.stdout), flush=True)",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let daemon = try procs.pid(fromFile: "d.pid")
    try waitUntilBlocked(python.pid, in: [7, 219], comm: "python")
    var makes: [Int32] = []
    try waitUntil("inner make reading its $(shell) pipe") {
      makes = childrenOf(python.pid)
      if let inner = makes.first.flatMap({ childrenOf($0).first }) { makes.append(inner) }
      return makes.count == 2 && blockedSyscall(makes[1]) == 0
        && !childrenOf(makes[1]).contains { isAlive($0) }
    }

    let (status, d) = try whyJSON(python.pid)
    XCTAssertEqual(status, 0, "\(d)")
    let closes = d["closes"] as? [[String: Any]] ?? []
    XCTAssertEqual(Set(closes.compactMap { ($0["pid"] as? Int).map(Int32.init) }), [daemon], "only the daemon: \(closes)")
    XCTAssertEqual(Set(closes.flatMap { $0["fds"] as? [Int] ?? [] }), [1, 2], "its fd on make's pipe and on Python's stderr")
    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned 0 b'sub ok\\n'\n")
    XCTAssertEqual(python.wait(), 0)
  }

  /// The nested make under a trace that unsticks it itself (issue 13 item 8): launched, and attached
  /// with --tree to Python and the daemon. The daemon's fds are replaced through the trace, never a
  /// make's; Python returns; the trace ends (launched: with the daemon; attached: at SIGINT, within
  /// a second, leaving the daemon running untraced).
  func testNestedMakeUnstuckByTheTrace() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else { throw XCTSkip("needs make") }
    try procs.write("Makefile", "all:\n\t$(MAKE) -s -C sub\n")
    try FileManager.default.createDirectory(at: procs.directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
    try procs.write("sub/Makefile", "STARTED := $(shell sleep 300 & echo $$! > ../d.pid; echo ok)\nall:\n\t@echo sub $(STARTED)\n")
    let wrapper = "import subprocess\nr = subprocess.run(['make', '-s'], capture_output=True, timeout=300)\n"
      + "open('result', 'w').write(f'returned {r.returncode} {r.stdout!r}\\n')\n"
    let resultPath = procs.directory.appendingPathComponent("result").path
    func result() -> String? {
      let text = try? String(contentsOfFile: resultPath, encoding: .utf8)
      return text?.hasSuffix("\n") == true ? text : nil
    }
    for attached in [false, true] {
      for name in ["result", "d.pid"] { try? FileManager.default.removeItem(atPath: procs.directory.appendingPathComponent(name).path) }
      let trace = procs.directory.appendingPathComponent("trace.txt").path
      let tracer: BackgroundProcess
      let daemon: Int32
      if attached {
        let python = try procs.launch(["python3", "-c", wrapper])
        daemon = try procs.pid(fromFile: "d.pid")
        try waitUntilBlocked(python.pid, in: [7, 219], comm: "python")
        tracer = try BackgroundProcess(CLI.binary, ["--stuck-after", "1", "--unstick-after", "1", "-o", trace, "--tree",
                                                    "-p", String(python.pid), "-p", String(daemon)])
      } else {
        tracer = try BackgroundProcess(CLI.binary, ["--stuck-after", "1", "--unstick-after", "1", "-o", trace, "--",
                                                    TestProcesses.python, "-c", wrapper], directory: procs.directory.path)
        daemon = try procs.pid(fromFile: "d.pid")
      }
      defer { tracer.stop() }
      try waitUntil("python returned", timeout: 60) { result() != nil }
      XCTAssertEqual(result(), "returned 0 b'sub ok\\n'\n", attached ? "attached" : "launched")
      let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
      let injected = text.split(separator: "\n").filter { $0.contains("# pipetrace: inject-close") }
      XCTAssertFalse(injected.isEmpty, String(text.suffix(3000)))
      XCTAssertTrue(injected.allSatisfy { $0.contains("inject-close \(daemon) ") }, "only the daemon: \(injected)")
      XCTAssertEqual(fdLink(daemon, 1), "/dev/null")
      if attached {
        let signalled = Date()
        kill(tracer.pid, SIGINT)
        XCTAssertEqual(try tracer.wait(timeout: 10), 0)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 1.0, "pipetrace slow to let go")
        XCTAssertTrue(isAlive(daemon))
        XCTAssertEqual(procStatusField(daemon, "TracerPid"), "0")
        kill(daemon, SIGKILL)
      } else {
        kill(daemon, SIGTERM)
        XCTAssertEqual(try tracer.wait(timeout: 30), 0, "the trace ends with its last tracee, with Python's status")
      }
    }
  }

  /// A process polling its own pipe (a wakeup pipe) is an idle event loop: no verdict of stuck, no
  /// fix, exit status 3, and a trace's --stuck-after adds no note.
  func testSelfPipeIdleLoopIsNotAHang() throws {
    let idle = try procs.launch([
      "python3", "-c", "import os, select; r, w = os.pipe(); p = select.poll(); p.register(r, select.POLLIN); p.poll()",
    ])
    try waitUntilBlocked(idle.pid, in: [7], comm: "python")
    let (status, d) = try whyJSON(idle.pid)
    XCTAssertEqual(status, 3, "\(d)")
    XCTAssertEqual(d["outcome"] as? String, "idle")
    XCTAssertTrue(d["fix"] is NSNull)

    let trace = temporaryFile("idle.txt")
    defer { unlink(trace) }
    let r = try CLI.run([
      "--stuck-after", "0.2", "-o", trace, "--", TestProcesses.python, "-c",
      "import os, select; r, w = os.pipe(); p = select.poll(); p.register(r, select.POLLIN); p.poll(1500)",
    ])
    XCTAssertEqual(r.status, 0, r.stderr)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    XCTAssertTrue(text.contains("poll(["), text)
    XCTAssertFalse(text.contains("# pipetrace:"), text)
  }

  /// why's exit status says what it found: 0 a fix, 2 no safe fix, 3 not blocked, 1 no answer.
  func testExitStatuses() throws {
    let (python, _, _) = try procs.startCarelessRun("sleep 300 &\necho $! > d.pid\n", pidFile: "d.pid")
    XCTAssertEqual(try CLI.run(["why", "\(python.pid)"]).status, 0)
    let deadlock = try procs.launch([
      "python3", "-c",
      "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
        + "'import sys; sys.stdout.write(\"x\" * 1000000)'], stdout=subprocess.PIPE); p.wait()",
    ])
    try waitUntilBlocked(deadlock.pid, in: [61, 247])
    _ = try procs.blockedChild(of: deadlock.pid, in: 1, "child blocked writing")
    XCTAssertEqual(try CLI.run(["why", "\(deadlock.pid)"]).status, 2)
    let busy = try procs.launch(["python3", "-c", "while True: pass"])
    try waitUntil("running") { (try? String(contentsOfFile: "/proc/\(busy.pid)/syscall", encoding: .utf8))?.hasPrefix("running") ?? false }
    XCTAssertEqual(try CLI.run(["why", "\(busy.pid)"]).status, 3)
    XCTAssertEqual(try CLI.run(["why", "99999999"]).status, 1)
    XCTAssertEqual(try CLI.run(["why", "abc"]).status, 64)  // a usage error, as in every mode
  }

  /// An event loop in epoll_wait for room to write (EPOLLOUT) on a full socket is a writer whose
  /// reader does not read: the interest list's `events:` say which way it waits. (It was taken for
  /// a reader waiting for EOF, and its child for "still its work".)
  func testEpollWaitForRoomToWriteIsAWriter() throws {
    try procs.write("epw.py", """
      import os, select, socket, time
      a, b = socket.socketpair()
      if os.fork() == 0:
          a.close()
          time.sleep(300)  # holds b and never reads it
          os._exit(0)
      b.close()
      a.setblocking(False)
      try:
          while True: a.send(b"x" * 65536)
      except BlockingIOError:
          pass
      ep = select.epoll()
      ep.register(a.fileno(), select.EPOLLOUT)
      ep.poll()
      """)
    let writer = try procs.launch(["python3", "epw.py"])
    procs.adopt(try procs.blockedChild(of: writer.pid, in: 230, "the child asleep"))
    try waitUntilBlocked(writer.pid, in: [232, 281])
    let (status, d) = try whyJSON(writer.pid)
    XCTAssertEqual(status, 2, "\(d)")
    let blocked = try XCTUnwrap(d["blocked"] as? [String: Any])
    let fds = try XCTUnwrap(blocked["fds"] as? [[String: Any]])
    XCTAssertEqual(fds.map { $0["wants"] as? String }, ["write"], "\(blocked)")
    XCTAssertTrue((d["verdict"] as? String ?? "").contains("writes to the full socket"), "\(d)")
  }

  /// comm, command line and paths are another process's data: the text output escapes them as
  /// strace does, so no fake Verdict line or terminal escape gets through; JSON stays JSON.
  func testHostileNamesAreEscaped() throws {
    let evilPath = procs.directory.appendingPathComponent("f\nVerdict: fine\u{1b}[2J").path
    XCTAssertEqual(mkfifo(evilPath, 0o600), 0)
    try procs.write("reader.py", """
      import ctypes, os, sys
      ctypes.CDLL(None).prctl(15, b'x\\nVerdict: ok\\x1b', 0, 0, 0)
      print(open(sys.argv[1]).read())
      """)
    let reader = try procs.launch(["python3", "reader.py", evilPath])
    // A writer on the FIFO with a hostile argv of its own (and a byte that is not UTF-8), leaked:
    // the process that opened the FIFO exits and leaves it to a child (an orphan). (A process that
    // opened the FIFO itself is no proven leak.)
    try procs.write("hold.py", """
      import os, sys
      fd = os.open(sys.argv[1], os.O_WRONLY)
      os.set_inheritable(fd, True)
      pid = os.fork()
      if pid:
          open('holder.pid', 'w').write(f'{pid}\\n')
          os._exit(0)
      os.execv('/bin/sleep', [b'sleep\\n\\xff\\x1b[31m', b'300'])
      """)
    let opener = try procs.launch(["python3", "hold.py", evilPath])
    let holderPid = try procs.pid(fromFile: "holder.pid")
    XCTAssertEqual(opener.wait(), 0)
    try waitUntil("holder orphaned") { procStatusField(holderPid, "PPid") == "1" }
    try waitUntilBlocked(reader.pid, in: [0])
    try waitUntilBlocked(holderPid, in: [230, 35])

    let text = try CLI.run(["why", "\(reader.pid)"])
    XCTAssertEqual(text.status, 0, text.stdout + text.stderr)
    XCTAssertFalse(text.stdout.contains("\u{1b}"), text.stdout)
    let verdicts = text.stdout.split(separator: "\n").filter { $0.hasPrefix("Verdict:") }
    XCTAssertEqual(verdicts.count, 1, text.stdout)
    XCTAssertTrue(text.stdout.contains("x\\nVerdict: ok\\33"), text.stdout)
    XCTAssertTrue(text.stdout.contains("sleep\\n\\377\\33[31m 300"), text.stdout)
    XCTAssertTrue(text.stdout.contains("f\\nVerdict: fine\\33[2J"), text.stdout)
    let json = try CLI.run(["why", "--json", "\(reader.pid)"])
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["comm"] as? String, "x\nVerdict: ok\u{1b}")

    let fix = try XCTUnwrap(text.stdout.split(separator: "\n").first { $0.hasPrefix("Fix: ") }).dropFirst(5)
    XCTAssertFalse(fix.contains("\n"))
    // The path goes into --expect as $'...' (bash, zsh, ksh): it still names the FIFO exactly.
    XCTAssertEqual(try runFix(String(fix), shell: "/bin/bash").status, 0)
    XCTAssertEqual(fdLink(holderPid, 3), "/dev/null")
    try waitUntil("reader saw EOF") { !isAlive(reader.pid) }
    XCTAssertEqual(reader.wait(), 0)
  }
}

/// `why` and `--inject-close` as a user without the rights to see everything.
final class UnprivilegedWhyTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
      throw XCTSkip("needs root (to start targets as two users) and setpriv")
    }
    procs = try TestProcesses()
    chmod(procs.directory.path, 0o755)
  }
  override func tearDown() { procs?.cleanUp() }

  static let nobody = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

  /// A reader run as nobody, its pipe's write end held by root's sleep: nobody's why cannot see
  /// root's fds and says so (text, JSON and exit status), instead of "EOF now".
  func testWhyCountsWhatItCouldNotInspect() throws {
    let pipe = TestPipe()
    let reader = try procs.launch(Self.nobody + ["/bin/cat"], stdin: pipe.readEnd)
    let sleeper = try procs.launch(["/bin/sleep", "300"], stdout: pipe.writeEnd)
    pipe.closeRead()
    pipe.closeWrite()
    try waitUntilBlocked(reader.pid, in: [0], comm: "cat")
    try waitUntilBlocked(sleeper.pid, in: [230, 35])

    let text = try runProgram("/usr/bin/setpriv", Array(Self.nobody.dropFirst()) + [CLI.binary, "why", "\(reader.pid)"])
    XCTAssertEqual(text.status, 2, text.stdout + text.stderr)
    XCTAssertTrue(text.stdout.contains("Not inspected: "), text.stdout)
    XCTAssertTrue(text.stdout.contains("may be incomplete"), text.stdout)
    XCTAssertFalse(text.stdout.contains("it will see EOF now"), text.stdout)
    let json = try runProgram("/usr/bin/setpriv", Array(Self.nobody.dropFirst()) + [CLI.binary, "why", "--json", "\(reader.pid)"])
    let object = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any],
                               "status \(json.status): \(json.stdout)\(json.stderr)")
    XCTAssertGreaterThan(object["uninspected"] as? Int ?? 0, 0, json.stdout)
    XCTAssertEqual(object["complete"] as? Bool, false, json.stdout)
    XCTAssertTrue((object["uninspected_pids"] as? [Int] ?? []).contains(Int(sleeper.pid)), "\(sleeper.pid): \(json.stdout)")
  }

  /// nobody asking to close a root process's fd is told it lacks the permission.
  func testInjectCloseIntoAnotherUsersProcessSaysPermission() throws {
    let pipe = TestPipe()
    let sleeper = try procs.launch(["/bin/sleep", "300"], stdout: pipe.writeEnd)
    pipe.closeWrite()
    try waitUntilBlocked(sleeper.pid, in: [230, 35])
    let r = try runProgram("/usr/bin/setpriv", Array(Self.nobody.dropFirst()) + [CLI.binary, "--inject-close", "\(sleeper.pid)", "1"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("not allowed to trace process \(sleeper.pid) (sleep)"), r.stderr)
    XCTAssertFalse(r.stderr.contains("not open"), r.stderr)
    XCTAssertNotNil(fdLink(sleeper.pid, 1))
  }
}

/// Injection that must act on exactly what was checked, in the target's own convention.
final class InjectionSafetyTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// The fd_swapper fixture running: its stdout, the regular file and the pipe (`pipe:[N]`) it swaps.
  func startSwapper() throws -> (Child, TestPipe, String, String) {
    let program = try compileFixture("fd_swapper")
    let file = procs.directory.appendingPathComponent("plain").path
    try "data\n".write(toFile: file, atomically: true, encoding: .utf8)
    let output = TestPipe()
    let swapper = try procs.launch([program, file], stdout: output.writeEnd)
    output.closeWrite()
    try waitUntil("swapper ready") { fdLink(swapper.pid, 5)?.hasPrefix("pipe:[") ?? false }
    return (swapper, output, file, try XCTUnwrap(fdLink(swapper.pid, 5)))
  }

  /// Its `pipe_hits N file_hits M` line (asked for with SIGUSR1).
  func swapperCounts(_ swapper: Child, _ output: TestPipe) throws -> String {
    // Polled, not a blocking read: a line that never comes fails the test instead of hanging it.
    _ = fcntl(output.readEnd, F_SETFL, fcntl(output.readEnd, F_GETFL) | O_NONBLOCK)
    kill(swapper.pid, SIGUSR1)
    var line = ""
    var buffer = [UInt8](repeating: 0, count: 256)
    try waitUntil("counts printed") {
      let n = buffer.withUnsafeMutableBytes { read(output.readEnd, $0.baseAddress, $0.count) }
      if n > 0 { line += String(decoding: buffer[0..<n], as: UTF8.self) }
      return line.contains("file_hits")
    }
    return line
  }

  /// A second thread swaps fd 4 between a pipe and a regular file: `--expect pipe:[N]` must never
  /// close the file (every thread is stopped, then the fd's device and inode checked, then closed).
  func testSwappingFdIsNeverClosedAsTheFile() throws {
    let (swapper, output, _, expect) = try startSwapper()
    var closedReported = 0
    for _ in 0..<30 {
      let r = try CLI.run(["--inject-close", "\(swapper.pid)", "4", "--expect", expect, "--plain-close"])
      XCTAssertTrue(r.status == 0 || r.status == 1, r.stderr)  // closed, or refused in one line
      if r.stdout.contains("fd 4 closed") { closedReported += 1 }
    }
    let line = try swapperCounts(swapper, output)
    let counts = line.split(whereSeparator: { $0 == " " || $0 == "\n" })
    let pipeHits = counts.firstIndex(of: "pipe_hits").flatMap { Int(counts[$0 + 1]) }
    let fileHits = counts.firstIndex(of: "file_hits").flatMap { Int(counts[$0 + 1]) }
    XCTAssertEqual(fileHits, 0, "closes that hit the regular file: \(line)")
    XCTAssertEqual(pipeHits, closedReported, "every reported close hit the pipe: \(line)")
    XCTAssertEqual(procStatusField(swapper.pid, "TracerPid"), "0")
  }

  /// `--expect pipe:[N]` against fd 4 swapping between that pipe and a file: with every thread
  /// held, the fd is acted on exactly when it is the pipe. It is never refused as "now points to
  /// pipe:[N]" (the expected object itself: the plan once read the link and the inode at two moments),
  /// and the file is never hit. Prints the counts (acted / refused as the file / wrongly refused).
  func testExpectActsExactlyWhenTheFdIsTheExpectedObject() throws {
    let (swapper, output, file, expect) = try startSwapper()
    var acted = 0, refusedAsFile = 0, refusedWrongly = 0, other: [String] = []
    let runs = 100
    for _ in 0..<runs {
      let r = try CLI.run(["--inject-close", "\(swapper.pid)", "4", "--expect", expect, "--plain-close"])
      let text = r.stdout + r.stderr
      if r.status == 0 && text.contains("fd 4 closed") {
        acted += 1
      } else if text.contains("now points to \(expect)") {
        refusedWrongly += 1
      } else if text.contains(file) || text.contains("not open") {
        refusedAsFile += 1  // the fd was the file (or between the two) at that moment: a right refusal
      } else {
        other.append(text)
      }
    }
    print("expect-swapper: \(runs) runs: acted \(acted), refused as the file \(refusedAsFile), refused wrongly \(refusedWrongly)")
    XCTAssertEqual(refusedWrongly, 0, "refused the very pipe expected")
    XCTAssertEqual(other, [])
    let line = try swapperCounts(swapper, output)
    XCTAssertTrue(line.contains("file_hits 0"), "closes that hit the regular file: \(line)")
    XCTAssertEqual(procStatusField(swapper.pid, "TracerPid"), "0")
  }

  /// An i386 (-m32) reader: the fd is replaced with int $0x80 and i386 numbers (a `syscall`
  /// instruction would fault, or on AMD run another call), and it reads on afterwards.
  func testI386TargetGetsItsOwnConvention() throws {
    let program = try compileFixture("reader32", flags: ["-m32"])
    let input = TestPipe(), output = TestPipe(), errors = TestPipe()
    let reader = try procs.launch([program], stdin: input.readEnd, stdout: output.writeEnd, stderr: errors.writeEnd)
    input.closeRead()
    output.closeWrite()
    errors.closeWrite()
    try waitUntilBlocked(reader.pid, in: [3])  // i386 read

    let why = try CLI.run(["why", "\(reader.pid)"])
    XCTAssertTrue(why.stdout.contains("read(0<pipe:["), why.stdout)
    let r = try CLI.run(["--inject-close", "\(reader.pid)", "2"], timeout: 20)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.stdout.contains("fd 2 replaced by /dev/null"), r.stdout)
    XCTAssertEqual(fdLink(reader.pid, 2), "/dev/null")
    let errorsText = try errors.readToEOF(timeout: 5)
    XCTAssertEqual(errorsText, "")
    XCTAssertEqual(procStatusField(reader.pid, "TracerPid"), "0")
    try waitUntilBlocked(reader.pid, in: [3, 0])  // back in its read (restarted)
    input.write("after\n")
    input.closeWrite()
    let outputText = try output.readToEOF()
    XCTAssertEqual(outputText, "ready\nafter\n")
    XCTAssertEqual(reader.wait(), 0)
  }
}

extension InjectionSafetyTests {
  /// A fault raised by the injected syscall itself (a seccomp filter that traps close(99) with
  /// SIGSYS) ends that attempt with a one-line failure, every register restored, and the SIGSYS
  /// (pipetrace's doing, not the target's) never delivered: the target reads on.
  func testFaultOfTheInjectedSyscallNeverReachesTheTarget() throws {
    let program = try compileFixture("seccomp_trap")
    let input = TestPipe(), output = TestPipe()
    let target = try procs.launch([program], stdin: input.readEnd, stdout: output.writeEnd)
    input.closeRead()
    output.closeWrite()
    try waitUntilBlocked(target.pid, in: [0])
    let r = try CLI.run(["--inject-close", "\(target.pid)", "99", "--plain-close"], timeout: 20)
    XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
    XCTAssertTrue(r.stderr.contains("raised SIGSYS; registers restored, nothing done"), r.stderr)
    XCTAssertEqual(procStatusField(target.pid, "TracerPid"), "0")
    XCTAssertNotNil(fdLink(target.pid, 99), "the trapped close did not run")
    try waitUntilBlocked(target.pid, in: [0])
    input.write("after\n")
    input.closeWrite()
    let outputText = try output.readToEOF()
    XCTAssertEqual(outputText, "ready\nafter\n")
    XCTAssertEqual(target.wait(), 0, "no SIGSYS reached it")
  }
}

// MARK: helpers

/// `pipetrace why --json PID`: the exit status and the object.
func whyJSON(_ pid: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> (Int32, [String: Any]) {
  let r = try CLI.run(["why", "--json", "\(pid)"])
  let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
  return (r.status, try XCTUnwrap(object, r.stdout + r.stderr, file: file, line: line))
}

/// The fds of `pid` among a diagnosis's holders.
func holderFds(_ d: [String: Any], pid: Int32) -> [Int] {
  ((d["holders"] as? [[String: Any]]) ?? []).filter { $0["pid"] as? Int == Int(pid) }.compactMap { $0["fd"] as? Int }.sorted()
}

/// The Fix line run by a shell, as a user pastes it.
func runFix(_ line: String, shell: String = "/bin/sh") throws -> ProgramResult {
  let r = try runProgram(shell, ["-c", line])
  XCTAssertEqual(r.status, 0, "\(line): \(r.stdout) \(r.stderr)")
  return r
}

/// Runs a diagnosis's Fix line through a shell; returns what the reader then printed up to EOF
/// (throws, ending the test, when it stays hung: no later wait on it can block).
func fixAndRead(_ d: [String: Any], _ output: TestPipe, file: StaticString = #filePath, line: UInt = #line) throws -> String {
  let fix = try XCTUnwrap(d["fix"] as? String, "\(d)", file: file, line: line)
  XCTAssertEqual(try runFix(fix).status, 0, file: file, line: line)
  return try output.readToEOF(timeout: 30)
}

/// What /proc/PID/fd/FD points to.
func fdLink(_ pid: Int32, _ fd: Int32) -> String? {
  try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")
}

/// The report on traces of the hangs: a poll's release from pipetrace's own JSON, and a poll that a
/// signal turned into restart_syscall, read as the poll it continues.
final class HangReportTests: XCTestCase {
  /// The first blocking call of a report (its line and the "released by" line after it) whose line
  /// contains `what`.
  func blockingEntry(_ report: String, _ what: String) -> String? {
    let lines = report.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let i = lines.firstIndex(where: { $0.hasPrefix("  ") && $0.contains(what) }), i + 1 < lines.count else { return nil }
    return lines[i] + "\n" + lines[i + 1]
  }

  /// Python's run(capture_output=True) polls both pipes; the JSON trace carries poll's ready fds, so
  /// the report says what released it.
  func testPollInPipetraceJSONIsReleasedBySomeone() throws {
    let trace = temporaryFile("poll.jsonl")
    defer { unlink(trace) }
    let r = try CLI.run(["--json", "-o", trace, "--", TestProcesses.python, "-c",
                         "import subprocess; subprocess.run('sleep 0.3; echo done', shell=True, capture_output=True)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(try String(contentsOfFile: trace, encoding: .utf8).contains("\"ret_detail\":\"([{fd="))
    let report = try CLI.run(["report", trace])
    let entry = try XCTUnwrap(blockingEntry(report.stdout, "python3 poll("), report.stdout)
    XCTAssertTrue(entry.contains("released by ") && entry.contains(": fd ") && !entry.contains("released by: unknown"), entry)
  }

  /// The shell exits (SIGCHLD) while a daemon it started keeps Python's pipe for a second: the
  /// traced poll returns ERESTART_RESTARTBLOCK and goes on as restart_syscall. In a strace log and
  /// in pipetrace's JSON alike the report shows one poll of about a second, released by the daemon.
  func testRestartedPollIsThePollInTheReport() throws {
    // The shell exits 0.3 s after its last output: Python is back in poll by then.
    let script = "import subprocess; subprocess.run('(sleep 1; echo late) & echo start; sleep 0.3', shell=True, "
      + "capture_output=True, timeout=20)"
    let json = temporaryFile("restart.jsonl")
    defer { unlink(json) }
    let r = try CLI.run(["--json", "-o", json, "-e", "trace=poll,restart_syscall,read,write,close,wait4,clone,clone3,execve,exit_group,pipe2,dup2",
                         "--", TestProcesses.python, "-c", script])
    XCTAssertEqual(r.status, 0, r.stderr)
    var sources = [json]
    let log = temporaryFile("restart.strace")
    defer { unlink(log) }
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") {
      let s = try runProgram("/usr/bin/strace", ["-f", "-ttt", "-T", "-y", "-o", log, TestProcesses.python, "-c", script])
      XCTAssertEqual(s.status, 0, s.stderr)
      sources.append(log)
    }
    for source in sources {
      let text = try String(contentsOfFile: source, encoding: .utf8)
      XCTAssertTrue(text.contains("restart_syscall"), "\(source): the poll was interrupted and resumed")
      let report = try CLI.run(["report", source])
      let entry = try XCTUnwrap(blockingEntry(report.stdout, "(resumed as restart_syscall)"), "\(source):\n\(report.stdout)")
      XCTAssertTrue(entry.contains("python3 poll("), entry)
      XCTAssertTrue(entry.contains("blocked 1.") || entry.contains("blocked 9"), entry)
      XCTAssertFalse(entry.contains("released by: unknown"), entry)
    }
  }
}
