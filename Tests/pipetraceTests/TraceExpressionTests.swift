import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// strace's `-e trace=` syntax and its decoding options (-x, -X, -v) through the CLI.
final class TraceExpressionTests: XCTestCase {
  /// The syscall names of a text trace, in order.
  func names(_ args: [String], command: [String] = ["/bin/cat", "/dev/null"]) throws -> [String] {
    let log = temporaryFile("expr.log")
    defer { unlink(log) }
    let r = try CLI.run(["-o", log] + args + ["--"] + command)
    XCTAssertEqual(r.status, 0, r.stderr)
    return try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line in
      let body = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).last ?? ""
      guard let paren = body.firstIndex(of: "("), !body.hasPrefix("+++"), !body.hasPrefix("---") else { return nil }
      return String(body[..<paren])
    }
  }

  func testClassesNegationRegexAndShorthand() throws {
    let desc = Set(try names(["-e", "trace=%desc"]))
    XCTAssertTrue(desc.isSuperset(of: ["openat", "read", "close"]), "\(desc)")
    XCTAssertFalse(desc.contains("execve") || desc.contains("mmap") && !desc.contains("read"), "\(desc)")
    let file = Set(try names(["-e", "trace=%file"]))
    XCTAssertTrue(file.contains("execve") && file.contains("openat") && !file.contains("read"), "\(file)")
    XCTAssertEqual(Set(try names(["-e", "read"])), ["read"])
    XCTAssertEqual(Set(try names(["--trace", "/^(read|close)$"])), ["read", "close"])
    let notRead = Set(try names(["-e", "trace=!read,close"]))
    XCTAssertTrue(notRead.contains("openat") && !notRead.contains("read") && !notRead.contains("close"), "\(notRead)")
    XCTAssertTrue(try names(["-e", "trace=none"]).isEmpty)
    XCTAssertEqual(Set(try names(["-e", "trace=?no_such_call,close"])), ["close"])
    // The last -e trace= counts, as in strace.
    XCTAssertEqual(Set(try names(["-e", "trace=read", "-e", "trace=close"])), ["close"])
  }

  func testBadExpressionsAreOneLineErrors() throws {
    for (expr, message) in [("trace=read,bogus_call", "unknown syscall name 'bogus_call'"), ("trace=/(", "unknown syscall name '/('"),
                            ("trace=%nonsense", "unknown syscall name '%nonsense'"), ("trace=read@99", "unknown ABI '@99'")] {
      let r = try CLI.run(["-e", expr, "--", "/bin/true"])
      XCTAssertEqual(r.status, 64, expr)  // a usage error
      XCTAssertTrue(r.stderr.contains(message), "\(expr): \(r.stderr)")
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }
  }

  func testXlatStylesAndHexStrings() throws {
    let log = temporaryFile("x.log")
    defer { unlink(log) }
    for (flags, expected) in [
      ([String](), #"openat(AT_FDCWD, "/dev/null", O_RDONLY) ="#),
      (["-X", "raw"], #"openat(-100, "/dev/null", 0) ="#),
      (["-X", "verbose"], #"openat(-100 /* AT_FDCWD */, "/dev/null", 0 /* O_RDONLY */) ="#),
      (["-xx"], #"openat(AT_FDCWD, "\x2f\x64\x65\x76\x2f\x6e\x75\x6c\x6c", O_RDONLY) ="#),
    ] {
      let r = try CLI.run(["-o", log, "-e", "trace=openat"] + flags + ["--", "/bin/cat", "/dev/null"])
      XCTAssertEqual(r.status, 0, r.stderr)
      let text = try String(contentsOfFile: log, encoding: .utf8)
      XCTAssertTrue(text.contains(expected), "\(flags): \(text)")
    }
    let bad = try CLI.run(["-X", "loud", "--", "/bin/true"])
    XCTAssertEqual(bad.status, 64)
    XCTAssertTrue(bad.stderr.contains("The value 'loud' is invalid for '-X <style>'. Please provide one of 'raw', 'abbrev' or 'verbose'."), bad.stderr)
  }

  /// -v prints a wait4's rusage in full (abbreviated: the two times and `...`).
  func testVerboseStructures() throws {
    let log = temporaryFile("v.log")
    defer { unlink(log) }
    let command = ["/usr/bin/python3", "-c", "import os\npid = os.fork()\nif pid == 0: os._exit(3)\nos.wait4(pid, 0)"]
    guard FileManager.default.isExecutableFile(atPath: command[0]) else { throw XCTSkip("no python3") }
    for (flags, expected) in [([String](), ", ...}) = "), (["-v"], "ru_nivcsw=")] {
      let r = try CLI.run(["-o", log, "-e", "trace=wait4"] + flags + ["--"] + command)
      XCTAssertEqual(r.status, 0, r.stderr)
      let text = try String(contentsOfFile: log, encoding: .utf8)
      XCTAssertTrue(text.contains("[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, {ru_utime={tv_sec="), text)
      XCTAssertTrue(text.contains(expected), "\(flags): \(text)")
    }
  }
}
