import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace run` in scripts and CI: `-q` keeps stderr quiet on success, `--json` keeps every byte
/// of the output, and the `[close with: ...]` hint is a command that checks what it closes.
final class RunScriptingTests: XCTestCase {
  /// The pid in `held by pid N` of a log line (0 when none).
  func holder(_ log: String) -> Int32 {
    log.range(of: #"held by pid (\d+)"#, options: .regularExpression).map { Int32(log[$0].split(separator: " ").last!) ?? 0 } ?? 0
  }

  func reap(_ pid: Int32) {
    guard pid > 0 else { return }
    kill(pid, SIGKILL)
    _ = eventually { !isAlive(pid) }
  }

  func testQuietPrintsNoLogLineWhenTheCommandSucceedsAndNothingLeaked() throws {
    let ok = try CLI.run(["run", "-q", "--", "/bin/sh", "-c", "echo out; echo err >&2"])
    XCTAssertEqual(ok.status, 0)
    XCTAssertEqual(ok.stdout, "out\n")
    XCTAssertEqual(ok.stderr, "err\n")

    // A failure still has its log line.
    let failed = try CLI.run(["run", "-q", "-c", "echo out; exit 3"])
    XCTAssertEqual(failed.status, 3)
    XCTAssertTrue(failed.stderr.hasPrefix("sh(3, "), failed.stderr)

    // So does a leak, with its holder.
    let leaked = try CLI.run(["run", "-q", "--grace", "0.2", "-c", "sleep 300 & echo start ok"])
    let pid = holder(leaked.stderr)
    defer { reap(pid) }
    XCTAssertEqual(leaked.status, 0)
    XCTAssertGreaterThan(pid, 0, leaked.stderr)
    XCTAssertTrue(leaked.stderr.contains("[leaked pipe held by pid \(pid) (sleep) fd 1,2]"), leaked.stderr)
  }

  /// Output that is not UTF-8 is `{"hex":...}` as in the trace's JSON (README "JSON lines"), not
  /// U+FFFD; valid UTF-8 stays a string. With --keep, the head and the tail each keep their bytes.
  func testJSONKeepsBytesThatAreNotUTF8() throws {
    let r = try CLI.run(["run", "--json", "-c", #"printf '\377\200ab'; printf 'caf\303\251' >&2"#])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains(#""stdout":{"hex":"ff806162"},"stdout_bytes":4,"stdout_omitted":0"#), r.stdout)
    XCTAssertTrue(r.stdout.contains(#""stderr":"café","stderr_bytes":5"#), r.stdout)
    XCTAssertFalse(r.stdout.contains("\u{FFFD}"), r.stdout)

    let cut = try CLI.run(["run", "--json", "--keep", "4", "-c", #"printf '\377\376xxxxxxxx\375\374'"#])
    XCTAssertEqual(cut.status, 0, cut.stderr)
    XCTAssertTrue(cut.stdout.contains(#""stdout":{"hex":"fffe"},"stdout_bytes":12,"stdout_omitted":8,"stdout_tail":{"hex":"fdfc"}"#), cut.stdout)
  }

  /// The hint names each pipe with --expect, as `why`'s Fix does, and works when pasted.
  func testCloseHintCarriesExpectAndWorksWhenPasted() throws {
    let r = try CLI.run(["run", "--grace", "0.2", "-c", "sleep 300 & echo start ok"], environment: ["PATH": "/usr/bin:/bin"])
    let pid = holder(r.stderr)
    defer { reap(pid) }
    XCTAssertGreaterThan(pid, 0, r.stderr)
    // The last bracket of the log line.
    let start = try XCTUnwrap(r.stderr.range(of: " [close with: "), r.stderr)
    let hint = String(r.stderr[start.upperBound...].trimmingCharacters(in: .newlines).dropLast())
    let b = CLI.binary
    XCTAssertNotNil(hint.range(of: "^\(NSRegularExpression.escapedPattern(for: b)) --inject-close \(pid) 1 --expect 'pipe:\\[\\d+\\]'; "
                                 + "\(NSRegularExpression.escapedPattern(for: b)) --inject-close \(pid) 2 --expect 'pipe:\\[\\d+\\]'$",
                               options: .regularExpression), hint)
    let pasted = try runProgram("/bin/sh", ["-c", hint])
    XCTAssertEqual(pasted.status, 0, pasted.stdout + pasted.stderr)
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/1"), "/dev/null")
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2"), "/dev/null")
  }
}
