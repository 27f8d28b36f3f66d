import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A usage error exits with 64 (EX_USAGE) in every mode, with one line on stderr; the statuses that
/// are answers (`why`'s 0/1/2/3, inject-close's 1, a traced command's own) stay apart from it.
final class UsageErrorTests: XCTestCase {
  func testEveryModesBadInputIs64AndOneLine() throws {
    let sleeper = try BackgroundProcess("/bin/sleep", ["300"])
    defer { sleeper.stop() }
    let pid = String(sleeper.pid)
    let cases: [([String], String)] = [
      // The trace.
      ([], "nothing to trace"),
      (["--bogus", "--", "/bin/true"], "Unknown option '--bogus'"),
      (["-X", "loud", "--", "/bin/true"], "'loud' is invalid for '-X"),
      (["-c", "-S", "bogus", "--", "/bin/true"], "'bogus' is invalid for '-S"),
      (["-s", "2000000000", "--", "/bin/true"], "invalid -s argument"),
      (["-p", "x"], "not a process id: 'x'"),
      (["-D", "--", "/bin/true"], "-D is not needed"),
      // why
      (["why"], "why needs a pid (or --all)"),
      (["why", "abc"], "invalid pid 'abc'"),
      (["why", "--bogus", pid], "Unknown option '--bogus'"),
      // inject-close, both spellings
      (["--inject-close", pid, "one"], "invalid fd 'one'"),
      (["inject-close", pid], "no fd given"),
      (["--inject-close", "1x", "1"], "invalid pid '1x'"),
      // report
      (["report"], "no trace file given"),
      (["report", "--format", "pdf", "/dev/null"], "'pdf' is invalid for '--format"),
      (["report", "--min-block", "soon", "/dev/null"], "--min-block soon"),
      // run
      (["run"], "nothing to run"),
      (["run", "--on-leak=maybe", "--", "/bin/true"], "'maybe' is invalid for '--on-leak"),
      (["run", "--timeout", "0", "--", "/bin/true"], "--timeout takes"),
      (["run", "-c", "true", "--", "/bin/true"], "not both"),
      // demo
      (["demo", "--after", "0"], "--after takes seconds above 0"),
      (["demo", "extra"], "Unexpected argument 'extra'"),
    ]
    for (args, text) in cases {
      let r = try CLI.run(args)
      XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
      XCTAssertEqual(r.stderr.split(separator: "\n", omittingEmptySubsequences: false).count, 2, "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.hasPrefix("pipetrace: ") && r.stderr.contains(text), "\(args): \(r.stderr)")
      XCTAssertEqual(r.stdout, "", "\(args)")
    }
    // Nothing was done to the target.
    XCTAssertEqual(procStatusField(sleeper.pid, "TracerPid"), "0")
    XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper.pid)/fd/1"))
  }

  /// Answers keep their own statuses: a process that does not exist is `why`'s 1 (no answer), an fd
  /// that is not open inject-close's 1, a command that cannot be found 127.
  func testAnswersAreNotUsageErrors() throws {
    XCTAssertEqual(try CLI.run(["why", "99999999"]).status, 1)
    let sleeper = try BackgroundProcess("/bin/sleep", ["300"])
    defer { sleeper.stop() }
    XCTAssertEqual(try CLI.run(["--inject-close", String(sleeper.pid), "9"]).status, 1)
    XCTAssertEqual(try CLI.run(["--", "/nonexistent/cmd"]).status, 127)
    XCTAssertEqual(try CLI.run(["run", "--", "/nonexistent/cmd"]).status, 127)
  }
}
