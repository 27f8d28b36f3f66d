import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A write error on any output (-o /dev/full, a full disk, stdout on /dev/full) is reported once
/// with the file's name and makes the exit status non-zero: nothing is cut silently.
final class OutputErrorTests: XCTestCase {
  let full = "pipetrace: /dev/full: No space left on device"

  /// Runs pipetrace with its stdout on /dev/full.
  func runWithStdoutFull(_ args: [String]) throws -> ProgramResult {
    try CLI.run(args, stdoutPath: "/dev/full")
  }

  func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

  func testTraceToDevFullIsReportedOnceAndFails() throws {
    for format in [[], ["--json"]] {
      let r = try CLI.run(format + ["-o", "/dev/full", "-e", "trace=all", "--", "/bin/true"])
      XCTAssertEqual(r.status, 1, "\(format): \(r.stderr)")
      XCTAssertEqual(lines(r.stderr), [full], "\(format)")
    }
    // The command's own failure stays its status.
    let r = try CLI.run(["-o", "/dev/full", "-e", "trace=all", "--", "/bin/sh", "-c", "exit 3"])
    XCTAssertEqual(r.status, 3)
    XCTAssertEqual(lines(r.stderr), [full])
  }

  func testReportAfterTheTraceToDevFullFails() throws {
    let r = try CLI.run(["--report", "-o", "/dev/full", "--", "/bin/true"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertEqual(lines(r.stderr), [full])
  }

  func testAttachedTraceToDevFullFails() throws {
    // A loop that makes calls to show every 50 ms.
    let sleeper = try BackgroundProcess("/bin/sh", ["-c", "while /bin/sleep 0.05; do :; done"])
    defer { sleeper.stop() }
    let errors = OutputFile("stderr")
    let tracer = try BackgroundProcess(CLI.binary, ["-o", "/dev/full", "-e", "trace=all", "-p", String(sleeper.pid)],
                                       stderr: errors.fd)
    defer { tracer.stop() }
    XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == String(tracer.pid) })
    // The first lines fail to be written; the trace goes on.
    XCTAssertTrue(eventually { errors.text.contains(self.full) })
    kill(tracer.pid, SIGINT)
    try tracer.wait()
    XCTAssertEqual(tracer.child.exitCode, 1)
    XCTAssertEqual(lines(errors.text), [full])
    XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == "0" }, "the target runs on, untraced")
  }

  func testReportCommandOutputErrors() throws {
    let trace = temporaryFile("trace")
    try "1234  1764196800.000001 close(3) = 0 <0.000002>\n".write(toFile: trace, atomically: true, encoding: .utf8)
    defer { unlink(trace) }
    let toFile = try CLI.run(["report", "-o", "/dev/full", trace])
    XCTAssertEqual(toFile.status, 1)
    XCTAssertEqual(lines(toFile.stderr), [full])
    let toStdout = try runWithStdoutFull(["report", trace])
    XCTAssertEqual(toStdout.status, 1)
    XCTAssertEqual(lines(toStdout.stderr), ["pipetrace: stdout: No space left on device"])
  }

  func testRunOutputsOnDevFullAreReportedOnceAndFail() throws {
    let stdoutFull = "pipetrace: stdout: No space left on device"
    for mode in [["--keep", "64K"], ["--json"], ["--tee"]] {
      let r = try runWithStdoutFull(["run"] + mode + ["-c", "seq 100000"])
      XCTAssertEqual(r.status, 1, "\(mode): \(r.stderr)")
      XCTAssertEqual(lines(r.stderr).filter { $0.hasPrefix("pipetrace:") }, [stdoutFull], "\(mode)")
    }
    // The command's own failure stays its status.
    let failing = try runWithStdoutFull(["run", "-c", "echo x; exit 4"])
    XCTAssertEqual(failing.status, 4)
    XCTAssertEqual(lines(failing.stderr).first, stdoutFull)
  }
}
