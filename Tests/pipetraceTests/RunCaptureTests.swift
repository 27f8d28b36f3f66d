import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace run` keeps at most `--keep` bytes of each stream in memory (its first and last
/// halves): output of any size passes, whole when printed, cut and counted in `--json`.
final class RunCaptureTests: XCTestCase {
  /// `seq 1 N` as the command prints it.
  func seq(_ n: Int) -> String { (1...n).map(String.init).joined(separator: "\n") + "\n" }

  func testJSONKeepsHeadAndTailAndCountsWhatItLeftOut() throws {
    let r = try CLI.run(["run", "--json", "--keep", "64K", "--", "/usr/bin/seq", "100000"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    let expected = Array(seq(100_000).utf8)
    let head = try XCTUnwrap(obj["stdout"] as? String), tail = try XCTUnwrap(obj["stdout_tail"] as? String)
    XCTAssertEqual(obj["stdout_bytes"] as? Int, expected.count)
    XCTAssertEqual(obj["stdout_omitted"] as? Int, expected.count - 65536)
    XCTAssertEqual(Array(head.utf8), Array(expected.prefix(32768)))
    XCTAssertEqual(Array(tail.utf8), Array(expected.suffix(32768)))
    // A stream that fits is whole, with nothing omitted and no tail.
    XCTAssertEqual(obj["stderr"] as? String, "")
    XCTAssertEqual(obj["stderr_omitted"] as? Int, 0)
    XCTAssertNil(obj["stderr_tail"])
  }

  func testJSONCutNeverSplitsAUTF8Sequence() throws {
    // 'é' is two bytes. --keep 7: a 4-byte head ("aé" and half an 'é'), a 3-byte tail (half an
    // 'é', then one): the halves go to the omitted count, never into the text as U+FFFD.
    let r = try CLI.run(["run", "--json", "--keep", "7", "-c", "printf 'aééééééééé'"])
    let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    XCTAssertEqual(obj["stdout"] as? String, "aé")
    XCTAssertEqual(obj["stdout_tail"] as? String, "é")
    XCTAssertEqual(obj["stdout_bytes"] as? Int, 19)
    XCTAssertEqual(obj["stdout_omitted"] as? Int, 19 - 3 - 2)
  }

  func testPlainOutputLargerThanKeepIsPrintedWhole() throws {
    let r = try CLI.run(["run", "--keep", "64K", "-c", "seq 200000; seq 150000 >&2"])
    XCTAssertEqual(r.status, 0)
    XCTAssertEqual(r.stdout, seq(200_000))
    // stderr: the command's stream, then the log line, trimmed to --trim characters.
    let expectedErr = seq(150_000)
    XCTAssertTrue(r.stderr.hasPrefix(expectedErr))
    let log = r.stderr.dropFirst(expectedErr.count)
    XCTAssertTrue(log.hasPrefix("sh(0, "), String(log))
    XCTAssertTrue(log.contains(" <OUT>1⏎2⏎3⏎"), String(log))
    XCTAssertEqual(log.split(separator: "\n").count, 1)
  }

  func testTrimShowsTheStartOfEachStream() throws {
    let r = try CLI.run(["run", "--trim", "5", "-c", "seq 100000; echo problem >&2"])
    XCTAssertTrue(r.stderr.hasSuffix("<OUT>1⏎2⏎3… <ERR>probl…\n"), r.stderr)
    let whole = try CLI.run(["run", "--trim", "5", "-c", "echo 1234"])
    XCTAssertTrue(whole.stderr.hasSuffix("<OUT>1234 <ERR>\n"), whole.stderr)
  }

  /// Peak resident memory (KB) of `pipetrace ARGS` as /usr/bin/time measures it; output discarded.
  func peakKB(_ args: [String], environment: [String: String]? = nil) throws -> Int {
    let report = temporaryFile("time")
    defer { unlink(report) }
    let r = try runProgram("/usr/bin/time", ["-f", "%M", "-o", report, CLI.binary] + args, timeout: 120,
                           environment: environment, stdoutPath: "/dev/null", stderrPath: "/dev/null")
    XCTAssertEqual(r.status, 0, "pipetrace \(args)")
    let text = try String(contentsOfFile: report, encoding: .utf8)
    return try XCTUnwrap(Int(text.split(separator: "\n").last ?? ""), text)
  }

  func testMemoryStaysBoundedWhateverTheOutputSize() throws {
    if CLI.isAddressSanitized { throw XCTSkip("memory bounds do not hold under the address sanitizer") }
    // 256 MB of output (the unbounded capture took about 20 bytes of memory per byte of output);
    // with the default --keep of 8M per stream the bound is far below the output's size.
    let command = ["-c", "yes | head -c 268435456"]
    for mode in [[], ["--json"], ["--tee"]] {
      let kb = try peakKB(["run"] + mode + command)
      XCTAssertLessThan(kb, 128 * 1024, "run \(mode): peak \(kb) KB for 256 MB of output")
    }
  }

  func testASpillThatCannotBeWrittenIsReportedAndFails() throws {
    let out = temporaryFile("stdout")
    defer { unlink(out) }
    let r = try CLI.run(["run", "--keep", "64K", "--", "/usr/bin/seq", "100000"],
                        environment: ["TMPDIR": "/nonexistent-pipetrace-dir", "PATH": "/usr/bin:/bin"], stdoutPath: out)
    XCTAssertEqual(r.status, 1)
    let expected = Array(seq(100_000).utf8)
    let printed = Array(try Data(contentsOf: URL(fileURLWithPath: out)))
    XCTAssertEqual(printed, Array(expected.prefix(32768)) + Array(expected.suffix(32768)))
    XCTAssertTrue(r.stderr.hasPrefix("pipetrace: stdout: \(expected.count - 65536) bytes left out of the middle: cannot create a file in /nonexistent-pipetrace-dir: No such file or directory\n"), r.stderr)
  }
}
