import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// Truncated and corrupt input: bad lines are counted with their numbers, a non-trace is one error.
final class DamagedTraceTests: TraceFileTestCase {
  func testBinaryGarbageIsNotATrace() throws {
    var bytes = [UInt8](repeating: 0, count: 4096)
    for k in bytes.indices { bytes[k] = UInt8(truncatingIfNeeded: k &* 7919 &+ 13) }
    let path = dir.appendingPathComponent("garbage.bin").path
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    XCTAssertThrowsError(try TraceInput.open(paths: [path])) { error in
      let message = "\(error)"
      XCTAssertTrue(message.contains("not a pipetrace JSON trace or strace log"), message)
      XCTAssertFalse(message.contains("\n"))
    }
  }

  func testTextThatIsNoTraceIsOneError() throws {
    let path = try TraceFixtures.write("hello world\nthis is a shopping list\n", in: dir, name: "notes.txt")
    XCTAssertThrowsError(try TraceInput.open(paths: [path]))
    let empty = try TraceFixtures.write("", in: dir, name: "empty")
    XCTAssertThrowsError(try TraceInput.open(paths: [empty]))
    XCTAssertThrowsError(try TraceInput.open(paths: [dir.appendingPathComponent("missing").path]))
  }

  func testTruncatedCorruptAndHugeJSONLinesAreCountedByLineNumber() throws {
    var lines = TraceFixtures.seedJSON.split(separator: "\n").map(String.init)
    let huge = "{\"event\":\"note\",\"pid\":1,\"text\":\"" + String(repeating: "x", count: 6 << 20) + "\",\"ts\":1}"
    lines.insert("\u{01}\u{02}garbage{{{", at: 3)  // line 4
    lines.insert(huge, at: 5)  // line 6
    lines.insert("{\"event\":\"syscall\",\"pid\":1000,\"name\":\"read\",\"ts\":1", at: 7)  // line 8, truncated
    let text = lines.joined(separator: "\n") + "\n{\"event\":\"syscall\",\"pid\":1000,\"tid\":1000,\"ts\":101.3,\"na"
    let path = try TraceFixtures.write(text, in: dir, name: "damaged.jsonl")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, 4, "\(report.badLines.samples)")
    XCTAssertEqual(report.badLines.samples.map(\.line), [4, 6, 8, lines.count + 1])
    XCTAssertTrue(report.badLines.samples[1].reason.contains("too long"))
    // The good lines still give the answer.
    XCTAssertEqual(report.blocking.first?.releasedBy?.pid, 1002)
    XCTAssertTrue(TextReport.render(report).contains("Unreadable lines: 4"))
  }

  func testCorruptStraceLinesAreCounted() throws {
    let log = """
      100   1700000000.000000 pipe([3, 4]) = 0 <0.000010>
      100   1700000000.000100 read(3, "abc", 10 <unfinished ...>
      this line is not strace
      100   1700000000.000200 write(4, "x"
      101   1700000000.000300 <... read resumed>) = 3 <0.000001>
      \u{7f}\u{01}\u{02}
      100   1700000001.000000 <... read resumed>"", 10) = 0 <0.999900>
      100   1700000001.000100 +++ exited with 0 +++
      """
    let path = try TraceFixtures.write(log, in: dir, name: "damaged.strace")
    let report = try TraceFixtures.report([path], minBlock: 0.5)
    XCTAssertEqual(report.badLines.samples.map(\.line), [3, 4, 5, 6], "\(report.badLines.samples)")
    XCTAssertEqual(report.blocking.first?.name, "read")
    XCTAssertEqual(report.blocking.first?.dur ?? 0, 0.9999, accuracy: 1e-9)
  }

  func testTraceCutOffMidCallListsTheCallAsNeverReturned() throws {
    let log = """
      100   1700000000.000000 pipe2([3<pipe:[9]>, 4<pipe:[9]>], O_CLOEXEC) = 0 <0.000010>
      100   1700000000.000100 read(3<pipe:[9]>,  <unfinished ...>
      101   1700000003.000000 getpid() = 101 <0.000001>
      """
    let path = try TraceFixtures.write(log, in: dir, name: "cut.strace")
    let report = try TraceFixtures.report([path])
    let read = try XCTUnwrap(report.blocking.first)
    XCTAssertFalse(read.returned)
    XCTAssertEqual(read.dur, 2.999901, accuracy: 1e-6)  // until the last event ended
    XCTAssertEqual(read.target, "pipe:[9]")
    XCTAssertTrue(TextReport.render(report).contains("still blocked when the trace ended"))
  }

  func testOutOfRangeNumbersAreBadLines() throws {
    let text = """
      {"event":"syscall","pid":1,"tid":1,"ts":1e999,"name":"read","args":[3],"ret":0,"dur":0.1}
      {"event":"syscall","pid":1,"tid":1,"ts":5.0,"name":"read","args":[3],"ret":1e300,"dur":0.1}
      {"event":"syscall","pid":1,"tid":1,"ts":5.0,"name":"read","args":[1e400],"ret":0,"dur":-1}
      {"event":"syscall","pid":1,"tid":1,"ts":5.0,"name":"read","args":[3],"ret":0,"dur":0.2}
      """
    let path = try TraceFixtures.write(text, in: dir, name: "numbers.jsonl")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.samples.map(\.line), [1, 2, 3])
    XCTAssertEqual(report.summary.first?.calls, 1)
  }

  /// Mutated copies of a real-shaped trace: whatever the damage, a report comes out.
  func testMutatedTracesNeverCrash() throws {
    var rng = TestRandom("mutated traces")
    func random(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
    let base = Array(TraceFixtures.seedJSON.utf8)
    let alphabet = Array("()[]{}\"<>,=\\ \n0123456789.-eE:".utf8)
    for k in 0..<40 {
      var bytes = base
      for _ in 0..<(1 + random(60)) {
        let at = random(bytes.count)
        switch random(3) {
        case 0: bytes[at] = UInt8(random(256))
        case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random(20)))
        default: bytes.insert(alphabet[random(alphabet.count)], at: at)
        }
        if bytes.isEmpty { bytes = base }
      }
      let path = dir.appendingPathComponent("mutant\(k)").path
      XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
      guard let reader = try? TraceInput.open(paths: [path]) else { continue }  // "not a trace": fine
      let report = ReportBuilder().consume(reader)
      _ = TextReport.render(report)
      _ = JSONReport.render(report)
      _ = ChromeTrace.render(report)
      _ = HTMLReport.render(report)
    }
  }
}

