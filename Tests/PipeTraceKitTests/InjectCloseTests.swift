import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// close() run inside real blocked processes: the fd goes, the process goes on exactly as before.
final class InjectCloseTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  func assertNotTraced(_ pid: Int32, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(ProcStatus(pid: pid)?.tracerPid, 0, file: file, line: line)
    XCTAssertNotEqual(ProcStat.read(pid)?.state, "t", file: file, line: line)
  }

  /// A sleeper keeps its deadline: it exits 0 (no EINTR message), not before its time, and the
  /// pipe it held reports EOF as soon as the close ran.
  func testSleeperKeepsItsDeadline() throws {
    let out = TestPipe()
    let started = Date()
    let sleeper = try procs.launch(["/bin/sleep", "2"], stdout: out.writeEnd, stderr: out.writeEnd)
    out.closeWrite()
    let pid = sleeper.pid
    try waitUntilBlocked(pid, in: [230, 35])
    let results = try InjectClose.close(pid: pid, fds: [1, 2], mode: .plainClose)
    XCTAssertEqual(results.map(\.outcome), [.closed, .closed])
    assertNotTraced(pid)
    try waitUntilBlocked(pid, in: [230, 219, 35])  // asleep again in the restarted call
    XCTAssertEqual(try out.readToEOF(timeout: 1.5), "")
    XCTAssertTrue(isAlive(pid), "EOF came from the close, not from the sleeper's exit: \(Date().timeIntervalSince(started)) \(ProcFS.read("/proc/\(pid)/stat") ?? "gone")")
    XCTAssertEqual(sleeper.wait(), 0)
    XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 2.0)
  }

  /// A reader blocked in read(0) still gets the data written after the injection, with no EINTR.
  func testBlockedReaderStillReadsLaterData() throws {
    let input = TestPipe(), output = TestPipe(), errors = TestPipe()
    let cat = try procs.launch(["/bin/cat"], stdin: input.readEnd, stdout: output.writeEnd, stderr: errors.writeEnd)
    input.closeRead(); output.closeWrite(); errors.closeWrite()
    let pid = cat.pid
    try waitUntilBlocked(pid, in: [0])
    XCTAssertEqual(try InjectClose.close(pid: pid, fds: [2]).map(\.outcome), [.replaced])
    XCTAssertEqual(try errors.readToEOF(timeout: 5), "", "stderr replaced in cat")
    try waitUntilBlocked(pid, in: [0])  // back in its restarted read
    input.write("hello\n")
    input.closeWrite()
    XCTAssertEqual(try output.readToEOF(), "hello\n")
    XCTAssertEqual(cat.wait(), 0)
  }

  /// A shell in wait4 stays there; when its child ends it goes on normally.
  func testShellInWait4GoesOnAfterItsChild() throws {
    let out = TestPipe(), err = TestPipe()
    let sh = try procs.launch(["/bin/sh", "-c", "sleep 300; echo done"], stdout: out.writeEnd, stderr: err.writeEnd)
    out.closeWrite(); err.closeWrite()
    let pid = sh.pid
    try waitUntilBlocked(pid, in: [61])
    let child = try XCTUnwrap(childrenOf(pid).first)
    procs.adopt(child)
    XCTAssertEqual(try InjectClose.close(pid: pid, fds: [2]).map(\.outcome), [.replaced])
    try waitUntilBlocked(pid, in: [61])
    assertNotTraced(pid)
    kill(child, SIGTERM)
    XCTAssertEqual(try out.readToEOF(), "done\n")
    XCTAssertEqual(sh.wait(), 0)
  }

  /// Threads share the fd table: one seized thread closes the fd for all; every thread goes on.
  func testMultiThreadedTarget() throws {
    let input = TestPipe(), output = TestPipe()
    let python = try procs.launch([
      "python3", "-c",
      "import sys, threading, time\n"
        + "for _ in range(3): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n"
        + "print('ready', flush=True)\nsys.stdin.read()\n",
    ], stdin: input.readEnd, stdout: output.writeEnd)
    input.closeRead(); output.closeWrite()
    let pid = python.pid
    try waitUntil("4 threads") { ProcFS.threadIds(of: pid).count == 4 }
    try waitUntilBlocked(pid, in: [0])
    for tid in ProcFS.threadIds(of: pid) where tid != pid { try waitUntilBlocked(pid, in: [230, 35, 7, 202], tid: tid) }
    XCTAssertEqual(try InjectClose.close(pid: pid, fds: [1]).map(\.outcome), [.replaced])
    XCTAssertEqual(try output.readToEOF(), "ready\n")
    XCTAssertEqual(ProcFS.threadIds(of: pid).count, 4)
    for tid in ProcFS.threadIds(of: pid) { try waitUntilBlocked(pid, in: [0, 230, 35, 7, 202], tid: tid) }
    assertNotTraced(pid)
    input.closeWrite()
    XCTAssertEqual(python.wait(), 0)
  }

  /// A CPU-bound target (not in a syscall): the syscall instruction comes from an r-xp mapping.
  func testRunningTarget() throws {
    let out = TestPipe()
    let busy = try procs.launch(["python3", "-c", "while True: pass"], stdout: out.writeEnd)
    out.closeWrite()
    let pid = busy.pid
    try waitUntil("running") {
      (ProcFS.read("/proc/\(pid)/syscall") ?? "").hasPrefix("running") && ProcStat.read(pid)?.state == "R"
    }
    XCTAssertEqual(try InjectClose.close(pid: pid, fds: [1]).map(\.outcome), [.replaced])
    XCTAssertEqual(try out.readToEOF(), "")
    XCTAssertTrue(busy.isRunning)
    assertNotTraced(pid)
  }

  func testRefusalsLeaveTheTargetUntouched() throws {
    func refusal(_ pid: Int32, _ fds: [Int32], expect: String? = nil) -> String {
      do {
        _ = try InjectClose.plan(pid: pid, fds: fds, expect: expect)
        return "no refusal"
      } catch {
        return error.description
      }
    }
    XCTAssertTrue(refusal(0, [1]).contains("invalid pid 0"))
    XCTAssertTrue(refusal(-7, [1]).contains("invalid pid -7"))
    XCTAssertTrue(refusal(99_999_999, [1]).contains("no such process"))
    if ProcStat.read(2)?.isKernelThread == true { XCTAssertTrue(refusal(2, [1]).contains("kernel thread")) }

    let out = TestPipe()
    let sleeper = try procs.launch(["/bin/sleep", "300"], stdout: out.writeEnd)
    out.closeWrite()
    let pid = sleeper.pid
    try waitUntilBlocked(pid, in: [230, 35])
    XCTAssertTrue(refusal(pid, [-1]).contains("invalid fd -1"))
    XCTAssertTrue(refusal(pid, [7]).contains("fd 7 is not open"))
    XCTAssertTrue(refusal(pid, [1], expect: "pipe:[1]").contains("not pipe:[1]"))
    let plan = try InjectClose.plan(pid: pid, fds: [1])
    XCTAssertEqual(plan.fds.first?.target.kind, .pipe)
    XCTAssertEqual(plan.fds.first?.end, .write)
    XCTAssertNotNil(ProcFS.fdTarget(pid, fd: 1), "a refusal closed nothing")

    // Already traced by someone else: strace, started and stopped by this test.
    let strace = try procs.launch(["strace", "-p", "\(pid)", "-o", "/dev/null"])
    try waitUntil("strace attached") { ProcStatus(pid: pid)?.tracerPid == strace.pid }
    XCTAssertTrue(refusal(pid, [1]).contains("already traced by \(strace.pid) (strace)"), refusal(pid, [1]))
    kill(strace.pid, SIGTERM)
    strace.wait()

    let zombieMaker = TestPipe()
    try procs.launch([
      "python3", "-c", "import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\nos.close(1)\ntime.sleep(300)",
    ], stdout: zombieMaker.writeEnd)
    zombieMaker.closeWrite()
    let zombie = try XCTUnwrap(Int32(try zombieMaker.readToEOF().trimmingCharacters(in: .whitespacesAndNewlines)))
    try waitUntil("zombie") { ProcStat.read(zombie)?.isZombie ?? false }
    XCTAssertTrue(refusal(zombie, [1]).contains("zombie"))
  }
}

