import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A valid strace log whose first line is longer than a line the reader keeps (4 MB: a write shown
/// with a large -s) is still a trace: its format is known from how the line starts.
final class LongLineTraceTests: XCTestCase {
  /// strace's log of a python that writes `size` bytes in one call, then waits 0.3 s for a child:
  /// only write and wait4 are shown, so the first line is the write. Returns the log's path and
  /// the length of its first line.
  func straceLog(writing size: Int) throws -> (String, Int) {
    let log = temporaryFile("strace.log")
    let script = "import os; os.write(1, b'x' * \(size)); os.system('sleep 0.3')"
    let strace = try runProgram("/usr/bin/strace", ["-f", "-T", "-ttt", "-s", String(size + 1), "-e", "trace=write,wait4",
                                                        "-o", log, "/usr/bin/python3", "-c", script])
    XCTAssertEqual(strace.status, 0, strace.stderr)
    let start = try XCTUnwrap(FileHandle(forReadingAtPath: log)).readData(ofLength: size + 100)
    let newline = try XCTUnwrap(start.firstIndex(of: 0x0A))
    return (log, newline)
  }

  func testReportReadsAStraceLogWhoseFirstLineIsOver4MB() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { throw XCTSkip("strace is not installed") }
    // 5 MB: the line is read and the write counted.
    let (log, length) = try straceLog(writing: 5_000_000)
    defer { unlink(log) }
    XCTAssertGreaterThan(length, 4 << 20, "the first line is not over 4 MB")
    let r = try CLI.run(["report", log])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stderr, "")
    XCTAssertNotNil(r.stdout.range(of: #"\n  write +1 +0 "#, options: .regularExpression), r.stdout)
    XCTAssertTrue(r.stdout.contains("wait4() at"), r.stdout)
  }

  func testALineLongerThanTheReaderKeepsIsCountedNotARefusal() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { throw XCTSkip("strace is not installed") }
    let (log, length) = try straceLog(writing: 12_000_000)
    defer { unlink(log) }
    let r = try CLI.run(["report", log])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("wait4() at"), r.stdout)
    XCTAssertEqual(r.stderr, "pipetrace: warning: 1 unreadable line(s); first at \(log):1: line of \(length) bytes is too long\n")
  }
}
