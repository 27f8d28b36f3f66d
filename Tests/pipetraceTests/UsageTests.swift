import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// What a new user reads first: --version, one usage line per mode, a help page for every mode
/// (inject-close included), and a clear message for each kind of bad inject-close input.
final class UsageTests: XCTestCase {
  func testVersion() throws {
    let r = try CLI.run(["--version"])
    XCTAssertEqual(r.status, 0)
    XCTAssertNotNil(r.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression), r.stdout)
    // The same version for every mode.
    for mode in ["run", "report", "why", "demo", "inject-close"] {
      XCTAssertEqual(try CLI.run([mode, "--version"]).stdout, r.stdout, mode)
    }
  }

  func testTopLevelUsageHasOneLinePerMode() throws {
    let r = try CLI.run(["--help"])
    XCTAssertEqual(r.status, 0)
    let lines = r.stdout.split(separator: "\n").map(String.init)
    let usage = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("USAGE: ") })
    let modes = lines[usage..<(usage + 7)].map { $0.dropFirst(7).split(separator: " ", omittingEmptySubsequences: false) }
      .map { $0.prefix { !$0.isEmpty }.joined(separator: " ") }
    XCTAssertEqual(modes, [
      "pipetrace [OPTIONS] -- CMD ARGS...", "pipetrace [OPTIONS] -p PID...", "pipetrace why PID",
      "pipetrace --inject-close PID FD...", "pipetrace report FILE...", "pipetrace run [OPTIONS] -- CMD", "pipetrace demo",
    ])
    XCTAssertFalse(lines[usage..<(usage + 7)].contains { $0.contains("<subcommand>") })
    XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, "a line wider than 80 columns")
  }

  func testEveryModeHasItsOwnHelpPage() throws {
    for mode in ["run", "report", "why", "demo"] {
      for args in [[mode, "--help"], ["help", mode]] {
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 0, "\(args)")
        XCTAssertTrue(r.stdout.contains("USAGE: pipetrace \(mode)"), "\(args): \(r.stdout)")
      }
    }
    // inject-close: the documented form, the help command and the subcommand all show one page.
    let pages = try [["--inject-close", "--help"], ["help", "inject-close"], ["inject-close", "--help"], ["--inject-close", "-h"]].map {
      let r = try CLI.run($0)
      XCTAssertEqual(r.status, 0, "\($0): \(r.stderr)")
      return r.stdout
    }
    XCTAssertTrue(pages[0].contains("USAGE: pipetrace --inject-close PID FD... [--dry-run] [--expect pipe:[INODE]]"), pages[0])
    XCTAssertTrue(pages[0].contains("--dry-run") && pages[0].contains("--expect"), pages[0])
    XCTAssertTrue(pages.allSatisfy { $0 == pages[0] })
  }

  func testInjectCloseBadInputHasItsOwnMessages() throws {
    let sleeper = try BackgroundProcess("/bin/sleep", ["300"])
    defer { sleeper.stop() }
    let pid = String(sleeper.pid)
    let cases: [([String], String)] = [
      (["--inject-close", pid, "--", "-5"], "pipetrace: invalid fd -5: an fd is a number of 0 or more"),
      (["--inject-close", pid, "-5"], "pipetrace: invalid fd -5: an fd is a number of 0 or more"),
      (["--inject-close", pid], "pipetrace: no fd given: \(CLI.binary) --inject-close PID FD [FD...]"),
      (["--inject-close", pid, "one"], "pipetrace: invalid fd 'one': expected a number"),
      (["--inject-close"], "pipetrace: Missing expected argument '<PID>'"),
    ]
    for (args, message) in cases {
      // No pipetrace on PATH: printed commands name this binary by its path.
      let r = try CLI.run(args, environment: ["PATH": "/usr/bin:/bin"])
      XCTAssertNotEqual(r.status, 0, "\(args)")
      XCTAssertEqual(r.stderr, message + "\n", "\(args)")
    }
    // Nothing was done to the target.
    XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper.pid)/fd/1"))
    XCTAssertEqual(procStatusField(sleeper.pid, "TracerPid"), "0")
  }

  func testOptionsOfInjectCloseMayComeBeforeIt() throws {
    let sleeper = try BackgroundProcess("/bin/sleep", ["300"])
    defer { sleeper.stop() }
    let r = try CLI.run(["--dry-run", "--inject-close", String(sleeper.pid), "1"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.hasSuffix("dry run, nothing closed\n"), r.stdout)
  }
}
