import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The commands pipetrace prints run this same binary when pasted: its path unless PATH's
/// `pipetrace` is this binary.
final class SelfCommandCLITests: XCTestCase {
  /// Runs pipetrace with PATH set to `path`; returns its stderr.
  func stderr(_ args: [String], path: String) throws -> String {
    try CLI.run(args, environment: ["PATH": path]).stderr
  }

  func testPrintedCommandsUseTheBinarysPathWhenPipetraceIsNotOnPATH() throws {
    let bin = temporaryFile("bin")
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: bin) }
    try FileManager.default.createSymbolicLink(atPath: bin + "/pipetrace", withDestinationPath: CLI.binary)

    XCTAssertEqual(try stderr(["--inject-close", "1"], path: "/usr/bin:/bin"),
                   "pipetrace: no fd given: \(CLI.binary) --inject-close PID FD [FD...]\n")
    XCTAssertEqual(try stderr(["--inject-close", "1"], path: "\(bin):/usr/bin:/bin"),
                   "pipetrace: no fd given: pipetrace --inject-close PID FD [FD...]\n")

    // run's log line names the command that closes a leaked holder's fds.
    let log = try stderr(["run", "--grace", "0.2", "-c", "sleep 300 & echo start ok"], path: "/usr/bin:/bin")
    let holder = log.range(of: #"held by pid (\d+)"#, options: .regularExpression).map { Int32(log[$0].split(separator: " ").last!) ?? 0 } ?? 0
    defer { if holder > 0 { kill(holder, SIGKILL) } }
    XCTAssertTrue(log.contains("[close with: \(CLI.binary) --inject-close \(holder) 1 --expect 'pipe:["), log)
    XCTAssertTrue(log.contains("]'; \(CLI.binary) --inject-close \(holder) 2 --expect 'pipe:["), log)
  }
}