/// A signal that arrives while the thread is held is not lost: it is delivered after the detach.
final class InjectSignalTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  func testSignalArrivingDuringInjectionIsDeliveredAfterDetach() throws {
    let input = TestPipe(), output = TestPipe(), spare = TestPipe()
    let python = try procs.launch([
      "python3", "-c",
      "import os, signal, sys\n"
        + "signal.signal(signal.SIGUSR1, lambda *a: os.write(1, b'usr1\\n'))\n"
        + "os.write(1, b'ready\\n')\n"
        + "data = sys.stdin.buffer.read()\n"
        + "os.write(1, b'read ' + data + b'\\n')\n",
    ], stdin: input.readEnd, stdout: output.writeEnd, stderr: spare.writeEnd)
    input.closeRead(); output.closeWrite(); spare.closeWrite()
    let pid = python.pid
    try waitUntilBlocked(pid, in: [0])
    let session = try RemoteSyscallSession(pid: ProcessID(pid), tid: ThreadID(pid))
    kill(pid, SIGUSR1)  // pending while the thread is stopped under us
    XCTAssertEqual(try session.run(3, [2]), 0, "close(2) in the target")
    session.detach()
    XCTAssertEqual(try spare.readToEOF(timeout: 5), "", "fd 2 closed")
    input.write("abc")
    input.closeWrite()
    XCTAssertEqual(try output.readToEOF(), "ready\nusr1\nread abc\n")
    XCTAssertEqual(python.wait(), 0)
  }
}
