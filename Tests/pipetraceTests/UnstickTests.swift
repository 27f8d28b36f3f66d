import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `--unstick-after` when the leaked holder is itself traced and blocked in a traced call (wait4,
/// read, poll): the loop holds every thread of it at a known stop, closes, and lets it go on. It
/// used to wait for that stop in a nested waitpid and hang there, deaf to SIGINT and SIGTERM.
final class UnstickTests: XCTestCase {
  var processes: TestProcesses!

  override func setUpWithError() throws { processes = try TestProcesses() }
  override func tearDown() { processes.cleanUp() }

  /// Holders that block in a traced call, each holding the reader's pipe as stdout and writing its
  /// pid to the file `holder`. The python ones wait on a socketpair of their own, which no stuck
  /// detector calls a hang.
  static let holders: [(name: String, command: String, blockedIn: Set<Int>)] = [
    ("wait4", "sh -c 'echo $$ > holder; sleep 120; true'", [61]),
    ("read", "python3 -c 'import os; open(\"holder\", \"w\").write(f\"{os.getpid()}\\n\"); import socket; r, w = socket.socketpair(); os.read(r.fileno(), 1)'", [0]),
    ("poll", "python3 -c 'import os, select; open(\"holder\", \"w\").write(f\"{os.getpid()}\\n\"); import socket; r, w = socket.socketpair(); p = select.poll(); p.register(r.fileno(), select.POLLIN); p.poll(120000)'", [7, 219]),
  ]

  /// The reader: a shell waiting for `$(HOLDER & echo hi)`, which writes what it got to `got`
  /// (and then, with `linger`, sleeps).
  func readerScript(_ holder: String, linger: Bool = true, gate: Bool = false) -> String {
    (gate ? ": < go; " : "") + "out=$(\(holder.replacingOccurrences(of: "python3", with: TestProcesses.python)) & echo hi); echo \"got $out\" > got"
      + (linger ? "; sleep 120" : "")
  }

  func removeFiles() {
    for name in ["got", "holder", "reader", "go"] { try? FileManager.default.removeItem(atPath: processes.directory.appendingPathComponent(name).path) }
  }

  func gotFile() -> String { processes.directory.appendingPathComponent("got").path }

  func waitForReaderOutput() throws -> String {
    var text = ""
    try waitUntil("the reader unblocked", timeout: 30) {
      text = (try? String(contentsOfFile: gotFile(), encoding: .utf8)) ?? ""
      return text.hasSuffix("\n")
    }
    return text
  }

  /// A child subreaper running the reader: the leaked holder, orphaned when the command
  /// substitution's subshell ends, becomes its child instead of init's, so `-p SUBREAPER --tree`
  /// traces the holder too.
  func launchUnderSubreaper(_ script: String) throws -> (subreaper: Child, reader: Int32) {
    let python = """
      import ctypes, os, sys
      ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
      pid = os.fork()
      if pid == 0:
          os.execv("/bin/sh", ["sh", "-c", sys.argv[1]])
      open("reader", "w").write(f"{pid}\\n")
      while True:
          try:
              os.wait()
          except ChildProcessError:
              break
      """
    let subreaper = try processes.launch(["python3", "-c", python, script])
    return (subreaper, try processes.pid(fromFile: "reader"))
  }

  /// Attached with --tree to a tree that holds the reader and then starts its holder (the reader
  /// waits at the FIFO `go` until the trace is attached: the trace sees the holder's parent fork it
  /// and exit, which proves the subreaper adopted a leak; from /proc alone the holder is a sibling of
  /// the reader under their live parent, no proven leak, and is left alone): the holder's fd is closed
  /// while it is blocked in its own traced call; SIGINT then ends pipetrace within a second and
  /// every process is left running, untraced, not stopped, blocked where it was.
  func testAttachedUnstickOfATracedBlockedHolderThenSIGINT() throws {
    for holder in Self.holders {
      XCTAssertEqual(mkfifo(processes.directory.appendingPathComponent("go").path, 0o600), 0)
      let (subreaper, readerPid) = try launchUnderSubreaper(readerScript(holder.command, gate: true))
      // Everything under the subreaper (the holder's and the reader's sleeps too), by pid, also
      // when an assertion throws.
      defer {
        func tree(_ pid: Int32) -> [Int32] { childrenOf(pid).flatMap { [$0] + tree($0) } }
        for pid in tree(subreaper.pid) {
          processes.adopt(pid)
          kill(pid, SIGKILL)
        }
        kill(subreaper.pid, SIGKILL)
        subreaper.wait()
        removeFiles()
      }
      let trace = temporaryFile("unstick-\(holder.name).txt")
      defer { unlink(trace) }
      let tracer = try BackgroundProcess(
        CLI.binary, ["-o", trace, "--stuck-after", "0.3", "--unstick-after", "0.3", "--tree", "-p", String(subreaper.pid)])
      defer { tracer.stop() }
      try waitUntil("the tree attached") {
        [subreaper.pid, readerPid].allSatisfy { procStatusField($0, "TracerPid") == String(tracer.pid) }
      }
      let gate = open(processes.directory.appendingPathComponent("go").path, O_WRONLY)
      XCTAssertGreaterThanOrEqual(gate, 0)
      close(gate)
      let holderPid = try processes.pid(fromFile: "holder")
      XCTAssertEqual(try waitForReaderOutput(), "got hi\n", "holder in \(holder.name)")
      // The reader now sleeps; the holder is blocked again in its own call.
      try waitUntilBlocked(holderPid, in: holder.blockedIn)
      let signalled = Date()
      kill(tracer.pid, SIGINT)
      let status = try tracer.wait(timeout: 5)
      let took = Date().timeIntervalSince(signalled)
      XCTAssertEqual(status, 0, "pipetrace exit status after SIGINT (holder in \(holder.name))")
      XCTAssertLessThan(took, 1.0, "pipetrace took \(took) s to end after SIGINT (holder in \(holder.name))")
      for pid in [subreaper.pid, readerPid, holderPid] {
        XCTAssertTrue(isAlive(pid), "\(pid) died (holder in \(holder.name))")
        XCTAssertEqual(procStatusField(pid, "TracerPid"), "0", "\(pid) still traced (holder in \(holder.name))")
        XCTAssertFalse(procStatusField(pid, "State")?.hasPrefix("t") ?? true, "\(pid) left stopped")
        XCTAssertFalse(procStatusField(pid, "State")?.hasPrefix("T") ?? true, "\(pid) left stopped")
      }
      try waitUntilBlocked(holderPid, in: holder.blockedIn)
      // Its stdout no longer holds the reader's pipe: /dev/null is in its place (no hole), and
      // nothing else changed.
      XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(holderPid)/fd/1"), "/dev/null")
      let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
      XCTAssertTrue(text.contains("inject-close \(holderPid) fd 1 (pipe:"), "trace names the close:\n\(text.suffix(2000))")
      // The holder was traced: the replacement went through the trace (a dup2 line of its own).
      XCTAssertTrue(text.split(separator: "\n").contains { $0.hasPrefix("\(holderPid) ") && $0.contains("</dev/null>, 1<pipe:") },
                    "the replacement ran through the trace:\n\(text.suffix(2000))")
    }
  }

  /// The first look cannot prove the leak, a later one can: a subreaper reader (Python, SIGCHLD
  /// blocked so that no signal restarts its poll as a new call) runs a shell that backgrounds a
  /// sleep holding the pipe and then waits at the FIFO `go`. While that shell lives, the sleep is
  /// not leaked (its parent is a live writer): the trace refuses. Once the test opens `go` the shell
  /// exits, the sleep is adopted by the reader, and the trace, looking at the same blocked call
  /// again, proves the leak and closes. The refusal is said once, then the action.
  func testALeakProvenAfterTheFirstLookIsClosed() throws {
    XCTAssertEqual(mkfifo(processes.directory.appendingPathComponent("go").path, 0o600), 0)
    try processes.write("reader.py", """
      import ctypes, os, signal, subprocess
      ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
      signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
      open('reader', 'w').write(f'{os.getpid()}\\n')
      r = subprocess.run('echo $$ > shell; sleep 300 & echo $! > holder; echo hi; : < go', shell=True, capture_output=True)
      open('got', 'w').write(f'got {r.stdout!r}\\n')
      """)
    let trace = temporaryFile("unstick-later.txt")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(
      CLI.binary, ["-o", trace, "--stuck-after", "0.3", "--unstick-after", "0.3", "--", TestProcesses.python, "reader.py"],
      directory: processes.directory.path)
    defer { tracer.stop() }
    // pid(fromFile:) adopts each for clean-up by pid.
    let reader = try processes.pid(fromFile: "reader")
    let shell = try processes.pid(fromFile: "shell")
    let holder = try processes.pid(fromFile: "holder")
    func text() -> String { (try? String(contentsOfFile: trace, encoding: .utf8)) ?? "" }
    let refusal = "# pipetrace: unstick \(reader): refused ("
    try waitUntil("the first look refused", timeout: 30) { text().contains(refusal) }
    XCTAssertTrue(isAlive(shell), "the holder's parent is still alive at the first look")
    let gate = open(processes.directory.appendingPathComponent("go").path, O_WRONLY)
    XCTAssertGreaterThanOrEqual(gate, 0)
    close(gate)
    XCTAssertEqual(try waitForReaderOutput(), "got b'hi\\n'\n")
    XCTAssertEqual(try tracer.wait(timeout: 30), 0)
    let lines = text().split(separator: "\n")
    let refused = lines.indices.filter { lines[$0].contains(refusal) }
    let acted = lines.indices.filter { lines[$0].contains("# pipetrace: unstick \(reader): acting on a proven leak: \(holder) fd ") }
    let closed = lines.indices.filter { lines[$0].contains("# pipetrace: inject-close \(holder) fd 1 (pipe:") }
    XCTAssertEqual(refused.count, 1, "the refusal is said once:\n\(text().suffix(4000))")
    XCTAssertEqual(acted.count, 1, "acted on once:\n\(text().suffix(4000))")
    XCTAssertEqual(closed.count, 1, "closed once:\n\(text().suffix(4000))")
    if let r = refused.first, let a = acted.first, let c = closed.first {
      XCTAssertTrue(r < a && a < c, "refused, then acted, then closed:\n\(text().suffix(4000))")
    }
    XCTAssertTrue(isAlive(holder), "the holder is closed, not killed")
    XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(holder)/fd/1"), "/dev/null")
    removeFiles()
  }

  /// Launched: the injected close is a traced call of the holder. The reader gets its output, the
  /// command exits, and the trace ends with it: the holders run on, untraced (with --unstick-after
  /// no seccomp filter is installed, so they can), and pipetrace exits with the command's status.
  func testLaunchedUnstickOfATracedBlockedHolderEndsWithTheCommand() throws {
    for holder in Self.holders {
      let trace = temporaryFile("unstick-launch-\(holder.name).json")
      defer { unlink(trace) }
      let script = readerScript(holder.command, linger: false)
      let tracer = try BackgroundProcess(
        CLI.binary, ["--json", "-o", trace, "--stuck-after", "0.3", "--unstick-after", "0.3", "--", "/bin/sh", "-c", script],
        directory: processes.directory.path)
      defer { tracer.stop() }
      XCTAssertEqual(try waitForReaderOutput(), "got hi\n", "holder in \(holder.name)")
      let status = try tracer.wait(timeout: 30)
      let events = (try? JSONLines.read(trace)) ?? []
      let pids = events.filter { $0["event"] as? String == "fork" }.compactMap { ($0["child"] as? Int).map(Int32.init) }
      let leftovers = pids.filter(isAlive)
      defer {
        for pid in leftovers where isAlive(pid) { kill(pid, SIGKILL) }
        for pid in leftovers { processes.adopt(pid) }
      }
      XCTAssertEqual(status, 0, "holder in \(holder.name)")
      XCTAssertTrue(events.contains { ($0["text"] as? String).map { $0.contains("inject-close") && $0.contains(": replaced by /dev/null") } ?? false },
                    "no close reported (holder in \(holder.name)):\n\((try? String(contentsOfFile: trace, encoding: .utf8))?.suffix(3000) ?? "no trace")")
      XCTAssertFalse(leftovers.isEmpty, "the holder did not outlive the command (holder in \(holder.name))")
      for pid in leftovers {
        XCTAssertEqual(procStatusField(pid, "TracerPid"), "0", "\(pid) still traced (holder in \(holder.name))")
        XCTAssertFalse(procStatusField(pid, "State")?.hasPrefix("T") ?? false, "\(pid) left stopped")
      }
      removeFiles()
    }
  }
}

/// Launched with `--unstick-after`, the trace ends with the command: the holder it unstuck (or any
/// other leftover) runs on untraced, and pipetrace exits with the command's status.
final class UnstickLeftoverTests: XCTestCase {
  func testTheTraceEndsWithTheCommandAndLeavesTheHolderRunning() throws {
    let pidFile = temporaryFile("holder.pid")
    defer { unlink(pidFile) }
    var holder: Int32 = 0
    defer { if holder > 0 && isAlive(holder) { kill(holder, SIGKILL) } }
    let started = Date()
    let r = try CLI.run(["-o", "/dev/null", "--stuck-after", "1", "--unstick-after", "1", "--", "/bin/sh", "-c",
                         "{ sleep 300 2>/dev/null & echo $! > \"$0\"; echo hi; } | wc -l; exit 3", pidFile], timeout: 60)
    holder = Int32(((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    XCTAssertEqual(r.status, 3, r.stderr)
    XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespaces), "1\n")
    XCTAssertLessThan(Date().timeIntervalSince(started), 30, "it waited for the leftover")
    XCTAssertGreaterThan(holder, 0)
    XCTAssertTrue(isAlive(holder), "the leftover was killed")
    XCTAssertEqual(procStatusField(holder, "TracerPid"), "0", "the leftover is still traced")
    XCTAssertEqual(procStatusField(holder, "Seccomp"), "0", "the leftover carries a seccomp filter")
  }
}
