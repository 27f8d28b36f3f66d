import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// `diagnoseHang` on real hung processes this test starts.
final class WhyTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  func testSeedNamesReadSleeperAndFixThatUnblocks() throws {
    let (python, output, sleeper) = try procs.startSeedHang()
    let d = try diagnoseHang(pid: python.pid)
    XCTAssertEqual(d.blocked?.syscall, "read")
    XCTAssertEqual(d.blocked?.fds.first?.fd, 3)
    XCTAssertEqual(d.blocked?.fds.first?.target?.kind, .pipe)
    let sleeperFds = d.holders.filter { $0.pid == sleeper }
    XCTAssertEqual(sleeperFds.map(\.fd).sorted(), [1, 2])
    XCTAssertTrue(sleeperFds.allSatisfy { $0.end == .write && $0.relation == .orphan && $0.comm == "sleep" })
    XCTAssertNil(d.cycle)
    let fix = try XCTUnwrap(d.fix)
    XCTAssertEqual(fix.closes.map(\.pid), [sleeper])
    XCTAssertEqual(fix.closes.first?.fds, [1, 2])
    XCTAssertTrue(fix.command(program: "pipetrace").hasPrefix("pipetrace --inject-close \(sleeper) 1 2 --expect 'pipe:["), fix.command)
    XCTAssertTrue(d.verdict.contains("\(sleeper)"), d.verdict)
    let json = d.json()
    XCTAssertTrue(json.contains("\"relation\":\"orphan\""), json)

    for (_, result) in fix.perform() {
      let outcomes = try result.get()
      XCTAssertEqual(outcomes.map(\.outcome), [.replaced, .replaced])
    }
    XCTAssertEqual(try output.readToEOF(), "start ok\n")
    XCTAssertEqual(python.wait(), 0)
    // The sleeper was not woken: still asleep in its (restarted) nanosleep.
    XCTAssertTrue(isAlive(sleeper))
    try waitUntilBlocked(sleeper, in: [230, 219, 35])
  }

  func testShellCommandSubstitution() throws {
    let (sh, output, sleeper) = try procs.startShellSubstitutionHang()
    let d = try diagnoseHang(pid: sh.pid)
    XCTAssertEqual(d.blocked?.syscall, "read")
    XCTAssertTrue(d.holders.contains { $0.pid == sleeper && $0.relation == .orphan && $0.fd == 1 }, d.render())
    let fix = try XCTUnwrap(d.fix)
    XCTAssertEqual(fix.closes.map(\.pid), [sleeper])
    for (_, result) in fix.perform() { XCTAssertTrue(try result.get().allSatisfy { $0.outcome == .replaced }) }
    XCTAssertEqual(try output.readToEOF(timeout: 5), "got start ok\n")
    XCTAssertEqual(sh.wait(), 0)
    XCTAssertTrue(isAlive(sleeper))
  }

  func testReaderHoldingTheWriteEndItselfCanNeverSeeEOF() throws {
    let python = try procs.launch(["python3", "-c", "import os; r, w = os.pipe(); os.read(r, 1)"])
    try waitUntilBlocked(python.pid, in: [0])
    let d = try diagnoseHang(pid: python.pid)
    XCTAssertEqual(d.blocked?.syscall, "read")
    XCTAssertTrue(d.holders.contains { $0.pid == python.pid && $0.relation == .itself && $0.end == .write })
    XCTAssertTrue(d.verdict.contains("can never see EOF"), d.verdict)
    // Issue 19: a process's own write end is never a proven leak (a signal handler may write it):
    // no fix, blocked without one (exit 2).
    XCTAssertNil(d.fix)
    XCTAssertEqual(d.outcome, .noFix)
    XCTAssertEqual(d.holders.first?.classification, .itself)
  }

  /// Popen(stdout=PIPE).wait() with more output than a pipe holds: parent in wait4, child in write.
  func testMirrorDeadlockIsACycleWithoutFix() throws {
    let python = try procs.launch([
      "python3", "-c",
      "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
        + "'import sys; sys.stdout.write(\"x\" * 1000000)'], stdout=subprocess.PIPE); p.wait()",
    ])
    let parent = python.pid
    try waitUntilBlocked(parent, in: [61, 247])
    let child = try procs.blockedChild(of: parent, in: 1, "child blocked writing")
    let d = try diagnoseHang(pid: parent)
    XCTAssertEqual(d.blocked?.syscall, "wait4")
    XCTAssertEqual(Set(d.cycle ?? []), [parent, child])
    XCTAssertNil(d.fix)
    XCTAssertTrue(d.verdict.hasPrefix("Deadlock") && d.verdict.contains("wait4") && d.verdict.contains("room in pipe:["), d.verdict)
    let fromChild = try diagnoseHang(pid: child)
    XCTAssertEqual(fromChild.blocked?.syscall, "write")
    XCTAssertEqual(Set(fromChild.cycle ?? []), [parent, child])
    XCTAssertTrue(fromChild.holders.contains { $0.pid == parent && $0.end == .read && $0.relation == .parent })
  }

  func testNotBlockedProcessSaysSo() throws {
    let busy = try procs.launch(["python3", "-c", "while True: pass"])
    try waitUntil("busy loop running") {
      (try? String(contentsOfFile: "/proc/\(busy.pid)/syscall", encoding: .utf8))?.hasPrefix("running") ?? false
    }
    let d = try diagnoseHang(pid: busy.pid)
    XCTAssertNil(d.blocked)
    XCTAssertTrue(d.verdict.contains("is not blocked"), d.verdict)
    XCTAssertNil(d.fix)
    XCTAssertTrue(d.json().contains("\"blocked\":null"))
  }

  /// poll on a pipe whose write end only the poller holds: a self-pipe (its own threads or signal
  /// handlers write it), so an idle event loop, not a hang.
  func testPollOnItsOwnPipeIsAnIdleLoop() throws {
    let python = try procs.launch(["python3", "-c", "import os, select; r, w = os.pipe(); p = select.poll(); p.register(r, select.POLLIN); p.poll()"])
    try waitUntilBlocked(python.pid, in: [7, 271])
    let d = try diagnoseHang(pid: python.pid)
    XCTAssertEqual(d.blocked?.fds.first?.target?.kind, .pipe)
    XCTAssertEqual(d.blocked?.fds.first?.wants, .read)
    XCTAssertEqual(d.outcome, .idle, d.render())
    XCTAssertTrue(d.verdict.contains("idle event loop"), d.verdict)
    XCTAssertNil(d.fix)
  }

  func testRefusals() throws {
    XCTAssertThrowsError(try diagnoseHang(pid: 0)) { XCTAssertTrue("\($0)".contains("invalid pid 0")) }
    XCTAssertThrowsError(try diagnoseHang(pid: -4)) { XCTAssertTrue("\($0)".contains("invalid pid -4")) }
    XCTAssertThrowsError(try diagnoseHang(pid: 99_999_999)) { XCTAssertTrue("\($0)".contains("no such process")) }
    if ProcStat.read(2)?.isKernelThread == true {
      XCTAssertThrowsError(try diagnoseHang(pid: 2)) { XCTAssertTrue("\($0)".contains("kernel thread")) }
    }
    let zombie = try startZombie()
    XCTAssertThrowsError(try diagnoseHang(pid: zombie)) { XCTAssertTrue("\($0)".contains("zombie")) }
  }

  /// A child of a python that never reaps it.
  func startZombie() throws -> Int32 {
    let output = TestPipe()
    try procs.launch([
      "python3", "-c", "import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\nos.close(1)\ntime.sleep(300)",
    ], stdout: output.writeEnd)
    output.closeWrite()
    let pid = try XCTUnwrap(Int32(try output.readToEOF().trimmingCharacters(in: .whitespacesAndNewlines)))
    try waitUntil("zombie") { ProcStat.read(pid)?.isZombie ?? false }
    return pid
  }
}

