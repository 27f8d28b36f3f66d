import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The tracing engine through the CLI, on real processes.
final class TraceTests: XCTestCase {
  /// A fork chain 2000 deep (each process forks and execs the next and waits for it: 2000 processes
  /// alive at the bottom) is traced to its end: every process's fork and exit are in the trace, the
  /// command's status comes through, nothing is left. The time is bounded only by the run's timeout;
  /// the rate at depth (steady to 10,000) is Benchmarks/fork_chain.sh's to measure.
  func testADeepForkChainIsTracedToTheBottom() throws {
    let program = try compileFixture("fork_chain")
    let trace = temporaryFile("chain.jsonl")
    defer { unlink(trace) }
    let depth = 2000
    let r = try CLI.run(["--json", "-o", trace, "--", program, String(depth), "0", "exec"], timeout: 600)
    XCTAssertEqual(r.status, 0, r.stderr)
    let events = try JSONLines.read(trace)
    let exits = events.filter { $0["event"] as? String == "exit" }
    let forks = events.filter { $0["event"] as? String == "fork" }
    XCTAssertEqual(exits.count, depth)
    XCTAssertEqual(Set(exits.compactMap { $0["pid"] as? Int }).count, depth)
    XCTAssertTrue(exits.allSatisfy { $0["code"] as? Int == 0 })
    XCTAssertEqual(forks.count, depth - 1)
  }

  /// 300 processes (more tracees than the tracer walks with waitpid(-1): it sleeps for SIGCHLD and
  /// takes the task each one names) wake at the same moment and each makes 20 dup/close pairs: far
  /// more stops at once than SIGCHLDs (one sent while another is pending is dropped). Every stop is
  /// taken: every call and every exit is in the trace and the command ends with its status. A stop
  /// lost would leave its process stopped for good and the run to its timeout.
  func testStopsThatComeTogetherAmongManyTraceesAreAllTaken() throws {
    let program = try compileFixture("stop_storm")
    let trace = temporaryFile("storm.jsonl")
    defer { unlink(trace) }
    let (children, calls) = (300, 20)
    let r = try CLI.run(["--json", "-o", trace, "--", program, String(children), String(calls)], timeout: 300)
    XCTAssertEqual(r.status, 0, r.stderr)
    let events = try JSONLines.read(trace)
    let exits = events.filter { $0["event"] as? String == "exit" }
    XCTAssertEqual(Set(exits.compactMap { $0["pid"] as? Int }).count, children + 1)
    var dups: [Int: Int] = [:]
    for e in events where e["event"] as? String == "syscall" && e["name"] as? String == "dup" {
      dups[e["pid"] as? Int ?? 0, default: 0] += 1
    }
    XCTAssertEqual(dups.count, children)
    XCTAssertEqual(Set(dups.values), [calls])
  }

  /// A program whose own seccomp filter returns SECCOMP_RET_TRACE (getpid with data 0, close with
  /// 0x1234) gets ENOSYS for those calls untraced, the kernel's rule when no tracer asked for
  /// seccomp stops. Traced, the results are the same: with pipetrace's filter (only its own tagged
  /// stops are its; any other is skipped with ENOSYS as the kernel would), without a filter
  /// (-e trace=all) and with --no-seccomp; the trace shows the calls failing with ENOSYS.
  func testATraceesOwnSeccompTraceActionKeepsItsResult() throws {
    let program = try compileFixture("seccomp_ret_trace")
    let untraced = try runProgram(program, [])
    XCTAssertEqual(untraced.stdout, "getpid=-1 errno=38\nclose=-1 errno=38 still-open=1\n")
    for mode in [[], ["-e", "trace=getpid,close"], ["-e", "trace=all"], ["--no-seccomp"], ["--no-seccomp", "-e", "trace=close"]] {
      let trace = temporaryFile("trace")
      defer { unlink(trace) }
      let r = try CLI.run(mode + ["-o", trace, "--", program])
      XCTAssertEqual(r.status, 0, "\(mode): \(r.stderr)")
      XCTAssertEqual(r.stdout, untraced.stdout, "\(mode)")
      let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
      if mode.contains("trace=getpid,close") || mode.contains("trace=all") {
        XCTAssertTrue(text.contains("getpid() = -1 ENOSYS"), "\(mode): \(text)")
      }
      if mode != ["--no-seccomp"] {
        XCTAssertTrue(text.contains("close(3</dev/null>) = -1 ENOSYS") || text.contains("close(3) = -1 ENOSYS"),
                      "\(mode): \(text)")
      }
    }
  }

