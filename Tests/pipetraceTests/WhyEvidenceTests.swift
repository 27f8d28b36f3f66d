import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The evidence `why` gathers beyond the process's own fd table (issue 19 items 6, 7 and 2): a
/// holder thread with its own fd table, a TCP peer on this machine, a terminal, a server's threads.
final class WhyEvidenceTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// A thread that unshared its fd table (unshare(CLONE_FILES)) holds the write end after the
  /// main table closed it: `why` names "thread TID of PID" as the holder (not "EOF now"). It is the
  /// reader's live parent, so a stage of its pipeline: no Fix (a live writer is never cut). The
  /// close a user may choose, `--inject-close TID FD`, acts on that thread's table: the reader sees EOF.
  func testHolderThreadWithItsOwnFdTable() throws {
    let fixture = try compileFixture("own_fd_table")
    let out = TestPipe()
    let holder = try procs.launch([fixture], stdout: out.writeEnd)
    out.closeWrite()
    var line = ""
    try waitUntil("fixture set up") {
      var buf = [UInt8](repeating: 0, count: 64)
      let n = read(out.readEnd, &buf, 64)
      if n > 0 { line += String(decoding: buf[0..<n], as: UTF8.self) }
      return line.hasSuffix("\n")
    }
    let ids = line.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    XCTAssertEqual(ids.count, 3, line)
    let (pid, tid, reader) = (ids[0], ids[1], ids[2])
    XCTAssertEqual(pid, holder.pid)
    procs.adopt(reader)
    try waitUntilBlocked(reader, in: [0])

    let (status, d) = try whyJSON(reader)
    let verdict = d["verdict"] as? String ?? ""
    XCTAssertFalse(verdict.contains("will see EOF now"), verdict)
    XCTAssertTrue(verdict.contains("thread \(tid) of \(pid)"), verdict)
    let holders = d["holders"] as? [[String: Any]] ?? []
    XCTAssertEqual(holders.compactMap { $0["tid"] as? Int }, [Int(tid)], "\(holders)")
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    XCTAssertEqual(holders.first?["classification"] as? String, "pipeline_stage", "\(holders)")
    let pipe = try XCTUnwrap(holders.first?["link"] as? String)
    XCTAssertEqual(try CLI.run(["--inject-close", "\(tid)", "4", "--expect", pipe]).status, 0)
    try waitUntil("the reader saw EOF and exited") { procStatusField(reader, "State")?.hasPrefix("Z") ?? true }
    XCTAssertTrue(isAlive(pid), "the holder runs on")
    XCTAssertEqual(fdLink(tid, 4), "/dev/null", "the thread's own table changed")
  }

  /// `--inject-close TID` of a thread that shares its process's table is still refused (the
  /// process id is the one to give); only a thread with its own table is a target of its own.
  func testInjectCloseRefusesAThreadSharingTheTable() throws {
    let py = try procs.launch(["python3", "-c", "import threading, time\nt = threading.Thread(target=time.sleep, args=(300,))\nt.start()\ntime.sleep(300)\n"])
    var tid: Int32 = 0
    try waitUntil("second thread") {
      let tids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(py.pid)/task")) ?? []).compactMap { Int32($0) }
      tid = tids.first { $0 != py.pid } ?? 0
      return tid != 0
    }
    let r = try CLI.run(["--inject-close", "\(tid)", "1"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("is a thread of process \(py.pid)"), r.stderr)
  }

  /// A client waiting on TCP for a server on this machine: the server process is named (inet_diag:
  /// the socket whose addresses are the client's swapped, and its holders), as a peer: no Fix.
  func testTCPPeerOnThisMachineIsNamed() throws {
    try procs.write("server.py", """
      import socket, time
      s = socket.socket()
      s.bind(('127.0.0.1', 0))
      s.listen()
      open('port.tmp', 'w').write(f"{s.getsockname()[1]}\\n")
      import os; os.rename('port.tmp', 'port')
      c, _ = s.accept()
      time.sleep(300)
      """)
    let server = try procs.launch(["python3", "server.py"])
    var port = 0
    try waitUntil("server listening") {
      port = Int((try? String(contentsOfFile: procs.directory.appendingPathComponent("port").path, encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
      return port != 0
    }
    let client = try procs.launch(["python3", "-c",
      "import socket\nc = socket.create_connection(('127.0.0.1', \(port)))\nc.recv(100)\n"])
    try waitUntilBlocked(client.pid, in: [45, 0], comm: "python")

    let (status, d) = try whyJSON(client.pid)
    let verdict = d["verdict"] as? String ?? ""
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    let holders = d["holders"] as? [[String: Any]] ?? []
    XCTAssertEqual(Set(holders.compactMap { $0["pid"] as? Int }), [Int(server.pid)], "\(d)")
    XCTAssertTrue(holders.allSatisfy { $0["kind"] as? String == "tcp" && $0["listens"] as? Bool == true }, "\(holders)")
    XCTAssertTrue(verdict.contains("\(server.pid)") && verdict.contains("TCP"), verdict)
    XCTAssertFalse(verdict.contains("nothing another process holds"), verdict)
  }

  /// A reader of a terminal (the slave side of a pty the test's Python holds the master of)
  /// waits for terminal input: said so, and no Fix.
  func testTerminalReaderWaitsForInput() throws {
    try procs.write("term.py", """
      import os, pty, subprocess, time
      m, s = pty.openpty()
      p = subprocess.Popen(['cat'], stdin=s, stdout=s, stderr=s)
      os.close(s)
      open('cat.pid', 'w').write(f"{p.pid}\\n")
      time.sleep(300)
      """)
    try procs.launch(["python3", "term.py"])
    let cat = try procs.pid(fromFile: "cat.pid")
    try waitUntilBlocked(cat, in: [0])

    let (status, d) = try whyJSON(cat)
    let verdict = d["verdict"] as? String ?? ""
    XCTAssertEqual(status, 2, "\(d)")
    XCTAssertTrue(d["fix"] is NSNull, "\(d)")
    XCTAssertTrue(verdict.contains("terminal input") && verdict.contains("/dev/pts/"), verdict)
    XCTAssertFalse(verdict.contains("nothing another process holds"), verdict)
  }
}
