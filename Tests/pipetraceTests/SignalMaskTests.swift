import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// pipetrace blocks the signals its tracer takes (SIGINT, SIGTERM, ...) only while something is
/// traced: before that, waiting in open() of a FIFO nobody reads or writes, a signal ends it.
final class SignalMaskTests: XCTestCase {
  /// Starts pipetrace with `args`, waits until it sits in openat() of `fifo`, sends `sig`, and
  /// asserts that it died of it.
  /// `ignoring`: pipetrace inherits these signals ignored (started by a shell that ignores them).
  func assertEndsInOpen(_ args: [String], fifo: String, by sig: Int32, ignoring: [String] = [],
                        file: StaticString = #filePath, line: UInt = #line) throws {
    let p = ignoring.isEmpty
      ? try BackgroundProcess(CLI.binary, args)
      : try BackgroundProcess("/bin/sh", ["-c", "trap '' \(ignoring.joined(separator: " ")); exec \"$0\" \"$@\"", CLI.binary] + args)
    let pid = p.pid
    defer { p.stop() }
    // openat (257) is the call it blocks in; the FIFO is the only thing it can wait for there (and
    // the program is pipetrace by then, not the shell that starts it).
    let inOpen = (try? waitUntilBlocked(pid, in: [257], comm: CLI.comm)) != nil
    XCTAssertTrue(inOpen, "pipetrace \(args) never waited in openat", file: file, line: line)
    guard inOpen else { return }
    kill(pid, sig)
    let ended = (try? p.wait(timeout: 10)) != nil
    XCTAssertTrue(ended, "signal \(sig) did not end pipetrace \(args) waiting in open(); blocked: \(procStatusField(pid, "SigBlk") ?? "?")",
                  file: file, line: line)
    guard ended else { return }
    XCTAssertEqual(p.child.terminatingSignal, sig, file: file, line: line)
  }

  func makeFIFO() throws -> String {
    let path = temporaryFile("fifo")
    guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    return path
  }

  func testSignalEndsATraceWaitingForItsOutputFIFOsReader() throws {
    for sig in [SIGINT, SIGTERM, SIGHUP] {
      let fifo = try makeFIFO()
      defer { unlink(fifo) }
      try assertEndsInOpen(["-o", fifo, "--", "/bin/true"], fifo: fifo, by: sig)
    }
  }

  /// SIGQUIT too, inherited ignored or not: the Swift runtime's backtracer, which takes SIGQUIT
  /// when it finds it at its default, must not turn it into a crash report and an EINTR.
  func testSIGQUITEndsATraceWaitingForItsOutputFIFOsReaderWhateverItInherited() throws {
    for ignoring in [[], ["INT", "QUIT"]] {
      let fifo = try makeFIFO()
      defer { unlink(fifo) }
      try assertEndsInOpen(["-o", fifo, "--", "/bin/true"], fifo: fifo, by: SIGQUIT, ignoring: ignoring)
    }
  }

  func testSignalEndsRunWaitingForItsInputFIFOsWriter() throws {
    let fifo = try makeFIFO()
    defer { unlink(fifo) }
    try assertEndsInOpen(["run", "--input", fifo, "--", "/bin/true"], fifo: fifo, by: SIGINT)
  }

  func testReportWaitingForItsOutputFIFOsReaderEndsOnSIGINT() throws {
    let fifo = try makeFIFO()
    defer { unlink(fifo) }
    let trace = temporaryFile("trace")
    try "1234  1764196800.000001 close(3) = 0 <0.000002>\n".write(toFile: trace, atomically: true, encoding: .utf8)
    defer { unlink(trace) }
    try assertEndsInOpen(["report", "-o", fifo, trace], fifo: fifo, by: SIGINT)
  }
}
