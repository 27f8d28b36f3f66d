import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The built `pipetrace` binary driven as a subprocess on real hung processes.
final class CLITests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// A command line run by /bin/sh, as a user pastes it.
  func shell(_ line: String) throws -> ProgramResult { try runProgram("/bin/sh", ["-c", line]) }

  /// A non-zero exit with exactly one stderr line `pipetrace: …` containing `text`.
  func assertRefusal(_ args: [String], _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let r = try CLI.run(args)
    XCTAssertNotEqual(r.status, 0, "\(args)", file: file, line: line)
    let lines = r.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
    XCTAssertTrue(r.stderr.hasPrefix("pipetrace: ") && r.stderr.contains(text), r.stderr, file: file, line: line)
  }

  func testSeedWhyThenTheFixItPrintsUnblocksPython() throws {
    let (python, output, sleeper) = try procs.startSeedHang()

    let text = try CLI.run(["why", "\(python.pid)"])
    XCTAssertEqual(text.status, 0, text.stderr)
    XCTAssertTrue(text.stdout.contains("read(3<pipe:["), text.stdout)
    XCTAssertTrue(text.stdout.contains("\(sleeper) sleep fd 1 (write end"), text.stdout)
    XCTAssertTrue(text.stdout.contains("orphan"), text.stdout)
    // Not on PATH here: the fix names the binary that printed it, and quotes pipe:[N] for the shell.
    XCTAssertTrue(text.stdout.contains("Fix: \(CLI.binary) --inject-close \(sleeper) 1 2 --expect 'pipe:["), text.stdout)

    let json = try CLI.run(["why", "--json", "\(python.pid)"])
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["pid"] as? Int, Int(python.pid))
    let blocked = try XCTUnwrap(object["blocked"] as? [String: Any])
    XCTAssertEqual(blocked["syscall"] as? String, "read")
    XCTAssertEqual(blocked["fd"] as? Int, 3)
    let holders = try XCTUnwrap(object["holders"] as? [[String: Any]])
    XCTAssertEqual(holders.map { $0["pid"] as? Int }, [Int(sleeper), Int(sleeper)])
    XCTAssertEqual(Set(holders.compactMap { $0["relation"] as? String }), ["orphan"])
    XCTAssertEqual(Set(holders.compactMap { $0["end"] as? String }), ["write"])
    XCTAssertNotNil(object["verdict"] as? String)
    let fix = try XCTUnwrap(object["fix"] as? String)

    // Run the printed fix as the user would: pasted into a shell.
    let run = try shell(fix)
    XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
    XCTAssertTrue(run.stdout.contains("fd 1 replaced by /dev/null") && run.stdout.contains("fd 2 replaced by /dev/null"), run.stdout)
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper)/fd/1"), "/dev/null")
    XCTAssertEqual(try output.readToEOF(), "start ok\n")
    XCTAssertEqual(python.wait(), 0)
    try waitUntilBlocked(sleeper, in: [230, 219, 35])
  }

  func testShellSubstitutionFix() throws {
    let (sh, output, sleeper) = try procs.startShellSubstitutionHang()
    let json = try CLI.run(["why", "\(sh.pid)", "--json"])
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let fix = try XCTUnwrap(object["fix"] as? String)
    XCTAssertTrue(fix.hasPrefix("\(CLI.binary) --inject-close \(sleeper) 1 "), fix)
    let run = try shell(fix)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertEqual(try output.readToEOF(), "got start ok\n")
    XCTAssertEqual(sh.wait(), 0)
  }

  func testNotBlockedJSON() throws {
    let busy = try procs.launch(["python3", "-c", "while True: pass"])
    try waitUntil("running") { (try? String(contentsOfFile: "/proc/\(busy.pid)/syscall", encoding: .utf8))?.hasPrefix("running") ?? false }
    let r = try CLI.run(["why", "--json", "\(busy.pid)"])
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    XCTAssertTrue(object["blocked"] is NSNull)
    XCTAssertTrue(object["fix"] is NSNull)
    XCTAssertTrue((object["verdict"] as? String)?.contains("not blocked") ?? false)
  }

  func testDryRunAndExpect() throws {
    let out = TestPipe()
    let sleeper = try procs.launch(["/bin/sleep", "300"], stdout: out.writeEnd)
    out.closeWrite()
    try waitUntilBlocked(sleeper.pid, in: [230, 35])
    let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper.pid)/fd/1")
    let dry = try CLI.run(["--inject-close", "\(sleeper.pid)", "1", "--dry-run"])
    XCTAssertEqual(dry.status, 0, dry.stderr)
    XCTAssertTrue(dry.stdout.contains("fd 1 -> \(link) (write end)"), dry.stdout)
    XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper.pid)/fd/1"))
    try assertRefusal(["--inject-close", "\(sleeper.pid)", "1", "--expect", "pipe:[1]"], "not pipe:[1]")
    XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper.pid)/fd/1"))
    try assertRefusal(["--inject-close", "\(sleeper.pid)", "9"], "fd 9 is not open")
    try assertRefusal(["--inject-close", "\(sleeper.pid)", "-1"], "-1")
    let r = try CLI.run(["--inject-close", "\(sleeper.pid)", "1", "--expect", link])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("fd 1 replaced by /dev/null"), r.stdout)
    XCTAssertEqual(try out.readToEOF(), "")
    try waitUntilBlocked(sleeper.pid, in: [230, 219, 35])
  }

  func testBadInputsAreOneLine() throws {
    try assertRefusal(["why", "99999999"], "no such process: 99999999")
    try assertRefusal(["why", "0"], "invalid pid 0")
    try assertRefusal(["why", "abc"], "invalid pid 'abc'")
    try assertRefusal(["--inject-close", "99999999", "1"], "no such process")
    try assertRefusal(["--inject-close", "0", "1"], "invalid pid 0")
    try assertRefusal(["--inject-close", "1x", "1"], "invalid pid '1x'")
    if let stat = try? String(contentsOfFile: "/proc/2/stat", encoding: .utf8), stat.contains("(kthreadd)") {
      try assertRefusal(["why", "2"], "kernel thread")
      try assertRefusal(["--inject-close", "2", "1"], "kernel thread")
    }
    let maker = TestPipe()
    try procs.launch([
      "python3", "-c", "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\nos.close(1)\ntime.sleep(300)",
    ], stdout: maker.writeEnd)
    maker.closeWrite()
    let zombie = try XCTUnwrap(Int32(try maker.readToEOF().trimmingCharacters(in: .whitespacesAndNewlines)))
    try waitUntil("zombie") { !isAlive(zombie) && FileManager.default.fileExists(atPath: "/proc/\(zombie)") }
    try assertRefusal(["why", "\(zombie)"], "zombie")
    try assertRefusal(["--inject-close", "\(zombie)", "1"], "zombie")
  }
}
