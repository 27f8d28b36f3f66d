import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// pipetrace SIGKILLed at a random moment of `--inject-close`: the target must be left with every fd
/// as it was or replaced as asked, nothing else (no temporary fd), running on untraced and unstopped,
/// its interrupted read returning exactly what was written to it (no register of ours left behind).
final class InjectionKillTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws {
    procs = try TestProcesses()
    signal(SIGPIPE, SIG_IGN)  // a target that died must fail the test, not end it
  }
  override func tearDown() { procs.cleanUp() }

  /// Every open fd of `pid` and its link text.
  func fdTable(_ pid: Int32) -> [Int32: String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    var table: [Int32: String] = [:]
    for name in names { if let fd = Int32(name) { table[fd] = fdLink(pid, fd) ?? "?" } }
    return table
  }

  func testSIGKILLAtAnyMomentLeavesEachFdAsItWasOrReplaced() throws {
    try killAtRandomMoments(program: compileFixture("fd_holder"), read: 0, label: "inject-close kills")
  }

  /// The same for a 32-bit target (int $0x80, i386 numbers: read is 3).
  func testSIGKILLAtAnyMomentLeavesEachFdOfAnI386TargetAsItWasOrReplaced() throws {
    try killAtRandomMoments(program: compileFixture("fd_holder", flags: ["-m32"]), read: 3, label: "i386 inject-close kills")
  }

  /// Every moment, not random ones: pipetrace killed at each of its ptrace calls in turn.
  func testSIGKILLAtEachPtraceCallLeavesEachFdAsItWasOrReplaced() throws {
    try killAtEachPtraceCall(program: compileFixture("fd_holder"), read: 0, label: "inject-close kills at each ptrace call")
  }

  func testSIGKILLAtEachPtraceCallLeavesEachFdOfAnI386TargetAsItWasOrReplaced() throws {
    try killAtEachPtraceCall(program: compileFixture("fd_holder", flags: ["-m32"]), read: 3,
                             label: "i386 inject-close kills at each ptrace call")
  }

  typealias Target = (target: Child, input: TestPipe, output: TestPipe)

  /// `program` (fd_holder) started on two pipes, once it sleeps in syscall `read`.
  func startTarget(_ program: String, read: Int) throws -> Target {
    let input = TestPipe(), output = TestPipe()
    let target = try procs.launch([program], stdin: input.readEnd, stdout: output.writeEnd)
    input.closeRead()
    output.closeWrite()
    try waitUntilBlocked(target.pid, in: [read])
    return (target, input, output)
  }

  /// The target reads on: a line written gives exactly that line back, then EOF ends it with 0.
  func assertReadsOn(_ t: Target, _ what: String) throws {
    t.input.write("ping\n")
    t.input.closeWrite()
    let text = try t.output.readToEOF(timeout: 10)
    XCTAssertEqual(text, "ready\ngot 5 ping\n", what)
    XCTAssertEqual(try t.target.wait(timeout: 10), 0, what)
  }

  /// What a killed pipetrace left: the target untraced, not stopped, back in its read with every fd
  /// as `before` or, for those `asked`, /dev/null (asserted, counted in `changed` when not), reading
  /// on exactly. Returns how many of `asked` were replaced; nil when the target is broken (said in
  /// `broken`).
  func leftAlone(_ t: Target, before: [Int32: String], asked: [Int32], read: Int, _ what: String,
                 changed: inout Int, broken: inout [String]) -> Int? {
    XCTAssertTrue(eventually(timeout: 5) { procStatusField(t.target.pid, "TracerPid") == "0" }, "still traced: \(what)")
    XCTAssertTrue(eventually(timeout: 5) {
      let state = procStatusField(t.target.pid, "State") ?? "gone"
      return !state.hasPrefix("T") && !state.hasPrefix("t")
    }, "left stopped: \(what)")
    // Left to itself it finishes what was begun: the fds are looked at once it waits in its read again.
    guard eventually(timeout: 5, { blockedSyscall(t.target.pid) == read }) else {
      broken.append("\(what): not back in its read (\(procStatusField(t.target.pid, "State") ?? "gone"))")
      return nil
    }
    let after = fdTable(t.target.pid)
    var bad: [String] = []
    for (fd, link) in after where before[fd] != link && !(asked.contains(fd) && link == "/dev/null") {
      bad.append("fd \(fd) -> \(link) (was \(before[fd] ?? "not open"))")
    }
    for fd in before.keys where after[fd] == nil { bad.append("fd \(fd) closed") }
    XCTAssertEqual(bad, [], what)
    if !bad.isEmpty { changed += 1 }
    t.input.write("ping\n")
    t.input.closeWrite()
    let text = (try? t.output.readToEOF(timeout: 10)) ?? "(no EOF)"
    if text != "ready\ngot 5 ping\n" {
      broken.append("\(what): read on wrongly: \(text.debugDescription)")
      return nil
    }
    return asked.filter { after[$0] == "/dev/null" }.count
  }

  /// Kills `--inject-close` of fds 5…24 of `program` (fd_holder, blocked in syscall `read`) at random
  /// moments of its run, PIPETRACE_INJECT_KILL_RUNS times (40 by default), and checks each target.
  func killAtRandomMoments(program: String, read: Int, label: String) throws {
    let asked = Array(Int32(5)...24)
    let runs = ProcessInfo.processInfo.environment["PIPETRACE_INJECT_KILL_RUNS"].flatMap { Int($0) } ?? 40
    var rng = TestRandom("\(label): moments")

    /// Waits (polling finely: the moment matters) until `tool` has seized the target or ended.
    func seized(_ target: Int32, by tool: BackgroundProcess) throws {
      try waitUntil("pipetrace to seize \(target)", timeout: 30) {
        procStatusField(target, "TracerPid") == String(tool.pid) || !tool.isRunning || { usleep(100); return false }()
      }
    }

    // How long the injection takes here, from the seize to pipetrace's end: the kills spread over it.
    let first = try startTarget(program, read: read)
    let firstTool = try BackgroundProcess(CLI.binary, ["--inject-close", "\(first.target.pid)"] + asked.map(String.init))
    try seized(first.target.pid, by: firstTool)
    let started = Date()
    XCTAssertEqual(try firstTool.wait(), 0)
    let window = Date().timeIntervalSince(started)
    XCTAssertTrue(asked.allSatisfy { fdLink(first.target.pid, $0) == "/dev/null" })
    try assertReadsOn(first, "uninterrupted run")

    var changed = 0, whole_ = 0, none = 0, partial = 0
    var broken: [String] = []
    for run in 0..<runs {
      let t = try startTarget(program, read: read)
      let before = fdTable(t.target.pid)
      let pause = UInt32.random(in: 0...UInt32(window * 1_200_000), using: &rng)
      let tool = try BackgroundProcess(CLI.binary, ["--inject-close", "\(t.target.pid)"] + asked.map(String.init))
      try seized(t.target.pid, by: tool)
      usleep(pause)  // the random moment itself, not a wait for a condition
      kill(tool.pid, SIGKILL)
      _ = try tool.wait()
      let what = "run \(run), killed \(pause) µs after the seize"
      guard let replaced = leftAlone(t, before: before, asked: asked, read: read, what, changed: &changed, broken: &broken) else { continue }
      if replaced == asked.count { whole_ += 1 } else if replaced == 0 { none += 1 } else { partial += 1 }
    }
    XCTAssertEqual(broken, [])
    print("\(label): \(runs) runs, killed 0-\(Int(window * 1200)) ms after the seize: fd table changed otherwise in \(changed), target broken in \(broken.count); "
      + "all replaced \(whole_), none \(none), some \(partial)")
  }

  /// Kills `--inject-close` of fds 5, 6 and 7 of `program` at its first ptrace call, then at its
  /// second, and so on to its last (strace's fault injection sends the SIGKILL as the Nth call
  /// starts: `-e inject=ptrace:signal=SIGKILL:when=N`), and checks each target: the middle of the
  /// calls run in the target is hit too, which random moments mostly miss.
  func killAtEachPtraceCall(program: String, read: Int, label: String) throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { throw XCTSkip("strace is not installed (.ci/setup)") }
    let asked: [Int32] = [5, 6, 7]
    let log = temporaryFile("ptrace-calls")
    defer { unlink(log) }
    let first = try startTarget(program, read: read)
    let counting = try runProgram("/usr/bin/strace", ["-f", "-qq", "-o", log, "-e", "trace=ptrace",
                                                      CLI.binary, "--inject-close", "\(first.target.pid)"] + asked.map(String.init))
    XCTAssertEqual(counting.status, 0, counting.stderr)
    let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("ptrace(") }.count
    XCTAssertTrue(asked.allSatisfy { fdLink(first.target.pid, $0) == "/dev/null" })
    try assertReadsOn(first, "uninterrupted run")
    XCTAssertGreaterThan(calls, 9 * 4, "a seize, a chain of 9 calls followed stop by stop, a detach")

    var changed = 0, whole_ = 0, none = 0, partial = 0
    var broken: [String] = []
    for n in 1...calls {
      let t = try startTarget(program, read: read)
      let before = fdTable(t.target.pid)
      let r = try runProgram("/usr/bin/strace", ["-f", "-qq", "-o", "/dev/null", "-e", "trace=ptrace",
                                                 "-e", "inject=ptrace:signal=SIGKILL:when=\(n)",
                                                 CLI.binary, "--inject-close", "\(t.target.pid)"] + asked.map(String.init))
      let what = "killed at ptrace call \(n) of \(calls)"
      XCTAssertNotEqual(r.status, 0, "\(what): pipetrace was not killed")
      guard let replaced = leftAlone(t, before: before, asked: asked, read: read, what, changed: &changed, broken: &broken) else { continue }
      if replaced == asked.count { whole_ += 1 } else if replaced == 0 { none += 1 } else { partial += 1 }
    }
    XCTAssertEqual(broken, [])
    print("\(label): \(calls) ptrace calls, killed at each: fd table changed otherwise in \(changed), target broken in \(broken.count); "
      + "all replaced \(whole_), none \(none), some \(partial)")
  }
}
