import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Signals to a pipetrace that launched its command, once that command is gone.
final class LeftoverTests: XCTestCase {
  /// The command exits and leaves a process that ignores SIGINT: Ctrl-C (here SIGINT from a
  /// process) must still end pipetrace, taking the leftover along (it carries the seccomp filter).
  func testSIGINTAfterTheCommandExitedEndsTheTrace() throws {
    let trace = temporaryFile("leftover.json")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, ["--json", "-o", trace, "--", "/bin/sh", "-c", "trap '' INT; /bin/sleep 100 & exit 3"])
    defer { tracer.stop() }
    var leftover: Int32 = 0
    try waitUntil("the command exited and its sleep runs") {
      let events = (try? JSONLines.read(trace)) ?? []
      let exited = events.contains { $0["event"] as? String == "exit" && $0["code"] as? Int == 3 }
      leftover = Int32(events.first { $0["event"] as? String == "exec" && ($0["path"] as? String)?.hasSuffix("sleep") == true }?["pid"] as? Int ?? 0)
      return exited && leftover > 0 && blockedSyscall(leftover) == 230
    }
    kill(tracer.pid, SIGINT)
    XCTAssertEqual(try tracer.wait(timeout: 5), 3, "pipetrace ends with the command's status")
    XCTAssertFalse(isAlive(leftover), "the filtered leftover cannot run untraced: it is killed")
  }

  /// With --no-seccomp the leftover carries no filter: it is let go, untraced, still running.
  func testWithoutAFilterTheLeftoverIsDetached() throws {
    let trace = temporaryFile("leftover-nofilter.json")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, ["--no-seccomp", "--json", "-o", trace, "--", "/bin/sh", "-c", "trap '' INT; /bin/sleep 100 & exit 0"])
    defer { tracer.stop() }
    var leftover: Int32 = 0
    try waitUntil("the command exited and its sleep runs") {
      let events = (try? JSONLines.read(trace)) ?? []
      let exited = events.contains { $0["event"] as? String == "exit" && $0["code"] as? Int == 0 }
      leftover = Int32(events.first { $0["event"] as? String == "exec" && ($0["path"] as? String)?.hasSuffix("sleep") == true }?["pid"] as? Int ?? 0)
      return exited && leftover > 0 && blockedSyscall(leftover) == 230
    }
    defer { kill(leftover, SIGKILL) }
    kill(tracer.pid, SIGINT)
    XCTAssertEqual(try tracer.wait(timeout: 5), 0)
    XCTAssertTrue(isAlive(leftover))
    XCTAssertEqual(procStatusField(leftover, "TracerPid"), "0")
    // Asleep again (resumed by the kernel as restart_syscall after the detach), not stopped.
    try waitUntil("the detached sleep asleep again") { [230, 219].contains(blockedSyscall(leftover) ?? -1) }
  }
}