/// Logs as real tools and editors leave them: CRLF line ends, a byte-order mark, a log of nothing
/// but unfinished calls, a thread's execve (strace's `+++ superseded by execve` line), garbage lines.
final class RealWorldLogTests: TraceFileTestCase {
  static let straceLog = """
    1000  12:00:00.000100 pipe2([3, 4], 0) = 0
    1000  12:00:00.000200 clone(child_stack=NULL, flags=SIGCHLD) = 1001
    1001  12:00:00.000300 close(3) = 0
    1001  12:00:00.000400 write(4, "hi\\n", 3) = 3
    1000  12:00:00.000500 close(4) = 0
    1000  12:00:00.000600 read(3, "hi\\n", 8192) = 3
    1001  12:00:00.000700 exit_group(0) = ?
    1001  12:00:00.000800 +++ exited with 0 +++
    1000  12:00:00.000900 read(3, "", 8192) = 0
    1000  12:00:00.001000 exit_group(0) = ?
    1000  12:00:00.001100 +++ exited with 0 +++

    """

  func testCRLFLineEndsAreLineEnds() throws {
    let path = try TraceFixtures.write(Self.straceLog.replacingOccurrences(of: "\n", with: "\r\n"), in: dir, name: "crlf.log")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples.map(\.reason))")
    XCTAssertEqual(report.processes.count, 2)
    let json = try TraceFixtures.write(TraceFixtures.seedJSON.replacingOccurrences(of: "\n", with: "\r\n"), in: dir, name: "crlf.jsonl")
    XCTAssertEqual(try TraceFixtures.report([json]).badLines.count, 0)
  }

  func testByteOrderMarkIsSkipped() throws {
    let json = try TraceFixtures.write("\u{FEFF}" + TraceFixtures.seedJSON, in: dir, name: "bom.jsonl")
    let report = try TraceFixtures.report([json])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples.map(\.reason))")
    let plain = try TraceFixtures.report([try TraceFixtures.write(TraceFixtures.seedJSON, in: dir, name: "plain.jsonl")])
    XCTAssertEqual(report.summary.map(\.calls), plain.summary.map(\.calls))
    let log = try TraceFixtures.write("\u{FEFF}" + Self.straceLog, in: dir, name: "bom.log")
    XCTAssertEqual(try TraceFixtures.report([log]).badLines.count, 0)
  }

  func testALogOfOnlyUnfinishedCallsIsAStraceLog() throws {
    let text = """
      1000  read(0,  <unfinished ...>
      1001  wait4(-1,  <unfinished ...>
      1002  futex(0x7f0, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>

      """
    let path = try TraceFixtures.write(text, in: dir, name: "unfinished.log")
    XCTAssertEqual(try TraceInput.detect(path: path), .strace)
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, 0)
    XCTAssertEqual(report.processes.count, 3, "three tasks, each in a call that never returned")
  }

  /// strace -f of a program whose second thread execs /bin/true (Tests/Fixtures/strace_thread_execve.log,
  /// recorded with strace 6.1): the execve resumes under the leader's pid after `+++ superseded by
  /// execve in pid T +++`.
  func testAThreadsExecveIsOneCall() throws {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/strace_thread_execve.log").path
    let report = try TraceFixtures.report([source])
    XCTAssertEqual(report.badLines.count, 0, "\(report.badLines.samples.map(\.reason))")
    XCTAssertEqual(report.summary.first { $0.name == "execve" }?.calls, 2)
    XCTAssertEqual(report.summary.first { $0.name == "execve" }?.errors, 0)
  }

  func testGarbageLinesAreCountedNotTheWholeFileRejected() throws {
    var lines = Self.straceLog.split(separator: "\n").map(String.init)
    var bad = 0
    for k in stride(from: 1, to: lines.count, by: 4) {
      lines.insert("\u{0}\u{1}\u{7f}garbage \u{0}\u{0}", at: k)
      bad += 1
    }
    let path = try TraceFixtures.write(lines.joined(separator: "\n") + "\n", in: dir, name: "garbage.log")
    let report = try TraceFixtures.report([path])
    XCTAssertEqual(report.badLines.count, bad)
    XCTAssertEqual(report.processes.count, 2)
  }
}
