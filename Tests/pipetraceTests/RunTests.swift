import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace run`: the wrapper that cannot hang.
final class RunTests: XCTestCase {
  func runJSON(_ args: [String], timeout: Double = 60) throws -> (ProgramResult, [String: Any]) {
    let r = try CLI.run(["run", "--json"] + args, timeout: timeout)
    let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return (r, try XCTUnwrap(obj, "not JSON: \(r.stdout) \(r.stderr)"))
  }

  /// Kills (by pid) the holders a test left running on purpose, and waits until they are gone.
  func reap(_ pids: [Int]) {
    for p in pids where p > 0 {
      kill(Int32(p), SIGKILL)
      _ = eventually { !isAlive(Int32(p)) }
    }
  }

  func testSeedScriptReturnsWithinGraceAndNamesTheHolder() throws {
    let script = temporaryFile("b.sh")
    try "#!/bin/sh\nsleep 300 &\necho start ok\n".write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    defer { unlink(script) }
    let started = Date()
    let (r, obj) = try runJSON(["--grace", "0.5", "--", script])
    let elapsed = Date().timeIntervalSince(started)
    let holders = obj["holders"] as? [[String: Any]] ?? []
    defer { reap(holders.compactMap { $0["pid"] as? Int }) }
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertLessThan(elapsed, 30, "it waited for the daemon")
    XCTAssertEqual(obj["stdout"] as? String, "start ok\n")
    XCTAssertEqual(obj["exit_code"] as? Int, 0)
    XCTAssertEqual(Set(holders.compactMap { $0["fd"] as? Int }), [1, 2])
    XCTAssertEqual(Set(holders.compactMap { $0["comm"] as? String }), ["sleep"])
    // The holder was left running (report is the default), untraced.
    let pid = try XCTUnwrap(holders.first?["pid"] as? Int)
    XCTAssertEqual(procStatusField(Int32(pid), "TracerPid"), "0")
    XCTAssertEqual(procStatusField(Int32(pid), "State")?.first, "S")
  }

  func testLogLineNamesTheHolder() throws {
    let r = try CLI.run(["run", "--grace", "0.2", "-c", "sleep 300 & echo start ok"])
    let pid = r.stderr.range(of: #"held by pid (\d+)"#, options: .regularExpression).map { String(r.stderr[$0].split(separator: " ").last!) }
    defer { if let p = pid.flatMap(Int.init) { reap([p]) } }
    XCTAssertEqual(r.status, 0)
    XCTAssertEqual(r.stdout, "start ok\n")
    XCTAssertTrue(r.stderr.hasPrefix("sh(0, "), r.stderr)
    XCTAssertTrue(r.stderr.contains("<OUT>start ok <ERR>"), r.stderr)
    XCTAssertNotNil(pid, r.stderr)
  }

  func testOnLeakKillEndsTheHolders() throws {
    let (_, obj) = try runJSON(["--grace", "0.2", "--on-leak=kill", "-c", "sleep 300 & echo start ok"])
    let killed = obj["killed"] as? [Int] ?? []
    XCTAssertEqual(killed.count, 1)
    XCTAssertEqual((obj["holders"] as? [[String: Any]])?.first?["pid"] as? Int, killed.first)
    XCTAssertTrue(eventually { !isAlive(Int32(killed[0])) })
  }

  func testTimeoutKillsThreeLevelTreeIncludingSetsidGrandchild() throws {
    let marker = temporaryFile("tree")
    defer { unlink(marker) }
    // child sh -> setsid sh (new session) -> sleep; and the child's own sleep.
    let script = "setsid sh -c 'echo $$ >> \(marker); sleep 300 & echo $! >> \(marker); wait' & sleep 300"
    let (r, obj) = try runJSON(["--timeout", "1", "-c", script])
    XCTAssertEqual(r.status, 124)
    XCTAssertEqual(obj["timed_out"] as? Bool, true)
    let killed = Set(obj["killed"] as? [Int] ?? [])
    let grand = try String(contentsOfFile: marker, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
    XCTAssertEqual(grand.count, 2)
    for p in grand {
      XCTAssertTrue(killed.contains(p), "setsid descendant \(p) not killed: \(killed)")
      XCTAssertTrue(eventually { !isAlive(Int32(p)) })
    }
    XCTAssertGreaterThanOrEqual(killed.count, 4)
  }

  func testLargeOutputOnBothStreamsDoesNotDeadlock() throws {
    let (r, obj) = try runJSON(["-c", "head -c 3000000 /dev/zero | tr '\\\\0' a; head -c 2000000 /dev/zero | tr '\\\\0' b >&2"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual((obj["stdout"] as? String)?.count, 3_000_000)
    XCTAssertEqual((obj["stderr"] as? String)?.count, 2_000_000)
  }

  func testInterleavedLargeOutputNoDeadlock() throws {
    // Writes alternate between the streams in big blocks: a reader of one stream only would block.
    let (r, obj) = try runJSON(["-c", "for i in 1 2 3 4 5 6 7 8; do head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2; done"])
    XCTAssertEqual(r.status, 0)
    XCTAssertEqual((obj["stdout"] as? String)?.utf8.count, 2_400_000)
    XCTAssertEqual((obj["stderr"] as? String)?.utf8.count, 2_400_000)
  }

  func testStdinFromFile() throws {
    let input = temporaryFile("input")
    try "line one\nline two\n".write(toFile: input, atomically: true, encoding: .utf8)
    defer { unlink(input) }
    let (_, obj) = try runJSON(["--input", input, "--", "/usr/bin/wc", "-l"])
    XCTAssertEqual((obj["stdout"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), "2")
    // Without --input the command reads /dev/null, never our terminal.
    let (_, empty) = try runJSON(["--", "/usr/bin/wc", "-c"])
    XCTAssertEqual((empty["stdout"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), "0")
  }

  /// The log line shows a snippet of the command's output, and holders' names from /proc: control
  /// characters in them are escaped (the snippet keeps ⏎ for newlines and its UTF-8 text).
  func testLogLineEscapesControlCharacters() throws {
    let r = try CLI.run(["run", "-c", #"printf 'a\033[31mred\nb\tcaf\303\251'"#])
    XCTAssertEqual(r.status, 0, r.stderr)
    let log = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
    XCTAssertFalse(log.utf8.contains(0x1b), log)
    XCTAssertTrue(log.contains(#"<OUT>a\33[31mred⏎b\tcafé"#), log)
  }

  /// A holder's name is its comm exactly (JSON) and escaped once (text): /proc/PID/status's Name is
  /// already escaped by the kernel, so it must not be the source.
  func testHolderNameIsItsCommEscapedOnce() throws {
    let dir = temporaryFile("renamed")
    XCTAssertEqual(mkdir(dir, 0o700), 0)
    defer { _ = try? FileManager.default.removeItem(atPath: dir) }
    try """
      import ctypes, sys, time
      ctypes.CDLL(None).prctl(15, b'ev\\nil\\\\x', 0, 0, 0)
      open(sys.argv[1], 'w').close()
      time.sleep(300)
      """.write(toFile: dir + "/holder.py", atomically: true, encoding: .utf8)
    // The command returns once its daemon has renamed itself (it waits for the flag file the
    // daemon writes, for 30 s at most).
    func command(_ flag: String) -> String {
      "python3 \(dir)/holder.py \(dir)/\(flag) & i=0; while [ ! -e \(dir)/\(flag) ] && [ $i -lt 3000 ]; "
        + "do sleep 0.01; i=$((i+1)); done; echo up"
    }
    let (r, obj) = try runJSON(["--grace", "0.2", "-c", command("json")])
    let holders = obj["holders"] as? [[String: Any]] ?? []
    defer { reap(holders.compactMap { $0["pid"] as? Int }) }
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(Set(holders.compactMap { $0["comm"] as? String }), ["ev\nil\\x"], "\(holders)")

    let text = try CLI.run(["run", "--grace", "0.2", "-c", command("text")])
    let pid = text.stderr.range(of: #"held by pid (\d+)"#, options: .regularExpression).map { String(text.stderr[$0].split(separator: " ").last!) }
    defer { if let p = pid.flatMap(Int.init) { reap([p]) } }
    XCTAssertEqual(text.status, 0, text.stderr)
    XCTAssertTrue(text.stderr.contains(#"(ev\nil\\x) fd 1,2"#), text.stderr)
  }

  func testExitCodesAndSignals() throws {
    let (r5, o5) = try runJSON(["-c", "echo out; echo err >&2; exit 5"])
    XCTAssertEqual(r5.status, 5)
    XCTAssertEqual(o5["exit_code"] as? Int, 5)
    XCTAssertEqual(o5["stdout"] as? String, "out\n")
    XCTAssertEqual(o5["stderr"] as? String, "err\n")
    XCTAssertTrue(o5["signal"] is NSNull)
    let (rs, os) = try runJSON(["-c", "kill -TERM $$"])
    XCTAssertEqual(rs.status, 143)
    XCTAssertTrue(os["exit_code"] is NSNull)
    XCTAssertEqual(os["signal"] as? String, "SIGTERM")
  }

  func testNoFdBeyondStandardStreamsLeaksIntoTheCommand() throws {
    // pipetrace itself gets fd 7 open (not close-on-exec); the command must not see it.
    let r = try runProgram("/bin/sh", ["-c", "exec 7</etc/hostname; exec \"$0\" run --json -- /bin/ls /proc/self/fd", CLI.binary])
    let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
    let fds = (obj["stdout"] as? String ?? "").split(separator: "\n").compactMap { Int($0) }
    // ls sees 0, 1, 2 and the directory it is reading.
    XCTAssertEqual(fds.filter { $0 <= 2 }, [0, 1, 2])
    XCTAssertFalse(fds.contains(7), "\(fds)")
    XCTAssertEqual(fds.count, 4, "\(fds)")
  }

  func testBadInput() throws {
    let cases: [([String], String)] = [
      (["run"], "nothing to run"),
      (["run", "--on-leak=maybe", "--", "/bin/true"], "The value 'maybe' is invalid for '--on-leak <action>'"),
      (["run", "--timeout", "0", "--", "/bin/true"], "--timeout takes"),
      (["run", "--input", "/nonexistent/file", "--", "/bin/cat"], "cannot read input file /nonexistent/file"),
      (["run", "--", "/nonexistent/cmd"], "command not found"),
    ]
    for (args, message) in cases {
      let r = try CLI.run(args)
      XCTAssertNotEqual(r.status, 0, "\(args)")
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
  }
}

extension RunTests {
  func testOnLeakCloseClosesTheLeakedFdsAndTheHolderRunsOn() throws {
    let (r, obj) = try runJSON(["--grace", "0.2", "--on-leak=close", "-c", "sleep 300 & echo start ok"])
    let holders = obj["holders"] as? [[String: Any]] ?? []
    let pids = Set(holders.compactMap { $0["pid"] as? Int })
    defer { reap(Array(pids)) }
    XCTAssertEqual(r.status, 0)
    XCTAssertEqual(obj["stdout"] as? String, "start ok\n")
    XCTAssertEqual(pids.count, 1)
    let closed = obj["closed"] as? [[String: Any]] ?? []
    XCTAssertEqual(Set(closed.compactMap { $0["fd"] as? Int }), [1, 2])
    let pid = try XCTUnwrap(pids.first)
    // The holder is alive, untraced, still asleep, and its fds 1 and 2 now point to /dev/null (no
    // hole a later open could fill).
    XCTAssertEqual(procStatusField(Int32(pid), "TracerPid"), "0")
    // Detached, it is runnable until it re-enters its sleep (/proc says "running" meanwhile; on a
    // loaded machine that is still so when run has exited): it goes back to sleep.
    try waitUntilBlocked(Int32(pid), in: [230, 219])
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/1"), "/dev/null")
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2"), "/dev/null")
  }

  func testDetachedHolderIsNotLeftWithAFilter() throws {
    // The daemon outlives the run and keeps working: it forks, closes and writes after the run.
    // It waits for the test's word, not for a time: a loaded machine may take longer than any
    // fixed sleep to reach the end of the grace, and a daemon gone by then leaks nothing.
    let marker = temporaryFile("later")
    let go = temporaryFile("go")
    defer { unlink(marker); unlink(go) }
    let script = "(until [ -e \(go) ]; do sleep 0.05; done; ls / >/dev/null && echo later > \(marker)) & echo start ok"
    let (_, obj) = try runJSON(["--grace", "0.1", "-c", script])
    let holders = (obj["holders"] as? [[String: Any]] ?? []).compactMap { ($0["pid"] as? Int).map(Int32.init) }
    defer { for p in holders where p > 1 && isAlive(p) { kill(p, SIGKILL); _ = eventually { !isAlive(p) } } }
    XCTAssertFalse(holders.isEmpty)
    XCTAssertTrue(FileManager.default.createFile(atPath: go, contents: nil))
    // It forked ls after the run let go of it: had it kept a seccomp filter, that fork would fail.
    XCTAssertTrue(eventually { (try? String(contentsOfFile: marker, encoding: .utf8)) == "later\n" })
    for h in obj["holders"] as? [[String: Any]] ?? [] {
      if let p = h["pid"] as? Int { XCTAssertNotEqual(procStatusField(Int32(p), "Seccomp"), "2") }
    }
  }
}

/// `run --stuck-after`: a leak inside the command's own pipeline (not on run's pipes) is named,
/// unstuck (--on-leak=close) or ended (--on-leak=kill) once a task has been blocked on it that long.
final class RunStuckTests: XCTestCase {
  let leakyPipeline = "{ sleep 300 & echo hi; } | wc -l"

  func runJSON(_ args: [String]) throws -> (ProgramResult, [String: Any]) {
    let r = try CLI.run(["run", "--json"] + args, timeout: 60)
    let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return (r, try XCTUnwrap(obj, "not JSON: \(r.stdout) \(r.stderr)"))
  }

  /// The holders named by the detector, killed by pid when the test is done.
  func stuckHolders(_ obj: [String: Any]) -> [Int32] {
    let stuck = obj["stuck"] as? [[String: Any]] ?? []
    return stuck.flatMap { ($0["holders"] as? [[String: Any]] ?? []).compactMap { ($0["pid"] as? Int).map(Int32.init) } }
  }

  func reap(_ pids: [Int32]) {
    for p in pids where isAlive(p) {
      kill(p, SIGKILL)
      _ = eventually { !isAlive(p) }
    }
  }

  func testOnLeakCloseUnsticksALeakInsideTheCommandsPipeline() throws {
    let (r, obj) = try runJSON(["--stuck-after", "1", "--grace", "0.3", "--on-leak=close", "-c", leakyPipeline])
    let holders = stuckHolders(obj)
    defer { reap(holders) }
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(obj["stdout"] as? String, "1\n")
    let stuck = obj["stuck"] as? [[String: Any]] ?? []
    XCTAssertEqual(stuck.count, 1, "\(obj)")
    XCTAssertEqual(stuck.first?["comm"] as? String, "wc")
    XCTAssertEqual(stuck.first?["action"] as? String, "close")
    XCTAssertEqual(holders.count, 1)
    // The holder runs on, its fd 1 now /dev/null.
    if let h = holders.first {
      XCTAssertTrue(isAlive(h))
      XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(h)/fd/1"), "/dev/null")
    }
    XCTAssertTrue(r.stderr.contains("blocked for"), r.stderr)
  }

  func testOnLeakKillEndsTheHolderOfALeakInsideTheCommandsPipeline() throws {
    let (r, obj) = try runJSON(["--stuck-after", "1", "--grace", "0.3", "--on-leak=kill", "-c", leakyPipeline])
    let holders = stuckHolders(obj)
    defer { reap(holders) }
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(obj["stdout"] as? String, "1\n")
    XCTAssertEqual((obj["stuck"] as? [[String: Any]])?.first?["action"] as? String, "kill")
    XCTAssertEqual(holders.count, 1)
    for h in holders { XCTAssertTrue(eventually { !isAlive(h) }, "holder \(h) still runs") }
  }

  /// The default: named on stderr within --stuck-after, and nothing done: run waits on (here until
  /// its --timeout).
  func testReportNamesTheLeakAndKeepsWaiting() throws {
    let started = Date()
    let r = try CLI.run(["run", "--stuck-after", "1", "--timeout", "4", "-c", leakyPipeline], timeout: 60)
    XCTAssertEqual(r.status, 124, r.stderr)
    XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 4, "it did not keep waiting")
    XCTAssertTrue(r.stderr.contains("pipetrace: run: wc (pid "), r.stderr)
    XCTAssertTrue(r.stderr.contains("Fix: "), r.stderr)
    XCTAssertEqual(r.stdout, "")
  }

  /// A live producer is never cut: `why` gives a fix only for a proven leak (the contract the
  /// detector acts on).
  func testAHealthyPipelineIsLeftAlone() throws {
    try XCTSkipIf(whyOffersAFixForALivePipelineStage(), "needs why's proven-leak classification (branch safety)")
    let (r, obj) = try runJSON(["--stuck-after", "0.5", "--on-leak=close", "-c", "(sleep 2; echo data) | wc -c"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual((obj["stdout"] as? String)?.trimmingCharacters(in: .whitespaces), "5\n")
    XCTAssertEqual((obj["stuck"] as? [Any])?.count, 0, "\(obj)")
  }

  /// Whether this build's `why` still calls the producer of a live pipeline a leak.
  func whyOffersAFixForALivePipelineStage() throws -> Bool {
    let p = try TestProcesses()
    defer { p.cleanUp() }
    let sh = try p.launch(["/bin/sh", "-c", "sleep 30 | cat"])
    var cat: Int32 = 0
    try waitUntil("cat blocked") {
      cat = childrenOf(sh.pid).first { procStatusField($0, "Name") == "cat" } ?? 0
      return cat != 0 && blockedSyscall(cat) == 0
    }
    let r = try CLI.run(["why", "\(cat)"])
    for c in childrenOf(sh.pid) { kill(c, SIGKILL) }
    return r.status == 0
  }
}
