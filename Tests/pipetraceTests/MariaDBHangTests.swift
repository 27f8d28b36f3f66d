import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The original post's daemon: MariaDB started the way a careless start script does
/// (`mariadbd ... &`, no log redirection) under Python's `subprocess.run(..., capture_output=True,
/// timeout=...)`. One private datadir and socket for the class (installing one takes seconds);
/// every test starts its own mariadbd and stops it with SIGTERM.
final class MariaDBHangTests: XCTestCase {
  nonisolated(unsafe) static var datadir: String?
  var procs: TestProcesses!

  override class func setUp() {
    super.setUp()
    guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/mariadbd"),
      FileManager.default.isExecutableFile(atPath: "/usr/bin/mariadb-install-db")
    else { return }
    let dir = NSTemporaryDirectory() + "pipetrace-mariadb-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let r = try? runProgram("/usr/bin/mariadb-install-db", [
      "--datadir=\(dir)/data", "--user=root", "--auth-root-authentication-method=normal",
    ], timeout: 120)
    if r?.status == 0 { datadir = dir }
  }

  override class func tearDown() {
    if let dir = datadir { try? FileManager.default.removeItem(atPath: dir) }
    super.tearDown()
  }

  override func setUpWithError() throws {
    guard getuid() == 0 else { throw XCTSkip("needs root (mariadbd --user=root)") }
    guard Self.datadir != nil else { throw XCTSkip("needs mariadb-server (.ci/setup installs it)") }
    procs = try TestProcesses()
  }

  override func tearDown() { procs?.cleanUp() }

  var socket: String { Self.datadir! + "/s" }

  /// The careless start line of a script.
  var startLine: String {
    "mariadbd --no-defaults --datadir=\(Self.datadir!)/data --socket=\(socket) --skip-networking --user=root &\n"
  }

  /// `mariadb -e QUERY` on the private socket: its output, nil when the server does not answer.
  func query(_ sql: String) -> String? {
    guard let r = try? runProgram("/usr/bin/mariadb", ["--socket=\(socket)", "-N", "-e", sql], timeout: 30),
      r.status == 0
    else { return nil }
    return r.stdout
  }

  func waitUntilAnswering() throws {
    try waitUntil("mariadbd answering", timeout: 60) { query("select 1") == "1\n" }
  }

  /// why names mariadbd's fds 1 and 2 and calls mariadbd itself an idle loop; the fix (/dev/null in
  /// place of fds 1 and 2) lets Python return, MariaDB answers, and new connections never get
  /// fds 1 or 2 (a plain close would have handed them to the next clients).
  func testFixLeavesNoHoleInARunningMariaDB() throws {
    let (python, output, mariadbd) = try procs.startCarelessRun(
      startLine + "echo $! > m.pid\necho started\n", pidFile: "m.pid", timeout: 300)
    defer { try? procs.stop(daemon: mariadbd) }
    try waitUntilAnswering()

    let (status, d) = try whyJSON(python.pid)
    XCTAssertEqual(status, 0, "\(d)")
    XCTAssertEqual(holderFds(d, pid: mariadbd), [1, 2])
    let (idleStatus, idle) = try whyJSON(mariadbd)
    XCTAssertEqual(idleStatus, 3, "\(idle)")
    XCTAssertEqual(idle["outcome"] as? String, "idle")
    XCTAssertTrue(idle["fix"] is NSNull, "never a fix on its own wakeup pipe: \(idle)")

    let printed = try fixAndRead(d, output)
    XCTAssertEqual(printed, "returned 0 b'started\\n'\n")
    XCTAssertEqual(python.wait(), 0)
    try assertMariaDBHealthy(mariadbd)
    try procs.stop(daemon: mariadbd)
  }

  /// A launched trace of the same start: the report names mariadbd as the holder that exec'd with
  /// fd 1 it never wrote to while Python polled it, and lists the pipe waits before mariadbd's
  /// futex waits.
  func testReportNamesMariadbAsLeakedHolder() throws {
    try procs.write("start.sh", "#!/bin/sh\n" + startLine + "echo $! > m.pid\necho started\n", executable: true)
    let trace = temporaryFile("mariadb.jsonl")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, [
      "--json", "-o", trace,
      "-e", "trace=read,write,close,pipe2,dup2,dup3,wait4,poll,ppoll,clone,clone3,execve,exit_group,futex,restart_syscall",
      "--", "/bin/sh", "-c",
      "cd \(procs.directory.path) && exec \(TestProcesses.python) -c \"import subprocess; "
        + "subprocess.run('./start.sh', shell=True, capture_output=True, timeout=3)\"",
    ])
    let mariadbd = try procs.pid(fromFile: "m.pid")
    defer { try? procs.stop(daemon: mariadbd) }
    try waitUntilAnswering()
    // Python gives up after its timeout (the daemon still holds its pipes), then the daemon stops.
    try waitUntil("python exited in the trace", timeout: 60) {
      let events = (try? JSONLines.read(trace)) ?? []
      guard let exec = events.first(where: { $0["event"] as? String == "exec" }), let pid = exec["pid"] as? Int else { return false }
      return events.contains { $0["event"] as? String == "exit" && $0["pid"] as? Int == pid }
    }
    try procs.stop(daemon: mariadbd)
    XCTAssertTrue(eventually(timeout: 60) { !tracer.isRunning }, "the trace ends with mariadbd")
    tracer.stop()

    let r = try CLI.run(["report", trace])
    XCTAssertEqual(r.status, 0, r.stderr)
    let leaks = r.stdout.components(separatedBy: "\n\n").first { $0.hasPrefix("Leaked pipe ends") } ?? ""
    XCTAssertTrue(leaks.contains("\(mariadbd) exec'd /usr/sbin/mariadbd") && leaks.contains("holding fd 1 (write end"),
                  r.stdout)
    XCTAssertTrue(leaks.contains("python3 blocked") && leaks.contains("in poll on it"), leaks)
    // Waits on pipes, sockets and children come first; mariadbd's many futex waits after them.
    let blocking = r.stdout.components(separatedBy: "\n\n").first { $0.hasPrefix("Blocking calls") } ?? ""
    let calls = blocking.split(separator: "\n").dropFirst().filter { !$0.hasPrefix("      ") }
    let firstFutex = calls.firstIndex { $0.contains(" futex(") }
    let lastPoll = calls.lastIndex { $0.contains(" poll(") || $0.contains(" wait4(") }
    XCTAssertNotNil(lastPoll, blocking)
    if let firstFutex, let lastPoll { XCTAssertLessThan(lastPoll, firstFutex, blocking) }
    XCTAssertTrue(calls.contains { $0.contains("python3 poll(") }, blocking)
  }

  /// Issue 19 item 2: a `mariadb -e 'select sleep(N)'` client of a running mariadbd (started with
  /// `&`: ppid 1) waits for its server's answer, not for a leak: mariadbd listens on the socket the
  /// connection was accepted on. No Fix, exit 2, and the client gets its answer.
  func testClientOfARunningServerIsNotALeak() throws {
    let starter = try procs.launch(["/bin/sh", "-c", startLine + "echo $! > m.pid\n"])
    XCTAssertEqual(starter.wait(), 0)
    let mariadbd = try procs.pid(fromFile: "m.pid")
    defer { try? procs.stop(daemon: mariadbd) }
    try waitUntilAnswering()
    try waitUntil("mariadbd orphaned") { procStatusField(mariadbd, "PPid") == "1" }
    let output = TestPipe()
    let client = try procs.launch(["/usr/bin/mariadb", "--socket=\(socket)", "-N", "-e", "select sleep(6)"], stdout: output.writeEnd)
    output.closeWrite()
    try waitUntil("the query running") {
      (query("select count(*) from information_schema.processlist where info = 'select sleep(6)'") ?? "") == "1\n"
    }
    try waitUntilBlocked(client.pid, in: [0, 7, 45, 232, 271])
    let (status, d) = try whyJSON(client.pid)
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    let holders = d["holders"] as? [[String: Any]] ?? []
    XCTAssertTrue(holders.contains { $0["pid"] as? Int == Int(mariadbd) && $0["classification"] as? String == "server_peer" },
                  "\(holders)")
    XCTAssertEqual(try output.readToEOF(timeout: 30), "0\n", "the answer reached the client")
    XCTAssertEqual(client.wait(), 0)
    try procs.stop(daemon: mariadbd)
  }

  // MARK: Unstuck by the trace itself (issue 13 item 8)

  /// The Python wrapper of the original post, writing what `run` returned to the file `result`.
  var wrapper: String {
    "import subprocess\n"
      + "r = subprocess.run('./start.sh', shell=True, capture_output=True, timeout=300)\n"
      + "open('result', 'w').write(f'returned {r.returncode} {r.stdout!r}\\n')\n"
  }

  func result() -> String? {
    let text = try? String(contentsOfFile: procs.directory.appendingPathComponent("result").path, encoding: .utf8)
    return text?.hasSuffix("\n") == true ? text : nil
  }

  /// mariadbd keeps working after the fix, and new connections never get fds 1 or 2.
  func assertMariaDBHealthy(_ mariadbd: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(query("select 6 * 7"), "42\n", file: file, line: line)
    let clients = try (0..<3).map { _ in
      try procs.launch(["/usr/bin/mariadb", "--socket=\(socket)", "-N", "-e", "select sleep(5)"])
    }
    try waitUntil("three clients connected") {
      (query("select count(*) from information_schema.processlist where info like 'select sleep%'") ?? "") == "3\n"
    }
    XCTAssertEqual(fdLink(mariadbd, 1), "/dev/null", file: file, line: line)
    XCTAssertEqual(fdLink(mariadbd, 2), "/dev/null", file: file, line: line)
    for c in clients { kill(c.pid, SIGKILL) }
  }

  /// `pipetrace --stuck-after 1 --unstick-after 1 -- python3 ...`: mariadbd is one of the trace's own
  /// tracees (filtered, multithreaded, blocked in traced calls). The trace replaces its fds itself,
  /// Python returns, MariaDB answers, and the trace ends when mariadbd stops.
  func testUnstuckByALaunchedTrace() throws {
    try procs.write("start.sh", "#!/bin/sh\n" + startLine + "echo $! > m.pid\necho started\n", executable: true)
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let tracer = try procs.launch([CLI.binary, "--stuck-after", "1", "--unstick-after", "1", "-o", trace, "--",
                                   TestProcesses.python, "-c", wrapper])
    let mariadbd = try procs.pid(fromFile: "m.pid")
    defer { try? procs.stop(daemon: mariadbd) }
    try waitUntil("python returned", timeout: 90) { result() != nil }
    XCTAssertEqual(result(), "returned 0 b'started\\n'\n")
    XCTAssertEqual(procStatusField(mariadbd, "TracerPid"), String(tracer.pid), "mariadbd is traced")
    try assertMariaDBHealthy(mariadbd)
    let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
    XCTAssertTrue(text.contains("inject-close \(mariadbd) fd 1 ") && text.contains("inject-close \(mariadbd) fd 2 "), String(text.suffix(3000)))
    // The trace lives as long as its tracees: stopping mariadbd ends it, with Python's status.
    try procs.stop(daemon: mariadbd)
    XCTAssertEqual(try tracer.wait(timeout: 60), 0)
  }

  /// `pipetrace --tree -p PYTHON -p MARIADBD --stuck-after 1 --unstick-after 1`: every thread of the
  /// running mariadbd is attached and blocked in traced calls; the fix goes through the attached
  /// trace; SIGINT then lets go of everything within a second, and mariadbd runs on untraced.
  func testUnstuckByAnAttachedTreeTrace() throws {
    try procs.write("start.sh", "#!/bin/sh\n" + startLine + "echo $! > m.pid\necho started\n", executable: true)
    let python = try procs.launch(["python3", "-c", wrapper])
    let mariadbd = try procs.pid(fromFile: "m.pid")
    defer { try? procs.stop(daemon: mariadbd) }
    try waitUntilAnswering()
    try waitUntilBlocked(python.pid, in: [7, 219], comm: "python")
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let tracer = try BackgroundProcess(CLI.binary, ["--stuck-after", "1", "--unstick-after", "1", "-o", trace, "--tree",
                                                     "-p", String(python.pid), "-p", String(mariadbd)])
    defer { tracer.stop() }
    try waitUntil("python returned", timeout: 90) { result() != nil }
    XCTAssertEqual(result(), "returned 0 b'started\\n'\n")
    XCTAssertEqual(python.wait(), 0)
    try assertMariaDBHealthy(mariadbd)
    let signalled = Date()
    kill(tracer.pid, SIGINT)
    XCTAssertEqual(try tracer.wait(timeout: 10), 0)
    XCTAssertLessThan(Date().timeIntervalSince(signalled), 1.0, "pipetrace slow to let go")
    XCTAssertEqual(procStatusField(mariadbd, "TracerPid"), "0")
    for t in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(mariadbd)/task")) ?? [] {
      let status = (try? String(contentsOfFile: "/proc/\(mariadbd)/task/\(t)/status", encoding: .utf8)) ?? ""
      let state = status.split(separator: "\n").first { $0.hasPrefix("State:") } ?? ""
      XCTAssertFalse(state.contains("(stopped)") || state.contains("(tracing stop)"), "thread \(t) left stopped: \(state)")
    }
    XCTAssertEqual(query("select 1"), "1\n", "mariadbd answers after the detach")
    let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
    XCTAssertTrue(text.contains("inject-close \(mariadbd) fd 1 "), String(text.suffix(3000)))
  }

  // MARK: A server at work (issue 19 item 2)

  /// A daemonized mariadbd (reparented, another process group) runs `select sleep(20)` for a
  /// `mariadb` client: `why mariadbd` looks at every thread and does not call it idle; `why CLIENT`
  /// offers no Fix (its socket's peer is a connection mariadbd accepted on its own listening
  /// socket: a server, not a leak).
  func testBusyServerIsNotIdleAndItsClientGetsNoFix() throws {
    try procs.write("start.sh", "#!/bin/sh\n" + startLine.replacingOccurrences(of: " &\n", with: " >/dev/null 2>&1 &\n")
      + "echo $! > m.pid\n", executable: true)
    XCTAssertEqual(try procs.launch(["./start.sh"]).wait(), 0)
    let mariadbd = try procs.pid(fromFile: "m.pid")
    defer { try? procs.stop(daemon: mariadbd) }
    try waitUntilAnswering()
    let client = try procs.launch(["/usr/bin/mariadb", "--socket=\(socket)", "-N", "-e", "select sleep(20)"])
    try waitUntil("the query runs") {
      (query("select count(*) from information_schema.processlist where info = 'select sleep(20)'") ?? "") == "1\n"
    }
    try waitUntilBlocked(client.pid, in: [0, 7, 45])

    let (serverStatus, server) = try whyJSON(mariadbd)
    let serverVerdict = server["verdict"] as? String ?? ""
    XCTAssertNotEqual(server["outcome"] as? String, "idle", serverVerdict)
    XCTAssertFalse(serverVerdict.contains("idle event loop, not hung"), serverVerdict)
    XCTAssertTrue(serverVerdict.contains("threads"), serverVerdict)
    XCTAssertNotEqual(serverStatus, 0, "\(server)")
    XCTAssertTrue(server["fix"] is NSNull, "\(server)")

    let (status, d) = try whyJSON(client.pid)
    XCTAssertTrue(d["fix"] is NSNull, "never cut the server's end of a live connection: \(d)")
    XCTAssertNotEqual(status, 0, "\(d)")
    let holders = d["holders"] as? [[String: Any]] ?? []
    XCTAssertTrue(holders.contains { $0["pid"] as? Int == Int(mariadbd) && $0["listens"] as? Bool == true }, "\(holders)")
    kill(client.pid, SIGKILL)
  }
}
