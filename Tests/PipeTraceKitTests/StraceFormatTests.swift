import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// strace logs as people have them: every timestamp style, pid column or `[pid N]` prefixes,
/// with and without -y, and -ff sets. Recorded with the real strace on a shell pipeline where
/// `cat` waits for EOF while a backgrounded `sleep` holds the pipe's write end.
final class StraceFormatTests: XCTestCase {
  static let pipeline = "(sleep 0.6 & echo start ok) | cat"

  /// Records the pipeline with `flags` and returns the report of the resulting file(s).
  func recordAndReport(_ flags: [String], stderrLog: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> (Report, [String]) {
    try XCTSkipUnless(TraceFixtures.straceAvailable, "strace is not installed")
    let dir = try TraceFixtures.tempDir()
    addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    let log = dir.appendingPathComponent("trace").path
    let r: ProgramResult
    if stderrLog {
      r = try runProgram("strace", flags + ["--", "sh", "-c", Self.pipeline], stdoutPath: "/dev/null", stderrPath: log)
    } else {
      r = try runProgram("strace", flags + ["-o", log, "--", "sh", "-c", Self.pipeline], stdoutPath: "/dev/null")
    }
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0).path }
    return (try TraceFixtures.report(files), files)
  }

  /// cat's read that ended in EOF blocked about as long as sleep ran, and sleep let it go.
  func assertCatWasReleasedBySleep(_ report: Report, file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples)", file: file, line: line)
    let cat = try XCTUnwrap(report.processes.first { $0.program?.hasSuffix("/cat") == true }, file: file, line: line)
    let sleeper = try XCTUnwrap(report.processes.first { $0.program?.hasSuffix("/sleep") == true }, file: file, line: line)
    let read = try XCTUnwrap(report.blocking.first { $0.pid == cat.pid && $0.name == "read" && $0.result == "= 0" }, file: file, line: line)
    XCTAssertGreaterThan(read.dur, 0.3, file: file, line: line)
    XCTAssertEqual(read.releasedBy?.pid, sleeper.pid, "\(String(describing: read.releasedBy))", file: file, line: line)
    XCTAssertEqual(read.fd, 0, file: file, line: line)
  }

  func testEpochTimestampsWithoutY() throws {
    let (report, _) = try recordAndReport(["-f", "-ttt", "-T"])
    try assertCatWasReleasedBySleep(report)
    // No -y: the pipe's identity came from sh's pipe() result and followed dup2/fork/exec.
    let pipe = try XCTUnwrap(report.pipes.first { $0.created?.event == "pipe" || $0.created?.event == "pipe2" })
    XCTAssertNil(pipe.inode)
    XCTAssertTrue(pipe.carries.contains { $0.program.hasSuffix("/sleep") && !$0.used })
    XCTAssertTrue(report.leaks.contains { $0.program.hasSuffix("/sleep") })
  }

  func testTimeOfDayMicroseconds() throws {
    let (report, _) = try recordAndReport(["-f", "-tt", "-T", "-y"])
    try assertCatWasReleasedBySleep(report)
  }

  func testTimeOfDaySeconds() throws {
    let (report, _) = try recordAndReport(["-f", "-t", "-T", "-yy"])
    try assertCatWasReleasedBySleep(report)
  }

  func testRelativeTimestamps() throws {
    let (report, _) = try recordAndReport(["-f", "-r", "-T"])
    try assertCatWasReleasedBySleep(report)
    XCTAssertLessThan(report.traceStart ?? 99, 1.0, "-r times add up from 0")
  }

  func testNoTimestampsStillHasDurationsFromT() throws {
    let (report, _) = try recordAndReport(["-f", "-T"])
    try assertCatWasReleasedBySleep(report)
    XCTAssertFalse(report.hasTimestamps)
    XCTAssertTrue(TextReport.render(report).contains("The log has no timestamps"))
  }

  func testNoTimestampsNoTStillFindsTheTreeAndThePipe() throws {
    let (report, _) = try recordAndReport(["-f"])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples)")
    XCTAssertTrue(report.processes.contains { $0.program?.hasSuffix("/cat") == true })
    // Without times nothing is known to have blocked, but the pipe carried into sleep unused is.
    XCTAssertTrue(report.blocking.isEmpty)
    XCTAssertTrue(report.pipes.contains { $0.carries.contains { $0.program.hasSuffix("/sleep") && !$0.used } })
  }

  func testStderrStylePidPrefixes() throws {
    let (report, _) = try recordAndReport(["-f", "-ttt", "-T", "-y"], stderrLog: true)
    try assertCatWasReleasedBySleep(report)
    // The first lines had no prefix: their pid was learned from the first [pid N] line.
    XCTAssertFalse(report.processes.contains { $0.pid == 0 }, "\(report.processes.map(\.pid))")
    let sh = try XCTUnwrap(report.processes.first)
    XCTAssertNil(sh.parent)
    XCTAssertEqual(sh.program, "/usr/bin/sh")
  }

  func testFFSetIsMergedByTime() throws {
    let (report, files) = try recordAndReport(["-ff", "-ttt", "-T", "-y"])
    XCTAssertGreaterThanOrEqual(files.count, 3)
    XCTAssertTrue(files.allSatisfy { TraceInput.pidSuffix($0) != nil })
    try assertCatWasReleasedBySleep(report)
    XCTAssertEqual(Set(report.processes.map(\.pid)), Set(files.compactMap(TraceInput.pidSuffix)))
  }

  /// strace on stderr drops the `[pid N]` prefix whenever one process is left, and this log never
  /// shows the end of one child (its exit line was lost): the unprefixed resumed line is still the
  /// call left open by that name, not an unknown process's.
  func testUnprefixedResumedLineWhileAnotherTaskLooksAlive() throws {
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let log = """
      1700000010.000000 pipe([3, 4]) = 0 <0.000010>
      1700000010.000100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 301 <0.000100>
      [pid   301] 1700000010.000200 close(3) = 0 <0.000005>
      [pid   300] 1700000010.000300 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 302 <0.000100>
      [pid   302] 1700000010.000350 close(4) = 0 <0.000005>
      [pid   300] 1700000010.000400 wait4(-1,  <unfinished ...>
      [pid   301] 1700000010.000500 write(4, "x", 1) = 1 <0.000005>
      [pid   301] 1700000012.000100 +++ exited with 0 +++
      1700000012.000200 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 301 <1.999800>
      1700000012.000400 read(3, "x", 10) = 1 <0.000004>

      """
    let path = try TraceFixtures.write(log, in: dir, name: "stderr.strace")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples)")
    let wait = try XCTUnwrap(report.blocking.first { $0.name == "wait4" })
    XCTAssertEqual(wait.pid, 300)
    XCTAssertEqual(wait.dur, 1.9998, accuracy: 1e-9)
  }

  func testUnfinishedResumedPairsBecomeOneCall() throws {
    let dir = try TraceFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let log = """
      300   1700000010.000000 pipe([3, 4]) = 0 <0.000010>
      300   1700000010.000100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>
      301   1700000010.000200 close(3) = 0 <0.000005>
      300   1700000010.000150 <... clone resumed>, child_tidptr=0x7f) = 301 <0.000100>
      300   1700000010.000300 close(4) = 0 <0.000005>
      300   1700000010.000400 wait4(301,  <unfinished ...>
      301   1700000010.000500 write(4, "x", 1) = 1 <0.000005>
      301   1700000012.000000 exit_group(0) = ?
      301   1700000012.000100 +++ exited with 0 +++
      300   1700000012.000200 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 301 <1.999800>
      300   1700000012.000300 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=301, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
      300   1700000012.000400 read(3, "x", 10) = 1 <0.000004>
      300   1700000012.000500 +++ killed by SIGKILL (core dumped) +++

      """
    let path = try TraceFixtures.write(log, in: dir, name: "mirror.strace")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples)")
    let wait = try XCTUnwrap(report.blocking.first)
    XCTAssertEqual(wait.name, "wait4")
    XCTAssertEqual(wait.dur, 1.9998, accuracy: 1e-9)
    XCTAssertEqual(wait.releasedBy, EventRef(pid: 301, event: "exit 0", ts: 1700000012.0001))
    XCTAssertEqual(report.processes.map(\.pid), [300, 301])
    XCTAssertEqual(report.processes[1].parent, 300)
    XCTAssertEqual(report.processes[0].signal, 9)
    XCTAssertTrue(report.processes[0].coreDumped)
    // The child's early close of fd 3 and the pipe's read end are tracked through the clone.
    let pipe = try XCTUnwrap(report.pipes.first)
    XCTAssertTrue(pipe.history.contains { $0.text.contains("inherited by 301") })
    XCTAssertEqual(report.summary.first { $0.name == "wait4" }?.calls, 1)
  }
}
