import Foundation
import PipeTraceTestSupport
import XCTest

/// The stuck detector's notes belong to the process, whichever of its threads is blocked: a trace
/// whose blocked call is in a second thread must not make `report` list that thread as a process.
final class StuckNoteTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  func testANoteAboutASecondThreadIsTheProcesssNote() throws {
    try procs.write("leak.sh", "#!/bin/sh\nsleep 3 &\necho $! > sleeper.pid\necho hi\n", executable: true)
    let trace = procs.directory.appendingPathComponent("t.jsonl").path
    let r = try runProgram(CLI.binary, [
      "--json", "-o", trace, "--stuck-after", "1", "--", TestProcesses.python, "-c",
      "import subprocess, threading\n"
        + "t = threading.Thread(target=lambda: subprocess.run('./leak.sh', shell=True, capture_output=True))\n"
        + "t.start(); t.join()",
    ], timeout: 60, directory: procs.directory.path)
    _ = try? procs.pid(fromFile: "sleeper.pid")
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
    let events = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    let note = try XCTUnwrap(events.first { $0["event"] as? String == "note" && ($0["text"] as? String)?.contains("blocked for") == true },
                             "no stuck note in \(lines.count) lines")
    let threads = Set(events.filter { $0["event"] as? String == "fork" && $0["kind"] as? String == "thread" }.compactMap { $0["child"] as? Int })
    XCTAssertFalse(threads.isEmpty, "the blocked call ran in a second thread")
    let notePid = try XCTUnwrap(note["pid"] as? Int)
    XCTAssertFalse(threads.contains(notePid), "the note names thread \(notePid), not its process")
    // The report lists processes only.
    let report = try CLI.run(["report", "--format", "json", trace])
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], report.stderr)
    let pids = Set((object["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int })
    XCTAssertTrue(pids.isDisjoint(with: threads), "threads listed as processes: \(pids.intersection(threads))")
  }
}
