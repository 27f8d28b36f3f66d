import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `-s` is capped as strace caps it (UINT_MAX / 4), and a large string shown once is not held for
/// the rest of the trace.
final class StringLimitTests: XCTestCase {
  func testSIsCappedAsStraceCapsIt() throws {
    for (value, accepted) in [("2000000000", false), ("1073741824", false), ("1073741823", true), ("0", true)] {
      let r = try CLI.run(["-s", value, "-o", "/dev/null", "--", "/bin/true"])
      if accepted {
        XCTAssertEqual(r.status, 0, "-s \(value): \(r.stderr)")
      } else {
        XCTAssertEqual(r.status, 64, "-s \(value)")  // a usage error
        XCTAssertEqual(r.stderr, "pipetrace: invalid -s argument: '\(value)' (0 to 1073741823 bytes, as strace)\n")
      }
      if FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") {
        let s = try runProgram("/usr/bin/strace", ["-s", value, "-o", "/dev/null", "/bin/true"])
        XCTAssertEqual(s.status == 0, accepted, "strace -s \(value) \(s.stderr)")
      }
    }
  }

  func testALargeStringIsNotHeldAfterItsLine() throws {
    if CLI.isAddressSanitized { throw XCTSkip("memory bounds do not hold under the address sanitizer") }
    // One 64 MB write of bytes shown as \377 (256 MB of text), then a long sleep.
    let script = "import os, time; os.write(1, b'\\xff' * (64 << 20)); time.sleep(300)"
    let p = try BackgroundProcess(CLI.binary, ["-s", "100000000", "-e", "trace=write", "-o", "/dev/null", "--", "/usr/bin/python3", "-c", script])
    let tracer = p.pid
    var python: Int32 = 0
    defer {
      if python > 0 { kill(python, SIGKILL) }
      _ = try? p.wait()
      p.stop()
    }
    let asleep = eventually(timeout: 120) {
      let kids = (try? String(contentsOfFile: "/proc/\(tracer)/task/\(tracer)/children", encoding: .utf8)) ?? ""
      python = kids.split(separator: " ").compactMap { Int32($0) }.first ?? 0
      return python > 0 && (try? String(contentsOfFile: "/proc/\(python)/syscall", encoding: .utf8))?.hasPrefix("230 ") == true
    }
    XCTAssertTrue(asleep, "the traced python never slept after its write")
    func rssMB() -> Int { (Int(procStatusField(tracer, "VmRSS")?.split(separator: " ").first ?? "") ?? Int.max) / 1024 }
    // The line went out (256 MB of text); what was built for it is given back.
    XCTAssertTrue(eventually(timeout: 10) { rssMB() < 128 }, "pipetrace still holds \(rssMB()) MB")
  }
}
