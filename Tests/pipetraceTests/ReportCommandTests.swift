import Foundation
import PipeTraceTestSupport
import XCTest

/// Drives the built `pipetrace report` binary as a user would.
final class ReportCommandTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipetrace-report-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: dir)
  }

  /// A reader blocked 2 s on a pipe whose last writer (pid 12, started by its child 11) closed it.
  static let trace = """
    {"event":"syscall","pid":10,"tid":10,"ts":50.0,"name":"pipe2","args":[[3,4],0],"ret":0,"dur":0.00001,"fds":[{"arg":0,"index":0,"fd":3,"kind":"pipe","inode":42,"path":"pipe:[42]"},{"arg":0,"index":1,"fd":4,"kind":"pipe","inode":42,"path":"pipe:[42]"}]}
    {"event":"fork","pid":10,"tid":10,"child":11,"kind":"fork","ts":50.0005}
    {"event":"fork","pid":11,"tid":11,"child":12,"kind":"fork","ts":50.001}
    {"event":"exit","pid":11,"tid":11,"code":0,"signal":null,"core":false,"ts":50.0015}
    {"event":"exec","pid":12,"tid":12,"path":"/usr/bin/daemon","argv":["daemon"],"ts":50.002}
    {"event":"syscall","pid":10,"tid":10,"ts":50.003,"name":"close","args":[4],"ret":0,"dur":0.00001,"fds":[{"arg":0,"fd":4,"kind":"pipe","inode":42,"path":"pipe:[42]"}]}
    {"event":"exit","pid":12,"tid":12,"code":0,"signal":null,"core":false,"ts":52.004}
    {"event":"syscall","pid":10,"tid":10,"ts":50.004,"name":"read","args":[3,"",4096],"ret":0,"dur":2.0001,"fds":[{"arg":0,"fd":3,"kind":"pipe","inode":42,"path":"pipe:[42]"}]}
    {"event":"exit","pid":10,"tid":10,"code":0,"signal":null,"core":false,"ts":52.01}

    """

  func testTextReportNamesTheBlockAndItsRelease() throws {
    let path = dir.appendingPathComponent("t.jsonl").path
    try Self.trace.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["report", path])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("10  read(3<pipe:[42]>) at +0.004000 blocked 2.000 s = 0"), r.stdout)
    XCTAssertTrue(r.stdout.contains("released by 12 daemon: exit at +2.004000"), r.stdout)
    XCTAssertTrue(r.stdout.contains("12 exec'd /usr/bin/daemon"), r.stdout)
    XCTAssertEqual(r.stderr, "")
  }

  /// `pipetrace report <(zcat trace.gz)`: a FIFO can be read once only, so detecting the format
  /// must not consume what the reader then needs.
  /// `report -` reads the standard input: a pipe, and a file given as stdin.
  func testDashReadsStandardInput() throws {
    let path = dir.appendingPathComponent("t.jsonl").path
    try Self.trace.write(toFile: path, atomically: true, encoding: .utf8)
    for line in ["cat \"$1\" | \"$0\" report -", "\"$0\" report --format json - < \"$1\""] {
      let r = try runProgram("/bin/sh", ["-c", line, CLI.binary, path])
      XCTAssertEqual(r.status, 0, "\(line): \(r.stderr)")
      XCTAssertEqual(r.stderr, "", line)
      XCTAssertTrue(r.stdout.contains("pipe:[42]"), "\(line): \(r.stdout)")
    }
  }

  func testReadsATraceFromAFIFO() throws {
    let fifo = dir.appendingPathComponent("trace.fifo").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let out = TestPipe()
    let report = try TestProcesses.spawn([CLI.binary, "report", fifo], directory: dir.path, stdin: nil,
                                         stdout: out.writeEnd, stderr: out.writeEnd)
    defer { if report.isRunning { kill(report.pid, SIGKILL); report.wait() } }
    out.closeWrite()
    let writer = open(fifo, O_WRONLY)  // returns once pipetrace has opened the other end
    XCTAssertGreaterThanOrEqual(writer, 0)
    let bytes = Array(Self.trace.utf8)
    XCTAssertEqual(bytes.withUnsafeBufferPointer { Glibc.write(writer, $0.baseAddress, $0.count) }, bytes.count)
    close(writer)
    let text = try out.readToEOF()
    XCTAssertEqual(report.wait(), 0, text)
    XCTAssertTrue(text.contains("10  read(3<pipe:[42]>) at +0.004000 blocked 2.000 s = 0"), text)
    XCTAssertTrue(text.contains("released by 12 daemon: exit at +2.004000"), text)
  }

  /// A report traces nothing: Ctrl-C ends it like any program (the tracing commands block it).
  func testAReportIsInterruptible() throws {
    let fifo = dir.appendingPathComponent("slow.fifo").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let report = try TestProcesses.spawn([CLI.binary, "report", fifo], directory: dir.path, stdin: nil,
                                         stdout: nil, stderr: nil)
    defer { if report.isRunning { kill(report.pid, SIGKILL); report.wait() } }
    let writer = open(fifo, O_WRONLY)
    XCTAssertGreaterThanOrEqual(writer, 0)
    defer { close(writer) }
    // A first line, then nothing more: pipetrace waits in read for the rest of the trace.
    let line = Array(Self.trace.split(separator: "\n")[0].utf8) + [0x0A]
    XCTAssertEqual(line.withUnsafeBufferPointer { Glibc.write(writer, $0.baseAddress, $0.count) }, line.count)
    try waitUntilBlocked(report.pid, in: [0], comm: "pipetrace")
    kill(report.pid, SIGINT)
    try waitUntil("pipetrace ended by the SIGINT") { !isAlive(report.pid) }
    XCTAssertEqual(report.wait(), 128 + SIGINT)
  }

  /// Each run of pipetrace hashes with a new seed: nothing in the report may follow hash order.
  func testTheSameTraceGivesTheSameReportEveryRun() throws {
    var lines: [String] = []
    func fds(_ list: [(arg: Int, index: Int, fd: Int, inode: Int)]) -> String {
      "[" + list.map { #"{"arg":\#($0.arg),"index":\#($0.index),"fd":\#($0.fd),"kind":"pipe","inode":\#($0.inode),"path":"pipe:[\#($0.inode)]"}"# }.joined(separator: ",") + "]"
    }
    var ts = 10.0
    for p in 0..<3 {  // the parent holds six pipe ends
      ts += 0.001
      let inode = 70 + p, r = 3 + 2 * p
      lines.append(#"{"event":"syscall","pid":10,"tid":10,"ts":\#(ts),"name":"pipe2","args":[[\#(r),\#(r + 1)],0],"ret":0,"dur":0.00001,"fds":\#(fds([(0, 0, r, inode), (0, 1, r + 1, inode)]))}"#)
    }
    for c in 0..<25 {  // children inherit them all, exec, and exit
      let child = 100 + c
      ts += 0.01
      lines.append(#"{"event":"fork","pid":10,"tid":10,"child":\#(child),"kind":"fork","ts":\#(ts)}"#)
      lines.append(#"{"event":"exec","pid":\#(child),"tid":\#(child),"path":"/bin/w","argv":["w"],"ts":\#(ts + 0.001)}"#)
      lines.append(#"{"event":"exit","pid":\#(child),"tid":\#(child),"code":0,"signal":null,"core":false,"ts":\#(ts + 0.002)}"#)
    }
    let path = dir.appendingPathComponent("many.jsonl").path
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let first = try CLI.run(["report", path])
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertTrue(first.stdout.contains("inherited by 100 as fd 8 (write end)"), first.stdout)
    for _ in 0..<3 {
      let again = try CLI.run(["report", path])
      XCTAssertEqual(again.stdout, first.stdout)
    }
  }

  func testJSONFormatToAFileAndMinBlock() throws {
    let path = dir.appendingPathComponent("t.jsonl").path
    try Self.trace.write(toFile: path, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("r.json").path
    let r = try CLI.run(["report", "--format", "json", "-o", out, "--min-block", "3s", path])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout, "")
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
    XCTAssertEqual((object["blocking"] as? [Any])?.count, 0, "nothing blocked for 3 s")
    XCTAssertNotNil(object["summary"])
    XCTAssertNotNil(object["processes"])
  }

  func testChromeAndHTMLFormats() throws {
    let path = dir.appendingPathComponent("t.jsonl").path
    try Self.trace.write(toFile: path, atomically: true, encoding: .utf8)
    let chrome = try CLI.run(["report", "--format", "chrome", path])
    XCTAssertEqual(chrome.status, 0)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(chrome.stdout.utf8)) as? [String: Any])
    XCTAssertNotNil(object["traceEvents"] as? [Any])
    let html = try CLI.run(["report", "--format", "html", path])
    XCTAssertEqual(html.status, 0)
    XCTAssertTrue(html.stdout.hasPrefix("<!DOCTYPE html>"))
    XCTAssertFalse(html.stdout.contains("http://") || html.stdout.contains("https://"))
  }

  /// Names, paths and argv in a trace came from the traced processes: the text report escapes them
  /// as strace does, so none can split a line or reach the terminal as a control sequence.
  func testHostileStringsInATraceAreEscaped() throws {
    let path = temporaryFile("hostile.jsonl")
    defer { unlink(path) }
    let trace = #"""
      {"event":"start","version":1,"ts":1.0,"command":["x"],"attached":[]}
      {"event":"exec","pid":10,"tid":10,"ts":1.1,"path":"/bin/ev\u001b[31mil\nVerdict: fake","argv":["ev\u001b[2Jil","a\nb"]}
      {"event":"syscall","pid":10,"tid":10,"ts":1.2,"name":"read","args":[3,"",10],"ret":0,"dur":0.5,"fds":[{"arg":0,"fd":3,"kind":"file","path":"/tmp/x\u001b[1m\nline"}]}
      {"event":"exit","pid":10,"tid":10,"ts":2.0,"code":0,"signal":null,"core":false}

      """#
    try trace.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["report", "--min-block", "0.1", path])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertFalse(r.stdout.utf8.contains(0x1b), "an escape byte reached the output")
    XCTAssertFalse(r.stdout.split(separator: "\n").contains { $0.hasPrefix("Verdict") || $0.hasPrefix("line>)") })
    XCTAssertTrue(r.stdout.contains(#"ev\33[2Jil a\nb"#), r.stdout)
    XCTAssertTrue(r.stdout.contains(#"read(3</tmp/x\33[1m\nline>)"#), r.stdout)
  }

  /// Keys are matched exactly: `error` is not `errno`, `stdout` not `status` (unknown keys are
  /// skipped), so a successful call with an unknown `error` key is not counted as failed.
  func testUnknownKeysAreNotKnownOnes() throws {
    let path = dir.appendingPathComponent("keys.jsonl").path
    try #"""
      {"event":"syscall","pid":10,"tid":10,"ts":50.0,"name":"close","args":[4],"ret":0,"dur":0.00001,"error":"EPERM","stdout":"x","chunk":1,"rex_fd":2,"ret_dxxxxx":"y"}
      {"event":"syscall","pid":10,"tid":10,"ts":50.1,"name":"close","args":[5],"ret":-1,"errno":"EBADF","dur":0.00001}

      """#.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["report", "--format", "json", path])
    XCTAssertEqual(r.status, 0, r.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let summary = try XCTUnwrap((object["summary"] as? [[String: Any]])?.first, r.stdout)
    XCTAssertEqual(summary["calls"] as? Int, 2, r.stdout)
    XCTAssertEqual(summary["errors"] as? Int, 1, r.stdout)
  }

  func testNotATraceIsOneLineAndAFailure() throws {
    let path = dir.appendingPathComponent("junk").path
    try "just some words\n".write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["report", path])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
    XCTAssertTrue(r.stderr.hasPrefix("pipetrace: "), r.stderr)
    XCTAssertEqual(r.stdout, "")
  }

  func testBadLinesAreAWarningNotAFailure() throws {
    let path = dir.appendingPathComponent("t.jsonl").path
    try (Self.trace + "{\"event\":\"sysc\n").write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["report", path])
    XCTAssertEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("1 unreadable line(s); first at \(path):10"), r.stderr)
    XCTAssertTrue(r.stdout.contains("Unreadable lines: 1"))
  }

  func testBadArgumentsFailCleanly() throws {
    let r = try CLI.run(["report", "--min-block", "soon", "/dev/null"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.hasPrefix("pipetrace: "), r.stderr)
    let none = try CLI.run(["report"])
    XCTAssertNotEqual(none.status, 0)
  }

  /// A real trace of `subprocess.run("sleep 1 & echo hi", shell=True, capture_output=True)`: the
  /// shell exits at once, the sleep keeps both pipes 1 s. The poll is released by the sleep letting
  /// go of the last write end (its close at exit, reported after the poll returned), never by the
  /// shell's exit while the sleep still held the pipe; the shell, python's direct child that wrote
  /// nothing to stderr, is no leaked end.
  func testAPollIsReleasedByTheLastWriterNotTheFirstToLeave() throws {
    let trace = dir.appendingPathComponent("py.jsonl").path
    let traced = try CLI.run(["--json", "-o", trace, "--", TestProcesses.python, "-c",
                              "import subprocess; subprocess.run('sleep 1 & echo hi', shell=True, capture_output=True)"])
    XCTAssertEqual(traced.status, 0, traced.stderr)
    let r = try CLI.run(["report", "--format", "json", trace])
    XCTAssertEqual(r.status, 0, r.stderr)
    let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let processes = obj["processes"] as? [[String: Any]] ?? []
    let root = try XCTUnwrap(processes.first?["pid"] as? Int)
    let sleeper = try XCTUnwrap(processes.first { ($0["program"] as? String)?.hasSuffix("/sleep") ?? false }?["pid"] as? Int, "\(processes)")
    let shell = try XCTUnwrap(processes.first { ($0["parent"] as? Int) == root && (($0["program"] as? String)?.hasSuffix("/sh") ?? false) }?["pid"] as? Int)
    let blocking = obj["blocking"] as? [[String: Any]] ?? []
    let poll = try XCTUnwrap(blocking.first { $0["pid"] as? Int == root && ($0["dur"] as? Double ?? 0) >= 0.9 }, "\(blocking)")
    let released = try XCTUnwrap(poll["released_by"] as? [String: Any], "\(poll)")
    XCTAssertEqual(released["pid"] as? Int, sleeper, "\(poll)")
    let start = try XCTUnwrap(poll["ts"] as? Double), end = start + (poll["dur"] as? Double ?? 0)
    let at = try XCTUnwrap(released["ts"] as? Double)
    XCTAssertGreaterThanOrEqual(at, start + 0.9, "released before it blocked: \(poll)")
    XCTAssertLessThanOrEqual(at, end + 0.001, "\(poll)")
    let leaks = obj["leaks"] as? [[String: Any]] ?? []
    XCTAssertFalse(leaks.contains { $0["holder_pid"] as? Int == shell }, "the direct child is called a leak: \(leaks)")
    XCTAssertTrue(leaks.contains { $0["holder_pid"] as? Int == sleeper }, "\(leaks)")
  }
}

/// Input as deep as a file can make it: no step of `report` recurses once per level.
final class DeepReportInputTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipetrace-deep-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  /// A call whose argument is arrays (and objects) nested `depth` deep, in every format.
  func testDeeplyNestedArgumentsAreReadInEveryFormat() throws {
    for depth in [20_000, 1_000_000] {
      let nested = String(repeating: "[{\"a\":", count: depth / 2) + "1" + String(repeating: "}]", count: depth / 2)
      let trace = """
        {"event":"syscall","pid":10,"tid":10,"ts":50.0,"name":"ioctl","args":[3,\(nested)],"ret":0,"dur":0.5}
        {"event":"exit","pid":10,"tid":10,"code":0,"signal":null,"core":false,"ts":51.0}

        """
      let path = dir.appendingPathComponent("deep\(depth).jsonl").path
      try trace.write(toFile: path, atomically: true, encoding: .utf8)
      for format in ["text", "json", "html", "chrome"] {
        let r = try CLI.run(["report", "--format", format, path], timeout: 120)
        XCTAssertEqual(r.status, 0, "depth \(depth), \(format): \(r.stderr.prefix(300))")
        XCTAssertFalse(r.stderr.contains("unreadable"), "depth \(depth), \(format): \(r.stderr.prefix(300))")
      }
    }
  }

  /// A fork chain 100,000 processes deep (each the child of the one before), in every format.
  func testDeepForkChainIsReportedInEveryFormat() throws {
    let depth = 100_000
    var trace = ""
    trace.reserveCapacity(depth * 160)
    for k in 0..<depth {
      let pid = 1000 + k
      trace += "{\"event\":\"fork\",\"pid\":\(pid),\"tid\":\(pid),\"child\":\(pid + 1),\"kind\":\"fork\",\"ts\":\(50.0 + Double(k) * 0.0001)}\n"
    }
    for k in (0...depth).reversed() {
      let pid = 1000 + k
      trace += "{\"event\":\"exit\",\"pid\":\(pid),\"tid\":\(pid),\"code\":0,\"signal\":null,\"core\":false,\"ts\":\(70.0 + Double(depth - k) * 0.0001)}\n"
    }
    let path = dir.appendingPathComponent("chain.jsonl").path
    try trace.write(toFile: path, atomically: true, encoding: .utf8)
    for format in ["text", "json", "html", "chrome"] {
      let r = try CLI.run(["report", "--format", format, path], timeout: 300)
      XCTAssertEqual(r.status, 0, "\(format): \(r.stderr.prefix(300))")
      if format == "text" { XCTAssertTrue(r.stdout.contains("\(1000 + depth)"), "the deepest process is listed") }
    }
  }
}