  func testExitStatusPassesThrough() throws {
    let r = try CLI.run(["-o", "/dev/null", "--", "/bin/sh", "-c", "exit 7"])
    XCTAssertEqual(r.status, 7)
  }

  func testFollowsThreadsForkVforkCloneAndExec() throws {
    let fixture = try compileFixture("threads")
    let trace = temporaryFile("threads.json")
    defer { unlink(trace) }
    let r = try CLI.run(["--json", "-o", trace, "--", fixture])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("read 36 bytes, clone child exited 5"), r.stdout)
    let events = try JSONLines.read(trace)
    let forks = events.filter { $0["event"] as? String == "fork" }
    let kinds = forks.compactMap { $0["kind"] as? String }
    XCTAssertEqual(kinds.filter { $0 == "thread" }.count, 4, "\(kinds)")
    XCTAssertEqual(kinds.filter { $0 == "vfork" }.count, 1, "\(kinds)")
    // glibc's fork() and the raw clone(SIGCHLD) are both fork events for the kernel.
    XCTAssertEqual(kinds.filter { $0 == "fork" }.count, 2, "\(kinds)")
    let execs = events.filter { $0["event"] as? String == "exec" }.compactMap { $0["path"] as? String }
    XCTAssertTrue(execs.contains("/bin/true"), "\(execs)")
    // Every thread wrote its line on the pipe, seen by the tracer as a write on pipe:[N].
    let writes = events.filter { $0["name"] as? String == "write" }
    let threadTids = Set(forks.filter { $0["kind"] as? String == "thread" }.compactMap { $0["child"] as? Int })
    let writers = Set(writes.compactMap { $0["tid"] as? Int })
    XCTAssertEqual(writers.intersection(threadTids).count, 4)
    for w in writes where threadTids.contains(w["tid"] as? Int ?? -1) {
      let fds = w["fds"] as? [[String: Any]] ?? []
      XCTAssertEqual(fds.first?["kind"] as? String, "pipe")
      XCTAssertEqual(w["pid"] as? Int, events.first { $0["event"] as? String == "exec" }?["pid"] as? Int)
    }
    // Every task that started also ended.
    let exits = Set(events.filter { $0["event"] as? String == "exit" }.compactMap { $0["tid"] as? Int })
    for child in forks.compactMap({ $0["child"] as? Int }) {
      XCTAssertTrue(exits.contains(child), "no exit event for \(child)")
    }
  }

  /// An exec event names the file the call named, not argv[0], whether the call is shown or not
  /// (the path is read at entry: at the exec event the old image's memory is gone).
  func testExecEventNamesThePathNotArgv0() throws {
    for set in ["none", "execve"] {
      let trace = temporaryFile("exec.json")
      defer { unlink(trace) }
      let r = try CLI.run(["--json", "-e", "trace=" + set, "-o", trace, "--", "/bin/sh", "-c", "exec env fakename=1 true"])
      XCTAssertEqual(r.status, 0, r.stderr)
      let execs = try JSONLines.read(trace).filter { $0["event"] as? String == "exec" }
      let paths = execs.compactMap { $0["path"] as? String }
      let argv0s = execs.compactMap { ($0["argv"] as? [String])?.first }
      // sh as launched; env by sh's PATH search; true by env's PATH search (env's execvp tries
      // each PATH entry: the one that worked is named).
      XCTAssertEqual(paths.count, 3, "\(set): \(execs)")
      XCTAssertEqual(argv0s, ["/bin/sh", "env", "true"], set)
      XCTAssertEqual(paths.first, "/bin/sh", set)
      for p in paths.dropFirst() { XCTAssertTrue(p.hasPrefix("/"), "\(set): \(paths)") }
      XCTAssertTrue(paths[1].hasSuffix("/env") && paths[2].hasSuffix("/true"), "\(set): \(paths)")
    }
  }

  /// Arguments that are not UTF-8 reach the command byte for byte (traced and under `run`); a path
  /// that is not UTF-8 shows its bytes (`\377`) as strace -y shows them; a command name that is not
  /// is escaped in the error. (The harness passes Strings, so a shell makes the bytes.)
  func testBytesThatAreNotUTF8ReachTheCommandAndShowAsTheyAre() throws {
    let dir = temporaryFile("bytes")
    XCTAssertEqual(mkdir(dir, 0o700), 0)
    defer { _ = try? FileManager.default.removeItem(atPath: dir) }
    func sh(_ script: String) throws -> ProgramResult {
      try runProgram("/bin/sh", ["-c", script, "sh", CLI.binary, dir])
    }
    let dump = #"/bin/sh -c 'printf %s "$1" | od -An -tx1' sh "$(printf 'a\377\376')""#
    let traced = try sh(#""$1" -o /dev/null -- "# + dump)
    XCTAssertEqual(traced.status, 0, traced.stderr)
    XCTAssertEqual(traced.stdout.split(separator: " ").joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines), "61 ff fe")
    let run = try sh(#""$1" run --json -- "# + dump)
    let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout + run.stderr)
    XCTAssertEqual((obj["stdout"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), "61 ff fe")

    let file = #""$2/f$(printf '\377')""#
    let paths = try sh("printf x > \(file); \"$1\" -e trace=read -- cat \(file) 2>&1 >/dev/null")
    XCTAssertEqual(paths.status, 0, paths.stdout)
    XCTAssertTrue(paths.stdout.contains(#"f\377>, "x", "#), paths.stdout)
    let missing = try sh(#""$1" -o /dev/null -- "nosuch$(printf '\377')""#)
    XCTAssertEqual(missing.status, 127)
    XCTAssertEqual(missing.stderr, "pipetrace: nosuch\\377: command not found\n")
  }

  func testKilledCommandIsReportedAndStatusIs128PlusSignal() throws {
    let trace = temporaryFile("kill.json")
    defer { unlink(trace) }
    let (p, sleeper) = try CLI.launchTracedSleep(300, trace: trace)
    defer { p.stop() }
    kill(sleeper, SIGTERM)
    try p.wait()
    XCTAssertEqual(p.child.exitCode, 143)
    let events = try JSONLines.read(trace)
    let signal = events.first { $0["event"] as? String == "signal" }
    XCTAssertEqual(signal?["sig"] as? String, "SIGTERM")
    let exit = events.last { $0["event"] as? String == "exit" }
    XCTAssertEqual(exit?["signal"] as? String, "SIGTERM")
    XCTAssertTrue(exit?["code"] is NSNull)
  }

  func testTextOutputIsStraceStyle() throws {
    let trace = temporaryFile("text.txt")
    defer { unlink(trace) }
    let r = try CLI.run(["-o", trace, "--", "/bin/sh", "-c", "echo start ok | cat >/dev/null"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    // pid column, epoch timestamp with microseconds, decoded fds, return value, duration.
    let pipe2 = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(" pipe2([") || $0.contains(" pipe([") })
    XCTAssertNotNil(pipe2.range(of: #"^\d+ +\d{10}\.\d{6} pipe2?\(\[(\d+)<pipe:\[(\d+)\]>, (\d+)<pipe:\[\d+\]>\].*\) = 0 <\d+\.\d{6}>$"#, options: .regularExpression), String(pipe2))
    XCTAssertTrue(text.contains(#"write(1<pipe:["#), text)
    XCTAssertTrue(text.contains(#""start ok\n""#), text)
    XCTAssertTrue(text.contains("+++ exited with 0 +++"), text)
    XCTAssertTrue(text.contains("wait4(-1, "), text)
  }

  /// read/close/wait4 counts equal what strace -f sees on the same deterministic command.
  /// Deterministic means each pipe gets one write: a reader of several writes may take them in one
  /// read or several, as the scheduler has it (the former script, three `cat`s into `wc`, failed 1
  /// run in 10 with 28 reads against strace's 27).
  func testSyscallCountsMatchStrace() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { throw XCTSkip("strace is not installed") }
    let script = "for i in 1 2 3; do cat /etc/hostname; done >/dev/null; printf 'a\\nb\\nc\\n' | wc -c >/dev/null; echo ab | cat >/dev/null"
    let ours = temporaryFile("ours.txt"), theirs = temporaryFile("strace.txt")
    defer { unlink(ours); unlink(theirs) }
    let a = try CLI.run(["-o", ours, "-e", "trace=read,close,wait4", "--", "/bin/sh", "-c", script])
    XCTAssertEqual(a.status, 0, a.stderr)
    let b = try runProgram("/usr/bin/strace", ["-f", "-o", theirs, "-e", "trace=read,close,wait4", "/bin/sh", "-c", script])
    XCTAssertEqual(b.status, 0, b.stderr)
    for name in ["read", "close", "wait4"] {
      let mine = try Self.count(name, in: ours), strace = try Self.count(name, in: theirs)
      XCTAssertGreaterThan(mine, 0)
      XCTAssertEqual(mine, strace, "\(name): pipetrace \(mine), strace \(strace)")
    }
  }

  /// Calls named `name`: each appears once, whole or as its `<unfinished ...>` part.
  static func count(_ name: String, in path: String) throws -> Int {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let pattern = try NSRegularExpression(pattern: #"^\d+ +(\d+\.\d+ )?\#(name)\("#, options: [.anchorsMatchLines])
    return pattern.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text))
  }

  func testAttachThenDetachLeavesLoopRunningUntraced() throws {
    let loop = try BackgroundProcess("/bin/sh", ["-c", "while :; do /bin/sleep 0.02; done"])
    defer { loop.stop() }
    let trace = temporaryFile("attach.txt")
    defer { unlink(trace) }
    let p = try BackgroundProcess(CLI.binary, ["-o", trace, "-p", String(loop.pid)])
    defer { p.stop() }
    // Traced: the loop's wait4 calls show up, and the kernel names pipetrace as its tracer.
    XCTAssertTrue(eventually {
      ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").contains("wait4(")
    })
    XCTAssertEqual(procStatusField(loop.pid, "TracerPid"), String(p.pid))
    kill(p.pid, SIGINT)
    try p.wait()
    XCTAssertEqual(p.child.exitCode, 0)
    XCTAssertEqual(procStatusField(loop.pid, "TracerPid"), "0")
    // Still looping: new sleep children keep coming, and the shell is never stopped.
    let before = try Self.lastChild(of: loop.pid)
    XCTAssertTrue(eventually { (try? Self.lastChild(of: loop.pid)) != before })
    for _ in 0..<20 {
      let state = procStatusField(loop.pid, "State") ?? "?"
      XCTAssertFalse(state.hasPrefix("T") || state.hasPrefix("t"), state)
      usleep(5000)
    }
  }

  static func lastChild(of pid: Int32) throws -> String {
    let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    return children.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func testJSONLinesParseAndFollowTheSchema() throws {
    let trace = temporaryFile("schema.json")
    defer { unlink(trace) }
    let r = try CLI.run(["--json", "-o", trace, "--", "/bin/sh", "-c", "out=$(echo start ok); echo $out >/dev/null"])
    XCTAssertEqual(r.status, 0)
    let events = try JSONLines.read(trace)
    XCTAssertEqual(events.first?["event"] as? String, "start")
    for e in events where e["event"] as? String == "syscall" {
      for key in ["pid", "tid", "ts", "name", "args", "ret", "dur"] { XCTAssertNotNil(e[key], "\(key) missing in \(e)") }
      XCTAssertTrue(e["args"] is [Any])
    }
    let read = try XCTUnwrap(events.first { $0["name"] as? String == "read" && ($0["fds"] as? [[String: Any]])?.first?["kind"] as? String == "pipe" })
    let fd = try XCTUnwrap((read["fds"] as? [[String: Any]])?.first)
    XCTAssertNotNil(fd["inode"] as? Int)
    XCTAssertTrue((fd["path"] as? String)?.hasPrefix("pipe:[") == true)
  }

  // MARK: Bad input: one line, non-zero exit.

  func testBadInputIsOneLineAndNonZero() throws {
    let cases: [([String], String)] = [
      (["-p", "99999999999"], "not a process id"),
      (["-p", "abc"], "not a process id"),
      (["-p", "0"], "not a process id"),
      (["-p", "-5"], "-p"),
      (["-p", "4194000"], "no such process: 4194000"),
      (["-p", "2"], "kernel thread"),
      (["--", "/nonexistent/program"], "command not found"),
      (["--", "no-such-command-xyz"], "command not found"),
      (["-e", "trace=read,bogus_call", "--", "/bin/true"], "unknown syscall name 'bogus_call'"),
      ([], "nothing to trace"),
    ]
    for (args, message) in cases {
      let r = try CLI.run(args)
      XCTAssertNotEqual(r.status, 0, "\(args)")
      let lines = r.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(args): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
  }

  func testZombieIsRefused() throws {
    // sleep 300 never reaps the `true` its shell started before exec'ing it: a zombie of ours.
    let parent = try BackgroundProcess("/bin/sh", ["-c", "/bin/true & exec /bin/sleep 300"])
    defer { parent.stop() }
    var zombie: Int32 = 0
    XCTAssertTrue(eventually {
      let kids = (try? String(contentsOfFile: "/proc/\(parent.pid)/task/\(parent.pid)/children", encoding: .utf8)) ?? ""
      zombie = kids.split(separator: " ").compactMap { Int32($0) }.first ?? 0
      return zombie > 0 && procStatusField(zombie, "State")?.hasPrefix("Z") == true
    })
    let r = try CLI.run(["-p", String(zombie)])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("process \(zombie) (true) is a zombie"), r.stderr)
  }

  func testAlreadyTracedProcessNamesItsTracer() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { throw XCTSkip("strace is not installed") }
    let sleeper = try BackgroundProcess("/bin/sleep", ["300"])
    defer { sleeper.stop() }
    let strace = try BackgroundProcess("/usr/bin/strace", ["-o", "/dev/null", "-p", String(sleeper.pid)])
    defer { strace.stop() }
    XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == String(strace.pid) })
    let r = try CLI.run(["-p", String(sleeper.pid)])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.stderr.contains("already traced by process \(strace.pid) (strace)"), r.stderr)
    XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
  }
}

enum JSONLines {
  static func read(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      let obj = try JSONSerialization.jsonObject(with: Data(line.utf8))
      guard let dict = obj as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
      return dict
    }
  }
}

/// pipetrace never does more than its caller may.
final class PrivilegeTests: XCTestCase {
  func testUnprivilegedUserIsToldThePtraceRule() throws {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
      throw XCTSkip("needs root (to start a root target) and setpriv")
    }
    let target = try BackgroundProcess("/bin/sleep", ["300"])
    defer { target.stop() }
    let r = try runProgram("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", CLI.binary, "-p", String(target.pid)])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("not allowed to trace process \(target.pid) (sleep): it runs as uid 0 and pipetrace as uid 65534"), r.stderr)
    XCTAssertEqual(procStatusField(target.pid, "TracerPid"), "0")
    XCTAssertEqual(procStatusField(target.pid, "State")?.first, "S")
  }
}
