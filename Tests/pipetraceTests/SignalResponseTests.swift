import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The tracer's own signals are taken even when the tracees never let it wait idle.
final class SignalResponseTests: XCTestCase {
  /// A tracee that stops every few microseconds (dd with 1-byte blocks) and a tracer told to poll
  /// for a whole second before it sleeps: it never waits idle, where it used to take its signals.
  /// SIGINT still detaches within a second and leaves dd running untraced.
  func testSIGINTWhileStopsComeBackToBack() throws {
    let dd = try BackgroundProcess("/bin/dd", ["if=/dev/zero", "of=/dev/null", "bs=1", "count=1000000000"])
    defer { dd.stop() }
    let trace = temporaryFile("backtoback.txt")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, ["--spin-us", "1000000", "-o", trace, "-p", String(dd.pid)])
    defer { tracer.stop() }
    // The tracer is in the thick of it once it has written a few thousand lines.
    try waitUntil("the trace running") {
      var st = stat()
      return stat(trace, &st) == 0 && st.st_size > 200_000
    }
    let signalled = Date()
    kill(tracer.pid, SIGINT)
    XCTAssertEqual(try tracer.wait(timeout: 10), 0)
    XCTAssertLessThan(Date().timeIntervalSince(signalled), 1.0)
    XCTAssertTrue(dd.isRunning)
    XCTAssertEqual(procStatusField(dd.pid, "TracerPid"), "0")
  }
}
