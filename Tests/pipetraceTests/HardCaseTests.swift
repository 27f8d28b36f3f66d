import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The ptrace corner cases every tracer gets wrong once.
final class HardCaseTests: XCTestCase {
  func trace(_ args: [String], extra: [String] = []) throws -> (ProgramResult, [[String: Any]]) {
    let file = temporaryFile("hard.json")
    defer { unlink(file) }
    let r = try CLI.run(["--json", "-o", file] + extra + ["--"] + args)
    return (r, try JSONLines.read(file))
  }

  func testExecFromNonLeaderThread() throws {
    let program = try compileFixture("hard_cases")
    let (r, events) = try trace([program, "exec-mt"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout, "exec from thread\n")
    let start = try XCTUnwrap(events.first { $0["event"] as? String == "exec" }?["pid"] as? Int)
    let echo = try XCTUnwrap(events.first { $0["event"] as? String == "exec" && ($0["path"] as? String) == "/bin/echo" })
    // The new image runs under the leader's pid, whatever thread called execve.
    XCTAssertEqual(echo["pid"] as? Int, start)
    XCTAssertEqual(echo["tid"] as? Int, start)
    let write = try XCTUnwrap(events.first { $0["name"] as? String == "write" && ($0["args"] as? [Any])?.count == 3 && $0["pid"] as? Int == start && $0["ret"] as? Int == 17 })
    XCTAssertEqual(write["tid"] as? Int, start)
    let exits = events.filter { $0["event"] as? String == "exit" && $0["tid"] as? Int == start }
    XCTAssertEqual(exits.last?["code"] as? Int, 0)
  }

  func testCloneFilesSharedTableKeepsFdTargetsRight() throws {
    let program = try compileFixture("hard_cases")
    let (r, events) = try trace([program, "clone-files"], extra: ["-e", "trace=write"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let writes = events.filter { $0["name"] as? String == "write" && ($0["args"] as? [Any])?.first as? Int == 5 }
    XCTAssertEqual(writes.count, 2)
    let kinds = writes.map { (($0["fds"] as? [[String: Any]])?.first?["path"] as? String) ?? "?" }
    XCTAssertTrue(kinds[0].hasPrefix("pipe:["), "\(kinds)")
    // The child changed fd 5 in the table both share: the second write goes to /dev/null.
    XCTAssertEqual(kinds[1], "/dev/null", "\(kinds)")
  }

  func testForkStormEveryExitAccountedFor() throws {
    let program = try compileFixture("hard_cases")
    let (r, events) = try trace([program, "fork-storm"], extra: ["-e", "trace=wait4"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(r.stdout, "reaped 300\n")
    let children = events.filter { $0["event"] as? String == "fork" }.compactMap { $0["child"] as? Int }
    XCTAssertEqual(children.count, 300)
    let exits = Dictionary(events.filter { $0["event"] as? String == "exit" }.map { ($0["tid"] as? Int ?? -1, $0["code"] as? Int ?? -1) }, uniquingKeysWith: { a, _ in a })
    for (i, child) in children.enumerated() {
      XCTAssertEqual(exits[child], i % 256, "child \(i) (\(child))")
    }
    XCTAssertEqual(events.filter { $0["name"] as? String == "wait4" && ($0["ret"] as? Int ?? 0) > 0 }.count, 300)
  }

  func testThreadStormEveryThreadAccountedFor() throws {
    let program = try compileFixture("hard_cases")
    let (r, events) = try trace([program, "thread-storm"], extra: ["-e", "trace=exit_group"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let threads = Set(events.filter { $0["event"] as? String == "fork" && $0["kind"] as? String == "thread" }.compactMap { $0["child"] as? Int })
    XCTAssertEqual(threads.count, 200)
    let exited = Set(events.filter { $0["event"] as? String == "exit" }.compactMap { $0["tid"] as? Int })
    XCTAssertTrue(threads.isSubset(of: exited), "\(threads.subtracting(exited).count) threads without an exit")
  }

  func testTraceeKilledMidSyscall() throws {
    let program = try compileFixture("hard_cases")
    let file = temporaryFile("killed.txt")
    defer { unlink(file) }
    // The fixture blocks reading a pipe nobody writes to; find it and SIGKILL it.
    let p = try BackgroundProcess(CLI.binary, ["-o", file, "--", "/bin/sh", "-c", "sleep 300 | \(program) block-read"])
    defer { p.stop() }
    var reader: Int32 = 0
    XCTAssertTrue(eventually {
      let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
      guard let line = text.split(separator: "\n").last(where: { $0.contains(" read(0<pipe:[") && $0.contains("<unfinished ...>") }) else { return false }
      reader = Int32(line.split(separator: " ").first!) ?? 0
      return reader > 0
    })
    guard reader > 0 else { return XCTFail("the blocked read never showed") }
    kill(reader, SIGKILL)
    // The sleeper keeps the pipeline alive: end it too (it is ours: the shell's other child).
    XCTAssertTrue(eventually {
      ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n")
        .contains { $0.hasPrefix("\(reader) ") && $0.hasSuffix("+++ killed by SIGKILL +++") }
    })
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("\(reader) ") }
    XCTAssertTrue(lines.contains { $0.contains("<... read resumed>") && $0.hasSuffix("= ?") }, lines.joined(separator: "\n"))
    XCTAssertTrue(lines.last?.hasSuffix("+++ killed by SIGKILL +++") == true)
    for line in text.split(separator: "\n") where line.contains("exec") && line.contains("sleep") {
      if let pid = Int32(line.split(separator: " ").first!), pid > 0 { kill(pid, SIGKILL) }
    }
    try p.wait()
    XCTAssertEqual(p.child.exitCode, 137)
  }

  func testGroupStopAndContinueOfATracedJob() throws {
    let file = temporaryFile("stop.json")
    defer { unlink(file) }
    let (p, sleeper) = try CLI.launchTracedSleep(1, trace: file)
    defer { p.stop() }
    kill(sleeper, SIGSTOP)
    // Job control still works under the tracer: the job stays stopped (a tracee in a group-stop
    // held with PTRACE_LISTEN shows as "t") until SIGCONT, instead of being resumed by the tracer.
    // The SIGSTOP is seen (signal-delivery stop, passed on), then the job enters its group-stop; in
    // between it runs for an instant, so wait for the stop to hold over consecutive looks.
    XCTAssertTrue(eventually { ((try? JSONLines.read(file)) ?? []).contains { $0["sig"] as? String == "SIGSTOP" } })
    var stoppedLooks = 0
    XCTAssertTrue(eventually {
      stoppedLooks = procStatusField(sleeper, "State")?.lowercased().hasPrefix("t") == true ? stoppedLooks + 1 : 0
      return stoppedLooks >= 5
    }, procStatusField(sleeper, "State") ?? "")
    for _ in 0..<20 {
      XCTAssertEqual(procStatusField(sleeper, "State")?.lowercased().first, "t")
      usleep(10_000)
    }
    kill(sleeper, SIGCONT)
    try p.wait()
    XCTAssertEqual(p.child.exitCode, 0)
    let signals = try JSONLines.read(file).filter { $0["event"] as? String == "signal" }.compactMap { $0["sig"] as? String }
    XCTAssertEqual(signals, ["SIGSTOP", "SIGCONT"])
  }
}

extension HardCaseTests {
  /// A pid that exits and is handed to a new process during the trace: two lives, not one.
  /// Inside a new pid namespace (pipetrace's own), so nothing outside the test is touched.
  func testPidReuseIsTwoProcesses() throws {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
      throw XCTSkip("needs root and unshare for a private pid namespace")
    }
    let program = try compileFixture("hard_cases")
    let file = temporaryFile("reuse.json")
    defer { unlink(file) }
    let r = try runProgram("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", CLI.binary, "--json", "-o", file, "--", program, "pid-reuse"])
    if r.status != 0 && r.stderr.contains("unshare") { throw XCTSkip("no pid namespaces here: \(r.stderr)") }
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    let pids = r.stdout.split(separator: " ").compactMap { Int(String($0).trimmingCharacters(in: .whitespacesAndNewlines)) }
    XCTAssertEqual(pids.count, 2)
    XCTAssertEqual(pids.first, pids.last, "the kernel gave the second child the first one's pid")
    let reused = try XCTUnwrap(pids.first)
    let lives = try JSONLines.read(file).filter {
      ($0["event"] as? String == "fork" && $0["child"] as? Int == reused) || ($0["event"] as? String == "exit" && $0["tid"] as? Int == reused)
    }.map { ($0["event"] as? String ?? "", $0["code"] as? Int) }
    // Two births and two deaths of the same pid; the deaths in order (the second birth follows
    // the first death, though a fork event may be taken after its quick child's exit).
    XCTAssertEqual(lives.filter { $0.0 == "fork" }.count, 2)
    XCTAssertEqual(lives.filter { $0.0 == "exit" }.compactMap(\.1), [7, 9])
  }
}
