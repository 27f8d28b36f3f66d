import Foundation
import XCTest

import PipeTraceKit

/// The format of a saved trace is known from the start of its first lines; a line longer than the
/// detection window is judged by how it starts.
final class TraceDetectionTests: TraceFileTestCase {
  func testLinesLongerThanTheWindowAreJudgedByTheirStart() throws {
    let long = String(repeating: "x", count: 100_000)
    let strace = try TraceFixtures.write("1234  1764196800.000001 write(1, \"\(long)\", 100000) = 100000 <0.000010>\n", in: dir, name: "s.log")
    XCTAssertEqual(try TraceInput.detect(path: strace), .strace)
    let json = try TraceFixtures.write("{\"event\":\"note\",\"pid\":1,\"text\":\"\(long)\",\"ts\":1}\n", in: dir, name: "j.jsonl")
    XCTAssertEqual(try TraceInput.detect(path: json), .pipetraceJSON)
    let text = try TraceFixtures.write("notes: \(long)\n", in: dir, name: "notes.txt")
    XCTAssertThrowsError(try TraceInput.detect(path: text))
  }

  func testStartsLikeStrace() {
    let yes = [
      "write(1, \"", "1234  write(1, \"", "[pid  1234] write(", "1234  1764196800.000001 read(3, \"",
      "12:00:00 read(", "[pid 7] 12:00:00.123456 execve(\"", "1234  +++ exited with 0 +++",
      "--- SIGCHLD {si_signo=SIGCHLD", "<... read resumed>\"", "1234  0.000123 clone3(", "syscall_0x1b6(",
    ]
    for line in yes { XCTAssertTrue(TraceInput.startsLikeStrace(Array(line.utf8)[...]), line) }
    let no = ["hello world", "1234 hello", "Write(", "(1, 2)", "[pid x] read(", "1234  1.5read(", "12 34 56 read("]
    for line in no { XCTAssertFalse(TraceInput.startsLikeStrace(Array(line.utf8)[...]), line) }
  }
}
