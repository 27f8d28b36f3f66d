import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// An account of a hang before its runner kills it: `run --timeout` records what every task of the
/// tree was blocked in and why's verdicts before the kill; the trace does the same with --autopsy
/// when a signal ends it.
final class AutopsyTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// The seed's Python under `run --timeout`: the sleeper it leaked holds the pipes Python polls.
  func seedScript(pidFile: String) throws -> [String] {
    try procs.write("seed.sh", "#!/bin/sh\nsleep 300 &\necho $! > \(pidFile)\necho start ok\n", executable: true)
    return ["python3", "-c",
            "import subprocess; subprocess.run('./seed.sh', shell=True, capture_output=True)"]
  }

  /// The seed under `run [OPTIONS] --timeout 3`, timed out.
  func runSeed(_ options: [String], pidFile: String) throws -> ProgramResult {
    let command = try seedScript(pidFile: pidFile)
    let r = try runProgram(CLI.binary, ["run"] + options + ["--timeout", "3", "--"] + [TestProcesses.python] + command.dropFirst(),
                           timeout: 60, directory: procs.directory.path)
    XCTAssertEqual(r.status, 124, r.stderr)
    return r
  }

  /// The seed under `run --json [OPTIONS] --timeout 3`: its autopsy, the tasks in it and Python's.
  func runSeedJSON(_ options: [String], pidFile: String) throws -> (autopsy: [String: Any], tasks: [[String: Any]], python: [String: Any]) {
    let r = try runSeed(["--json"] + options, pidFile: pidFile)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    let autopsy = try XCTUnwrap(object["autopsy"] as? [String: Any], "\(object.keys)")
    let tasks = try XCTUnwrap(autopsy["tasks"] as? [[String: Any]])
    let python = try XCTUnwrap(tasks.first { ($0["comm"] as? String)?.hasPrefix("python") == true }, "\(tasks)")
    return (autopsy, tasks, python)
  }

  func testRunTimeoutRecordsWhatTheTreeWasBlockedInBeforeTheKill() throws {
    let (autopsy, tasks, python) = try runSeedJSON([], pidFile: "sleeper.pid")
    let sleeper = try procs.pid(fromFile: "sleeper.pid")
    XCTAssertTrue((python["call"] as? String)?.contains("pipe:[") == true, "\(python)")
    XCTAssertTrue(tasks.contains { $0["pid"] as? Int == Int(sleeper) }, "\(tasks)")
    let blocked = try XCTUnwrap(autopsy["blocked"] as? [String: Any])
    let entries = try XCTUnwrap(blocked["entries"] as? [[String: Any]])
    let seed = try XCTUnwrap(entries.first { $0["pid"] as? Int == python["pid"] as? Int }, "\(entries)")
    XCTAssertEqual(seed["category"] as? String, "leak")
    let fix = (seed["diagnosis"] as? [String: Any])?["fix"] as? String ?? ""
    XCTAssertTrue(fix.contains("--inject-close \(sleeper) "), fix)
    // The kill came after the account: the sleeper is gone now.
    try waitUntil("the sleeper killed") { !isAlive(sleeper) }
    // Without --json the same account is on stderr, each line marked.
    let text = try runSeed([], pidFile: "sleeper2.pid")
    let lines = text.stderr.split(separator: "\n").filter { $0.hasPrefix("pipetrace: autopsy: ") }
    XCTAssertTrue(lines.contains { $0.contains("[leak, blocked ") }, text.stderr)
    XCTAssertTrue(lines.contains { $0.contains("Fix: ") }, text.stderr)
  }

  /// The frames of the thread `tid` in an autopsy's `stacks`, as "module(symbol)" strings.
  func frames(of tid: Int, in autopsy: [String: Any]) throws -> [String] {
    let stacks = try XCTUnwrap(autopsy["stacks"] as? [[String: Any]], "no stacks in \(autopsy.keys)")
    let stack = try XCTUnwrap(stacks.first { $0["tid"] as? Int == tid }, "no stack of \(tid) in \(stacks)")
    let frames = try XCTUnwrap(stack["frames"] as? [[String: Any]], "\(stack)")
    return frames.map { "\($0["module"] as? String ?? "?")(\($0["symbol"] as? String ?? ""))" }
  }

  /// Python's poll, as `why --stack` shows it: libc's poll under the select module's poll method.
  func isPythonPoll(_ frames: [String]) -> Bool {
    frames.contains { $0.contains("libc") && $0.contains("poll)") } && frames.contains { $0.contains("select_poll_poll") }
  }

  func testRunTimeoutWithStackRecordsTheBlockedThreadsStacksThenKillsTheTree() throws {
    let (autopsy, _, python) = try runSeedJSON(["--stack"], pidFile: "sleeper.pid")
    let sleeper = try procs.pid(fromFile: "sleeper.pid")
    let pythonPid = try XCTUnwrap(python["pid"] as? Int)
    let pythonFrames = try frames(of: pythonPid, in: autopsy)
    XCTAssertTrue(isPythonPoll(pythonFrames), "\(pythonFrames)")
    XCTAssertTrue(try frames(of: Int(sleeper), in: autopsy).contains { $0.contains("nanosleep") })
    // Unwound, let go, then killed with the rest of the tree: nothing is left.
    try waitUntil("the tree killed") { !isAlive(sleeper) && !isAlive(Int32(pythonPid)) }
    // Without --json the stacks are on stderr, in the autopsy's lines.
    let text = try runSeed(["--stack"], pidFile: "sleeper2.pid")
    let sleeper2 = try procs.pid(fromFile: "sleeper2.pid")
    let lines = text.stderr.split(separator: "\n").filter { $0.hasPrefix("pipetrace: autopsy: ") }
    XCTAssertTrue(lines.contains { $0.contains("Stack of \(sleeper2)") }, text.stderr)
    XCTAssertTrue(lines.contains { $0.contains("libc") && $0.contains("poll+0x") }, text.stderr)
    try waitUntil("the second tree killed") { !isAlive(sleeper2) }
    // Without --stack no thread is stopped and there is no `stacks` key (it costs: opt-in).
    let plain = try runProgram(CLI.binary, ["run", "--json", "--timeout", "1", "--", "sleep", "30"], timeout: 60)
    let plainObject = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any], plain.stdout)
    XCTAssertNil((plainObject["autopsy"] as? [String: Any])?["stacks"], plain.stdout)
  }

  /// The seed traced (`pipetrace OPTIONS -o trace.txt -- python3 …`) until Python is blocked on the
  /// leaked pipes and the sleeper asleep, then SIGTERM to pipetrace: the trace, its autopsy lines,
  /// and the two pids.
  func traceSeedUntilSignal(_ options: [String]) throws -> (text: String, notes: [Substring], python: Int32, sleeper: Int32) {
    let command = try seedScript(pidFile: "sleeper.pid")
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let p = try BackgroundProcess(CLI.binary, options + ["-o", trace, "--"] + [TestProcesses.python] + command.dropFirst(),
                                  directory: procs.directory.path)
    defer { p.stop() }
    let sleeper = try procs.pid(fromFile: "sleeper.pid")
    // Both asleep before the signal: a task caught at one of pipetrace's own stops (the sleeper
    // still in its execve) is "held at pipetrace's stop", not in clock_nanosleep.
    var python: Int32 = 0
    try waitUntil("python blocked on the leaked pipes, the sleeper asleep", timeout: 30) {
      python = childrenOf(p.pid).first { blockedSyscall($0).map { [7, 219, 0].contains($0) } ?? false } ?? 0
      return python != 0 && blockedSyscall(sleeper) == 230
    }
    kill(p.pid, SIGTERM)
    _ = try p.wait(timeout: 30)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    let notes = text.split(separator: "\n").filter { $0.contains("pipetrace: autopsy: ") }
    XCTAssertTrue(notes.contains { $0.contains("python") && $0.contains("[leak, blocked ") }, text)
    return (text, notes, python, sleeper)
  }

  func testTraceWithAutopsyStackNotesTheBlockedThreadsStacksWhenASignalEndsIt() throws {
    let (text, notes, python, sleeper) = try traceSeedUntilSignal(["--autopsy-stack"])
    let start = try XCTUnwrap(notes.firstIndex { $0.contains("Stack of \(python):") }, text)
    let pythonFrames = notes[notes.index(after: start)...].prefix { $0.contains(" > ") }.map(String.init)
    XCTAssertTrue(pythonFrames.contains { $0.contains("libc") && $0.contains("poll+0x") }, text)
    XCTAssertTrue(pythonFrames.contains { $0.contains("select_poll_poll") }, text)
    XCTAssertTrue(notes.contains { $0.contains("Stack of \(sleeper):") }, text)
    // The signal then ended the command as without the stacks, and what it left was killed.
    try waitUntil("nothing left") { !isAlive(sleeper) && !isAlive(python) }
  }

  /// Attached, the signal lets the targets go: the stacks taken at it must leave them exactly as
  /// they were, still waiting in the same call, untraced, and finishing normally once the leak ends.
  func testAutopsyStackLeavesAnAttachedTargetWaitingAsBefore() throws {
    let command = try seedScript(pidFile: "sleeper.pid")
    let python = try procs.launch(command)
    let sleeper = try procs.pid(fromFile: "sleeper.pid")
    try waitUntil("python blocked on the leaked pipes", timeout: 30) { blockedSyscall(python.pid).map { [7, 0].contains($0) } ?? false }
    let trace = procs.directory.appendingPathComponent("trace.txt").path
    let switches = { Int(procStatusField(python.pid, "voluntary_ctxt_switches") ?? "") ?? 0 }
    let asleep = switches()
    let p = try BackgroundProcess(CLI.binary, ["--autopsy-stack", "-o", trace, "-p", String(python.pid)], directory: procs.directory.path)
    defer { p.stop() }
    // Attached and let go from the attach stop (a task still at it is "tracing stop", in no call),
    // back in its call. TracerPid and "S" alone also hold in the poll it slept in before pipetrace's
    // interrupt reached it: a SIGTERM then found it running, in no call, and the trace was empty.
    // Stopping for the interrupt is a switch of its own, so one more switch says it came.
    try waitUntil("attached", timeout: 30) {
      procStatusField(python.pid, "TracerPid") == String(p.pid) && switches() > asleep
        && [7, 219].contains(blockedSyscall(python.pid) ?? -1)
    }
    kill(p.pid, SIGTERM)
    XCTAssertEqual(try p.wait(timeout: 30), 0)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    let notes = text.split(separator: "\n").filter { $0.contains("pipetrace: autopsy: ") }
    let start = try XCTUnwrap(notes.firstIndex { $0.contains("Stack of \(python.pid):") }, text)
    let frames = notes[notes.index(after: start)...].prefix { $0.contains(" > ") }
    XCTAssertTrue(frames.contains { $0.contains("libc") && $0.contains("poll+0x") }, text)
    // Let go as it was: untraced, alive, back in its poll (continued as restart_syscall).
    XCTAssertEqual(procStatusField(python.pid, "TracerPid"), "0")
    try waitUntil("python waiting in its poll again") { [7, 219].contains(blockedSyscall(python.pid) ?? -1) || !python.isRunning }
    XCTAssertTrue(python.isRunning)
    // The leak ends: its communicate() gets EOF and the script ends normally.
    kill(sleeper, SIGKILL)
    XCTAssertEqual(try python.wait(timeout: 30), 0)
  }

  func testTraceWithAutopsyNotesTheHangWhenASignalEndsIt() throws {
    let (text, notes, _, sleeper) = try traceSeedUntilSignal(["--autopsy"])
    XCTAssertTrue(notes.contains { $0.contains("\(sleeper) sleep [S]: in clock_nanosleep") }, text)
    // Without --autopsy the same signal leaves no account.
    let again = try seedScript(pidFile: "sleeper2.pid")
    let plain = procs.directory.appendingPathComponent("plain.txt").path
    let q = try BackgroundProcess(CLI.binary, ["-o", plain, "--"] + [TestProcesses.python] + again.dropFirst(),
                                  directory: procs.directory.path)
    defer { q.stop() }
    _ = try procs.pid(fromFile: "sleeper2.pid")
    try waitUntil("python blocked again", timeout: 30) {
      childrenOf(q.pid).contains { blockedSyscall($0).map { [7, 219, 0].contains($0) } ?? false }
    }
    kill(q.pid, SIGTERM)
    _ = try q.wait(timeout: 30)
    XCTAssertFalse(try String(contentsOfFile: plain, encoding: .utf8).contains("autopsy"))
  }
}
