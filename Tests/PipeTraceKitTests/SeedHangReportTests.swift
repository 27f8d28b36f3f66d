import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// The hang pipetrace exists for, from a real strace recording and from a pipetrace JSON trace.
final class SeedHangReportTests: XCTestCase {
  func testRealStraceRecordingNamesTheReadItsDurationAndTheSleeper() throws {
    try XCTSkipUnless(TraceFixtures.straceAvailable, "strace is not installed")
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let log = dir.appendingPathComponent("seed.strace").path
    let r = try runProgram("strace", [
      "-f", "-ttt", "-T", "-y", "-o", log, "--", "python3", "-c",
      "import subprocess; print(subprocess.Popen('sleep 1 & echo start ok', shell=True, stdout=subprocess.PIPE).communicate())",
    ], stdoutPath: "/dev/null")
    XCTAssertEqual(r.status, 0, r.stderr)
    let report = try TraceFixtures.report([log])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples)")
    // communicate()'s read is the long pipe read that ended in EOF (pyenv's shims add data reads).
    let reads = report.blocking.filter { $0.name == "read" && ($0.target ?? "").hasPrefix("pipe:[") && $0.result == "= 0" }
    let read = try XCTUnwrap(reads.max { $0.dur < $1.dur })
    XCTAssertGreaterThan(read.dur, 0.5)
    XCTAssertEqual(read.result, "= 0")
    let release = try XCTUnwrap(read.releasedBy)
    let sleeper = try XCTUnwrap(report.processes.first { $0.program?.hasSuffix("/sleep") == true })
    XCTAssertEqual(release.pid, sleeper.pid)
    XCTAssertTrue(release.event == "close(1)" || release.event == "exit", release.event)
    XCTAssertTrue(report.leaks.contains { $0.holderPid == sleeper.pid && $0.blockedPid == read.pid })
    let text = TextReport.render(report)
    XCTAssertTrue(text.contains("read(3<\(read.target!)>)"), text)
    XCTAssertTrue(text.contains("released by \(sleeper.pid) sleep"), text)
  }

  func testJSONFixtureGivesTheSameAnswer() throws {
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try TraceFixtures.write(TraceFixtures.seedJSON, in: dir, name: "seed.jsonl")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples)")
    XCTAssertEqual(report.blocking.count, 1)
    let read = try XCTUnwrap(report.blocking.first)
    XCTAssertEqual(read.pid, 1000)
    XCTAssertEqual(read.name, "read")
    XCTAssertEqual(read.fd, 3)
    XCTAssertEqual(read.target, "pipe:[777]")
    XCTAssertEqual(read.dur, 1.1999, accuracy: 1e-9)
    XCTAssertEqual(read.releasedBy, EventRef(pid: 1002, event: "close(1)", ts: 101.203))
    // The first read got its data from sh's write.
    let pipe = try XCTUnwrap(report.pipes.first { $0.inode == 777 })
    XCTAssertEqual(pipe.created, EventRef(pid: 1000, event: "pipe2", ts: 100.0001))
    XCTAssertEqual(pipe.carries.map(\.program), ["/bin/sh", "/usr/bin/sleep"])
    XCTAssertEqual(pipe.carries.map(\.used), [true, false])
    XCTAssertEqual(report.leaks.map(\.holderPid), [1002])
    XCTAssertTrue(pipe.history.contains { $0.text.contains("closed on exec") }, "fd 4 was O_CLOEXEC in sh")
    let sleeper = try XCTUnwrap(report.processes.first { $0.pid == 1002 })
    XCTAssertEqual(sleeper.parent, 1001)
    XCTAssertEqual(sleeper.program, "/usr/bin/sleep")
    XCTAssertEqual(sleeper.exitCode, 0)
  }

  func testDataReadIsReleasedByTheWriteThatSuppliedIt() throws {
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try TraceFixtures.write(TraceFixtures.seedJSON, in: dir, name: "seed.jsonl")
    let report = try TraceFixtures.report([path], minBlock: 0.001)
    let first = try XCTUnwrap(report.blocking.first { $0.name == "read" && $0.result == "= 9" })
    XCTAssertEqual(first.releasedBy?.pid, 1001)
    XCTAssertEqual(first.releasedBy?.event, "write(1)")
  }

  func testMirrorDeadlockWaitIsReleasedByTheChildsDeath() throws {
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try TraceFixtures.write(TraceFixtures.mirrorJSON, in: dir, name: "mirror.jsonl")
    let report = try TraceFixtures.report([path])
    let wait = try XCTUnwrap(report.blocking.first)
    XCTAssertEqual(wait.name, "wait4")
    XCTAssertEqual(wait.pid, 2000)
    XCTAssertEqual(wait.releasedBy, EventRef(pid: 2001, event: "killed by SIGKILL", ts: 205.02))
    // The child's write never returned: it is listed, ending when the child died.
    let write = try XCTUnwrap(report.blocking.first { $0.name == "write" })
    XCTAssertFalse(write.returned)
    XCTAssertEqual(write.dur, 5.0, accuracy: 1e-9)
    // pipe() without -y: the model made its own identity and followed it through dup2 and exec.
    let pipe = try XCTUnwrap(report.pipes.first)
    XCTAssertNil(pipe.inode)
    XCTAssertEqual(pipe.carries.first?.fd, 1)
    XCTAssertEqual(pipe.carries.first?.end, .write)
    XCTAssertEqual(report.processes.first { $0.pid == 2001 }?.signal, 9)
  }

  /// How the live tracer uses it: an EventSink fed event by event, rendered at the end.
  func testLiveStyleFeedingAndRenderingAtTheEnd() throws {
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let reader = try JSONLinesReader(path: try TraceFixtures.write(TraceFixtures.seedJSON, in: dir, name: "seed.jsonl"))
    let sink: EventSink = ReportBuilder(options: .init(minBlock: 0.5))
    while let e = reader.next() { sink.handle(e) }
    sink.finish()
    let text = (sink as! ReportBuilder).render(.text)
    XCTAssertTrue(text.contains("1000  read(3<pipe:[777]>) at +0.003100 blocked 1.200 s = 0"), text)
    XCTAssertTrue(text.contains("released by 1002 sleep: close(1) at +1.202900"), text)
    XCTAssertTrue(text.contains("1002 exec'd /usr/bin/sleep"), text)
  }
}