/// The holder is itself blocked: a backgrounded subshell waiting in wait4 for its own sleeper.
final class WhyChainTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  func testHolderInWait4IsFollowedAndBothAreFixed() throws {
    let (python, output, sub, sleeper) = try procs.startBackgroundSubshellHang()
    let d = try diagnoseHang(pid: python.pid)
    XCTAssertEqual(Set(d.holders.map(\.pid)), [sub, sleeper])
    XCTAssertTrue(d.holders.allSatisfy { $0.relation == .orphan }, d.render())
    XCTAssertEqual(d.holders.first { $0.pid == sub }?.blocked?.syscall, "wait4")
    // The chain names the subshell's wait on its sleeper.
    XCTAssertTrue(d.chain.contains { $0.pid == sleeper && $0.text.contains("\(sub) waits in wait4") }, d.render())
    XCTAssertEqual(Set(try XCTUnwrap(d.fix).closes.map(\.pid)), [sub, sleeper])
    for (_, result) in d.fix!.perform() { XCTAssertTrue(try result.get().allSatisfy { $0.outcome == .replaced }) }
    XCTAssertEqual(try output.readToEOF(), "start ok\n")
    XCTAssertEqual(python.wait(), 0)
  }
}

/// Two processes each reading the pipe the other should write: a cycle through two pipes.
final class WhyPipeCycleTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  func testBothReadingIsACycle() throws {
    let python = try procs.launch([
      "python3", "-c",
      "import os\na_r, a_w = os.pipe()\nb_r, b_w = os.pipe()\n"
        + "if os.fork() == 0:\n    os.close(a_r); os.close(b_w); os.read(b_r, 1); os._exit(0)\n"
        + "os.close(b_r)\nos.read(a_r, 1)\n",
    ])
    let parent = python.pid
    try waitUntilBlocked(parent, in: [0], comm: "python")
    let child = try procs.blockedChild(of: parent, in: 0, "child reading")
    let d = try diagnoseHang(pid: parent)
    XCTAssertEqual(d.blocked?.syscall, "read")
    XCTAssertEqual(Set(d.cycle ?? []), [parent, child], d.render())
    XCTAssertTrue(d.holders.contains { $0.pid == child && $0.relation == .child && $0.end == .write })
    XCTAssertNil(d.fix)
    XCTAssertTrue(d.verdict.hasPrefix("Deadlock"), d.verdict)
  }
}
