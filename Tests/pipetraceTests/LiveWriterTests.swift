import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Issue 19: `why` and `--unstick-after` never cut a live writer. A Fix (and exit status 0) only
/// for a proven leak; pipeline stages, servers, a process's own threads, stopped holders and
/// holders that cannot be classified get no Fix.
final class LiveWriterTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// Every descendant of `pid`, adopted for clean-up (by pid).
  @discardableResult
  func adoptTree(_ pid: Int32) -> [Int32] {
    let tree = childrenOf(pid).flatMap { [$0] + adoptTree($0) }
    for p in tree { procs.adopt(p) }
    return tree
  }

  /// The process named `comm` below `root`, once it is blocked in one of `numbers`.
  func blockedDescendant(of root: Int32, comm: String, in numbers: Set<Int>) throws -> Int32 {
    var found: Int32 = 0
    try waitUntil("\(comm) under \(root) blocked") {
      for pid in adoptTree(root) where (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == comm + "\n" {
        if let nr = blockedSyscall(pid), numbers.contains(nr) { found = pid; return true }
      }
      return false
    }
    return found
  }

  func classifications(_ d: [String: Any]) -> [Int: String] {
    var result: [Int: String] = [:]
    for h in d["holders"] as? [[String: Any]] ?? [] { result[h["pid"] as? Int ?? 0] = h["classification"] as? String }
    return result
  }

  /// Item 1: the producers of running pipelines are live stages, not leaks: no Fix, exit 2, "still
  /// being written to".
  func testPipelineProducersAreLiveStages() throws {
    try procs.write("app.log", "start\n")
    for (script, reader, producer) in [("(sleep 30; echo data) | wc -c", "wc", "sleep"), ("sleep 30 | cat", "cat", "sleep"),
                                       ("tail -f app.log | grep ERROR", "grep", "tail")] {
      let sh = try procs.launch(["/bin/sh", "-c", script])
      let consumer = try blockedDescendant(of: sh.pid, comm: reader, in: [0])
      _ = try blockedDescendant(of: sh.pid, comm: producer, in: [230, 35, 7, 271, 232, 281])
      let (status, d) = try whyJSON(consumer)
      XCTAssertEqual(status, 2, "\(script): \(d)")
      XCTAssertTrue(d["fix"] is NSNull, "\(script): \(d)")
      let classes = classifications(d)
      XCTAssertFalse(classes.isEmpty, "\(script): \(d)")
      XCTAssertTrue(classes.values.allSatisfy { $0 == "pipeline_stage" }, "\(script): \(classes)")
      let text = try CLI.run(["why", "\(consumer)"])
      XCTAssertFalse(text.stdout.contains("Fix:"), text.stdout)
      let verdict = text.stdout.split(separator: "\n").first { $0.hasPrefix("Verdict:") } ?? ""
      XCTAssertTrue(verdict.contains("still being written to by"), text.stdout)
      XCTAssertLessThanOrEqual(verdict.count, 220, String(verdict))
      for pid in adoptTree(sh.pid) { kill(pid, SIGKILL) }
      kill(sh.pid, SIGKILL)
    }
  }

  /// Item 1 when the pipeline's own parent is an orphan (a pipeline started from a daemonized
  /// script): its stages are still live stages, not "below an orphan"; and once that parent is
  /// gone too, the producer and the reader are both orphans: unknown, never a Fix.
  func testPipelineUnderAnOrphanedParentIsNotALeak() throws {
    let starter = try procs.launch(["/bin/sh", "-c", "sh -c '(sleep 300; echo data) | wc -c' & echo $! > p.pid"])
    XCTAssertEqual(starter.wait(), 0)
    let parent = try procs.pid(fromFile: "p.pid")
    try waitUntil("the pipeline's parent orphaned") { procStatusField(parent, "PPid") == "1" }
    let consumer = try blockedDescendant(of: parent, comm: "wc", in: [0])
    // The sleep too, so that every process of the tree is adopted (by pid) before its parent dies.
    _ = try blockedDescendant(of: parent, comm: "sleep", in: [230, 35])
    let (status, d) = try whyJSON(consumer)
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    XCTAssertTrue(classifications(d).values.allSatisfy { $0 == "pipeline_stage" }, "\(classifications(d))")
    kill(parent, SIGKILL)
    try waitUntil("wc orphaned") { procStatusField(consumer, "PPid") == "1" }
    let (status2, d2) = try whyJSON(consumer)
    XCTAssertEqual(status2, 2, "\(d2)")
    XCTAssertTrue(d2["fix"] is NSNull, "\(d2)")
    XCTAssertFalse(classifications(d2).values.contains("leaked"), "\(classifications(d2))")
  }

  /// Leaks that stay proven (what `why` got right before issue 19 stays right): `nohup` leaking
  /// only fd 2 (its stdout redirected), and a daemon holding the pipe on fd 7 only.
  func testNohupAndFd7LeaksStayFixed() throws {
    for (line, fd) in [("nohup sleep 300 > /dev/null &", 2), ("sleep 300 7>&1 > /dev/null 2>&1 &", 7)] {
      let (python, output, daemon) = try procs.startCarelessRun(line + "\necho $! > d.pid\necho hi\n", pidFile: "d.pid")
      let (status, d) = try whyJSON(python.pid)
      XCTAssertEqual(status, 0, "\(line): \(d)")
      XCTAssertEqual(classifications(d), [Int(daemon): "leaked"], line)
      XCTAssertEqual((d["closes"] as? [[String: Any]])?.flatMap { $0["fds"] as? [Int] ?? [] }, [fd], line)
      XCTAssertEqual(try fixAndRead(d, output), "returned 0 b'hi\\n'\n", line)
      XCTAssertEqual(python.wait(), 0)
      kill(daemon, SIGKILL)
      try FileManager.default.removeItem(at: procs.directory.appendingPathComponent("d.pid"))
    }
  }

  /// Item 1 under the stuck detector: the producer's late output reaches wc (10 bytes), and the
  /// trace says why it refused, once, though it looks again while the producer sleeps (refused at
  /// 0.5 s, looked at again 1 s and 3 s later): a live writer that stays live is never cut.
  func testUnstickNeverCutsAPipelineProducer() throws {
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let r = try CLI.run(["--stuck-after", "0.3", "--unstick-after", "0.5", "-o", trace, "--",
                         "/bin/sh", "-c", "(sleep 4; echo IMPORTANT) | wc -c"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespaces), "10\n")
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    XCTAssertFalse(text.contains("inject-close"), String(text.suffix(3000)))
    XCTAssertFalse(text.contains("acting on"), String(text.suffix(3000)))
    let refusals = text.split(separator: "\n").filter { $0.contains("# pipetrace: unstick ") && $0.contains(": refused (") }
    XCTAssertEqual(refusals.count, 1, refusals.joined(separator: "\n"))
    XCTAssertTrue(refusals.allSatisfy { $0.contains(": refused (still_written)") }, refusals.joined(separator: "\n"))
  }

  /// A double-forked UNIX server (ppid 1, its own session) on socket `name` that accepts one
  /// connection itself and answers `late answer` after `delay` seconds. Returns its pid.
  func startLateServer(_ name: String, delay: Int) throws -> Int32 {
    try procs.write("server.py", """
      import os, socket, sys, time
      if os.fork(): os._exit(0)
      os.setsid()
      if os.fork(): os._exit(0)
      s = socket.socket(socket.AF_UNIX)
      s.bind(sys.argv[1])
      s.listen()
      open(sys.argv[1] + '.pid', 'w').write(f'{os.getpid()}\\n')
      c, _ = s.accept()
      time.sleep(int(sys.argv[2]))
      c.send(b'late answer')
      """)
    let starter = try procs.launch(["python3", "server.py", name, String(delay)])
    XCTAssertEqual(starter.wait(), 0)
    let server = try procs.pid(fromFile: name + ".pid")
    try waitUntil("server orphaned") { procStatusField(server, "PPid") == "1" }
    return server
  }

  /// A client that connects and reads (read, which a trace's default filter shows, unlike recvfrom).
  static let client = "import os, socket, sys\nc = socket.socket(socket.AF_UNIX)\nc.connect(sys.argv[1])\nprint(os.read(c.fileno(), 100))"

  /// Item 2: the client of a double-forked UNIX server that accepted the connection itself waits
  /// for its server, not for a leak: no Fix, exit 2. Under the stuck detector the late answer
  /// arrives (the server's end is not cut).
  func testUnixServerThatAcceptedIsAPeer() throws {
    let server = try startLateServer("srv.sock", delay: 300)
    let client = try procs.launch(["python3", "-c", Self.client, "srv.sock"])
    try waitUntilBlocked(client.pid, in: [45, 0], comm: "python")
    let (status, d) = try whyJSON(client.pid)
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    XCTAssertEqual(classifications(d)[Int(server)], "server_peer", "\(d)")
    XCTAssertEqual(d["verdict_kind"] as? String, "peer")
    // The one listener answer (WaitedObject.listenerFd) gives both the flag and the evidence's fd.
    let held = (d["holders"] as? [[String: Any]] ?? []).first { $0["pid"] as? Int == Int(server) }
    XCTAssertEqual(held?["listens"] as? Bool, true, "\(d)")
    XCTAssertEqual(held?["evidence"] as? String, "a server: it listens on srv.sock (fd 3), on which this connection was accepted", "\(d)")

    let late = try startLateServer("late.sock", delay: 3)
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let r = try CLI.run(["--stuck-after", "0.5", "--unstick-after", "1", "-o", trace, "--",
                         TestProcesses.python, "-c", Self.client, procs.directory.appendingPathComponent("late.sock").path])
    XCTAssertEqual(r.stdout, "b'late answer'\n", r.stderr)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    XCTAssertFalse(text.contains("inject-close"), String(text.suffix(3000)))
    XCTAssertTrue(text.contains(": refused (peer)"), String(text.suffix(3000)))
    try waitUntil("the late server done") { !isAlive(late) }
  }

  /// Item 2, the other way round: a server reading from a client that double-forked (ppid 1) and
  /// connected itself: the client is its peer, not a leak.
  func testOrphanClientThatConnectedIsAPeer() throws {
    let server = try procs.launch(["python3", "-c", """
      import os, socket
      s = socket.socket(socket.AF_UNIX)
      s.bind('in.sock')
      s.listen()
      open('listening', 'w').close()
      c, _ = s.accept()
      print(os.read(c.fileno(), 100))
      """])
    try waitUntil("server listening") { FileManager.default.fileExists(atPath: procs.directory.appendingPathComponent("listening").path) }
    try procs.write("client.py", """
      import os, socket, time
      if os.fork(): os._exit(0)
      os.setsid()
      if os.fork(): os._exit(0)
      c = socket.socket(socket.AF_UNIX)
      c.connect('in.sock')
      open('client.pid', 'w').write(f'{os.getpid()}\\n')
      time.sleep(300)
      """)
    XCTAssertEqual(try procs.launch(["python3", "client.py"]).wait(), 0)
    let client = try procs.pid(fromFile: "client.pid")
    try waitUntil("client orphaned") { procStatusField(client, "PPid") == "1" }
    try waitUntilBlocked(server.pid, in: [0], comm: "python")
    let (status, d) = try whyJSON(server.pid)
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    XCTAssertEqual(classifications(d)[Int(client)], "server_peer", "\(d)")
  }

  /// Items 3 and 12: a thread reading a pipe that its own other thread will write waits for its own
  /// thread: no Fix, and the stuck detector leaves it alone (it reads the 5 bytes, not EOF).
  func testSelfPipeOfAThreadIsNeverCut() throws {
    let program = try compileFixture("selfpipe")
    let out = procs.directory.appendingPathComponent("out").path
    let waiter = try procs.launch([program, "300", out])
    try waitUntilBlocked(waiter.pid, in: [0])
    let (status, d) = try whyJSON(waiter.pid)
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    XCTAssertEqual(classifications(d)[Int(waiter.pid)], "own_thread", "\(d)")
    XCTAssertTrue((d["verdict"] as? String ?? "").contains("for its own thread"), "\(d)")
    XCTAssertFalse((d["verdict"] as? String ?? "").contains("can never see EOF"), "\(d)")

    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let r = try CLI.run(["--stuck-after", "0.3", "--unstick-after", "0.5", "-o", trace, "--", program, "2", out])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "read 5\n")
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    XCTAssertFalse(text.contains("inject-close"), String(text.suffix(3000)))
  }

  /// Item 3: the leaked holder is itself a self-pipe program. The trace unsticks the reader by
  /// closing the holder's stdout, and then leaves the holder's own pipe alone.
  func testLeakedHolderKeepsItsOwnSelfPipe() throws {
    let program = try compileFixture("selfpipe")
    let out = procs.directory.appendingPathComponent("out").path
    let got = procs.directory.appendingPathComponent("got").path
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let r = try CLI.run(["--stuck-after", "0.3", "--unstick-after", "0.5", "-o", trace, "--", "/bin/sh", "-c",
                         "out=$(\(program) 3 \(out) & echo hi); echo \"got $out\" > \(got)"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(try String(contentsOfFile: got, encoding: .utf8), "got hi\n")
    try waitUntil("the holder wrote its result") { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").hasSuffix("\n") }
    XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "read 5\n")
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    let closes = text.split(separator: "\n").filter { $0.contains("# pipetrace: inject-close") }
    XCTAssertEqual(closes.count, 1, closes.joined(separator: "\n"))
    XCTAssertTrue(closes.allSatisfy { $0.contains(" fd 1 (pipe:[") }, closes.joined(separator: "\n"))
  }

  /// The subreaper reader of item 4: Python with PR_SET_CHILD_SUBREAPER runs a script that leaves a
  /// sleep behind; the sleep becomes Python's own child.
  func writeSubreaperReader() throws {
    try procs.write("subreaper.py", """
      import ctypes, subprocess
      ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
      r = subprocess.run('sleep 300 & echo $! > d.pid; echo hi', shell=True, capture_output=True)
      open('result', 'w').write(f'returned {r.stdout!r}\\n')
      """)
  }

  /// Item 4, from /proc alone: adoption cannot be proven, so no Fix, exit 2, and the close as a
  /// commented suggestion with the doubt.
  func testSubreaperReaderFromProcIsUnknown() throws {
    try writeSubreaperReader()
    let python = try procs.launch(["python3", "subreaper.py"])
    let sleeper = try procs.pid(fromFile: "d.pid")
    try waitUntilBlocked(python.pid, in: [7, 0], comm: "python")
    try waitUntil("the sleep adopted by python") { procStatusField(sleeper, "PPid") == String(python.pid) }
    let r = try CLI.run(["why", "\(python.pid)"])
    XCTAssertEqual(r.status, 2, r.stdout)
    XCTAssertFalse(r.stdout.contains("\nFix:"), r.stdout)
    XCTAssertTrue(r.stdout.contains("# if you are sure: ") && r.stdout.contains("--inject-close \(sleeper) 1 "), r.stdout)
    XCTAssertTrue(r.stdout.contains("subreaper"), r.stdout)
  }

  /// Item 4 under the stuck detector: the trace saw the shell fork the sleep and exit, which proves
  /// the adoption; it closes the sleep's fds and Python returns.
  func testSubreaperReaderIsUnstuckByTheTrace() throws {
    try writeSubreaperReader()
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let tracer = try BackgroundProcess(CLI.binary, ["--stuck-after", "0.5", "--unstick-after", "1", "-o", trace, "--",
                                                    TestProcesses.python, "subreaper.py"], directory: procs.directory.path)
    defer { tracer.stop() }
    let sleeper = try procs.pid(fromFile: "d.pid")
    let result = procs.directory.appendingPathComponent("result").path
    try waitUntil("python returned", timeout: 30) { ((try? String(contentsOfFile: result, encoding: .utf8)) ?? "").hasSuffix("\n") }
    XCTAssertEqual(try String(contentsOfFile: result, encoding: .utf8), "returned b'hi\\n'\n")
    let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
    XCTAssertTrue(text.contains("inject-close \(sleeper) fd 1 "), String(text.suffix(3000)))
    kill(sleeper, SIGKILL)
    _ = try tracer.wait(timeout: 30)
  }

  /// Item 5: a stopped leaked holder gets no Fix (it would be refused), but what to do first.
  func testStoppedHolderHasNoFixUntilContinued() throws {
    let (python, output, sleeper) = try procs.startSeedHang()
    kill(sleeper, SIGSTOP)
    defer { kill(sleeper, SIGCONT) }
    try waitUntil("sleeper stopped") { procStatusField(sleeper, "State")?.hasPrefix("T") ?? false }
    let r = try CLI.run(["why", "\(python.pid)"])
    XCTAssertEqual(r.status, 2, r.stdout)
    XCTAssertFalse(r.stdout.contains("\nFix:"), r.stdout)
    XCTAssertTrue(r.stdout.contains("kill -CONT \(sleeper)"), r.stdout)
    kill(sleeper, SIGCONT)
    try waitUntil("sleeper continued") { !(procStatusField(sleeper, "State")?.hasPrefix("T") ?? true) }
    let (status, d) = try whyJSON(python.pid)
    XCTAssertEqual(status, 0, "\(d)")
    XCTAssertEqual(try fixAndRead(d, output), "start ok\n")
    XCTAssertEqual(python.wait(), 0)
  }

  /// Item 8: the Fix for several holders is independent commands: when the first holder has gone
  /// before the line runs, the others are still fixed and the reader sees EOF.
  func testFixOfSeveralHoldersSurvivesOneThatExited() throws {
    let (python, output, sub, _) = try procs.startBackgroundSubshellHang()
    let (status, d) = try whyJSON(python.pid)
    XCTAssertEqual(status, 0, "\(d)")
    let fix = try XCTUnwrap(d["fix"] as? String)
    XCTAssertFalse(fix.contains("&&"), fix)
    let first = try XCTUnwrap((d["closes"] as? [[String: Any]])?.first?["pid"] as? Int)
    XCTAssertEqual(Int32(first), sub, fix)
    kill(sub, SIGKILL)
    try waitUntil("the subshell gone") { !isAlive(sub) }
    XCTAssertEqual(try fixAndRead(d, output), "start ok\n")
    XCTAssertEqual(python.wait(), 0)
  }
}
