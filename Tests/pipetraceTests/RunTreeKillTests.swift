import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `run` ends the whole tree when it ends it (--timeout, SIGTERM, --on-leak=kill): also the
/// processes forked while it kills. Tests/Fixtures/chain.c forks a chain as fast as it can; every
/// process of it writes its pid to a file, so the test sees them all.
final class RunTreeKillTests: XCTestCase {
  /// The chain's processes (by the pid file) that are alive and still run the fixture.
  func survivors(_ pidFile: String, _ binary: String) -> [Int32] {
    let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { Int32($0) }.filter { pid in
      isAlive(pid) && ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.hasPrefix(binary) ?? false)
    }
  }

  /// Ends what survived, by pid: the fixture forks no more once PIDFILE.stop exists (a child
  /// forked just before still writes its pid), then SIGKILL to every survivor until none is left
  /// twice in a row.
  func cleanUp(_ pidFile: String, _ binary: String) {
    let stop = pidFile + ".stop"
    close(open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600))
    for _ in 0..<2 {
      _ = eventually(timeout: 60) {
        let left = survivors(pidFile, binary)
        for p in left { kill(p, SIGKILL) }
        return left.isEmpty
      }
    }
    unlink(stop)
    unlink(pidFile)
  }

  func testTimeoutKillsAGrowingForkChainWhole() throws {
    let chain = try compileFixture("chain")
    let pidFile = temporaryFile("chain.pids")
    defer { cleanUp(pidFile, chain) }
    let r = try CLI.run(["run", "--timeout", "1", "--", chain, "3000", "100", pidFile])
    XCTAssertEqual(r.status, 124, r.stderr)
    let left = survivors(pidFile, chain)
    XCTAssertEqual(left, [], "\(left.count) processes of the tree survived the timeout")
  }

  func testSIGTERMToRunKillsAGrowingForkChainWhole() throws {
    let chain = try compileFixture("chain")
    let pidFile = temporaryFile("chain.pids")
    defer { cleanUp(pidFile, chain) }
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { close(null) }
    let run = try BackgroundProcess(CLI.binary, ["run", "--", chain, "3000", "100", pidFile], stdout: null, stderr: null)
    defer { run.stop() }
    try waitUntil("the chain is 50 deep") { survivors(pidFile, chain).count >= 50 }
    kill(run.pid, SIGTERM)
    let status = try run.wait(timeout: 30)
    XCTAssertNotEqual(status, 0)
    let left = survivors(pidFile, chain)
    XCTAssertEqual(left, [], "\(left.count) processes of the tree survived SIGTERM to run")
  }

  func testOnLeakKillEndsALeakedHolderThatForksWhileItIsKilled() throws {
    let chain = try compileFixture("chain")
    let pidFile = temporaryFile("chain.pids")
    defer { cleanUp(pidFile, chain) }
    // The chain holds run's stdout and stderr after sh has exited; each of its processes dies of
    // SIGTERM, and the one it has just forked (it inherits the pipes) goes on forking.
    let r = try CLI.run(["run", "--json", "--grace", "0.5", "--on-leak=kill", "--", "/bin/sh", "-c",
                         "\"$0\" 3000 100 \"$1\" & echo started", chain, pidFile])
    XCTAssertEqual(r.status, 0, r.stderr)
    let left = survivors(pidFile, chain)
    XCTAssertEqual(left, [], "\(left.count) processes of the leaked chain survived --on-leak=kill")
  }

  /// A signal to run while it waits out --grace (CMD has exited) ends the wait as the end of the
  /// grace would: with --on-leak=report the holders are named and run on, unharmed.
  func testSIGTERMDuringTheGraceLeavesReportedHoldersRunning() throws {
    let pidFile = temporaryFile("pids")
    defer { unlink(pidFile) }
    let out = temporaryFile("out")
    let outFd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer {
      close(outFd)
      unlink(out)
    }
    let run = try BackgroundProcess(CLI.binary, ["run", "--json", "--grace", "60", "-c", "sleep 300 & echo \"$$ $!\" > \(pidFile)"],
                                    stdout: outFd)
    defer { run.stop() }
    var pids: [Int32] = []
    try waitUntil("the pid file") {
      pids = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
      return pids.count == 2
    }
    let (sh, sleeper) = (pids[0], pids[1])
    defer { if isAlive(sleeper) { kill(sleeper, SIGKILL) } }
    try waitUntil("sh has exited") { !isAlive(sh) }
    kill(run.pid, SIGTERM)
    _ = try run.wait(timeout: 30)
    XCTAssertTrue(isAlive(sleeper), "the leaked holder was killed with --on-leak=report")
    XCTAssertEqual(procStatusField(sleeper, "TracerPid"), "0", "the holder is still traced")
    let json = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    XCTAssertTrue(json.contains("\"pid\":\(sleeper)"), "the holder is not named: \(json)")
  }
}
