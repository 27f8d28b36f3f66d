import CTrace
import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// The loop's parts that need no tracee: wait statuses decoded, the seccomp program evaluated for
/// every syscall number, strace lines from hand-built events, the JSON writer read back, the stuck
/// detector's decisions from canned calls, and FdEffect applied to both fd models.
final class LoopPartsTests: XCTestCase {
  // MARK: Wait statuses

  func testWaitStatusesDecodeOnce() {
    // Encoded as the kernel does (see wait(2) / <bits/waitstatus.h>).
    XCTAssertEqual(TraceStop(status: 3 << 8), .exited(code: 3))
    XCTAssertEqual(TraceStop(status: SIGKILL), .killed(signal: SIGKILL, coreDumped: false))
    XCTAssertEqual(TraceStop(status: SIGSEGV | 0x80), .killed(signal: SIGSEGV, coreDumped: true))
    func stopped(_ sig: Int32, event: Int32 = 0) -> Int32 { 0x7f | (sig << 8) | (event << 16) }
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP | 0x80)), .syscall)
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 7)), .seccomp)
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 1)), .newTask(.fork))
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 2)), .newTask(.vfork))
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 3)), .newTask(.clone))
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 4)), .exec)
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 128)), .interrupt)
    XCTAssertEqual(TraceStop(status: stopped(SIGSTOP, event: 128)), .groupStop(signal: SIGSTOP))
    XCTAssertEqual(TraceStop(status: stopped(SIGTTIN, event: 128)), .groupStop(signal: SIGTTIN))
    XCTAssertEqual(TraceStop(status: stopped(SIGUSR1)), .signal(SIGUSR1))
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP)), .signal(SIGTRAP))
    XCTAssertEqual(TraceStop(status: 0xffff), .other(status: 0xffff))  // WIFCONTINUED
    // Events the tracer never asks for (PTRACE_EVENT_VFORK_DONE, PTRACE_EVENT_EXIT): nothing to act on.
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 5)), .other(status: stopped(SIGTRAP, event: 5)))
    XCTAssertEqual(TraceStop(status: stopped(SIGTRAP, event: 6)), .other(status: stopped(SIGTRAP, event: 6)))
    XCTAssertEqual(TraceStop.killed(signal: SIGTERM, coreDumped: false).shellStatus, 128 + SIGTERM)
  }

  // MARK: strace lines

  func render(_ events: [Event], style: StraceFormatter.PidStyle = .column) throws -> [String] {
    let path = temporaryFile("formatter")
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    defer {
      close(fd)
      unlink(path)
    }
    let formatter = StraceFormatter(output: OutputBuffer(fd: fd), pidStyle: style)
    for e in events { formatter.handle(e) }
    formatter.finish()
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
      .dropLast().map(String.init)
  }

  /// A SIGCHLD for a child that exited with 0 (CLD_EXITED).
  func childExited(_ pid: Int32) -> SignalInfo {
    var info = SignalInfo(signo: SIGCHLD, code: 1)
    info.pid = pid
    return info
  }

  static let pipeTarget = FdTarget(kind: .pipe, path: "pipe:[44876238]", inode: 44876238)

  func read(tid: Int32, at ts: Double, ret: Int64?, dur: Double?) -> SyscallRecord {
    var r = SyscallRecord(pid: 100, tid: tid, name: "read", number: 0, args: [.fd(3, Self.pipeTarget)], timestamp: ts)
    r.moreArgsAtExit = true
    if let ret {
      r.args += [.string(Array("start ok\n".utf8), truncated: false), .uint(4096)]
      r.ret = ret
      r.duration = dur
    }
    return r
  }

  func testWholeLinesErrorsSignalsExitsAndNotes() throws {
    var close = SyscallRecord(pid: 100, tid: 100, name: "close", number: 3, args: [.fd(9, nil)], timestamp: 1764196800.2)
    close.ret = -1
    close.errno = .EBADF
    close.duration = 0.000003
    var exitGroup = SyscallRecord(pid: 101, tid: 101, name: "exit_group", number: 231, args: [.int(0)], timestamp: 1764196800.3)
    exitGroup.ret = nil
    let lines = try render([
      .syscall(read(tid: 100, at: 1764196800.123456, ret: 9, dur: 0.000012)),
      .syscall(close),
      .signal(SignalRecord(pid: 100, tid: 100, info: childExited(101), timestamp: 1764196800.25)),
      .syscall(exitGroup),
      .exit(pid: 101, tid: 101, code: 0, signal: nil, coreDumped: false, timestamp: 1764196800.31),
      .exit(pid: 102, tid: 102, code: nil, signal: SIGKILL, coreDumped: false, timestamp: 1764196800.32),
      .note(pid: 100, text: "pipetrace: first\nsecond", timestamp: 1764196800.4),
    ])
    XCTAssertEqual(lines, [
      #"100   1764196800.123456 read(3<pipe:[44876238]>, "start ok\n", 4096) = 9 <0.000012>"#,
      "100   1764196800.200000 close(9) = -1 EBADF (Bad file descriptor) <0.000003>",
      "100   1764196800.250000 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---",
      "101   1764196800.300000 exit_group(0) = ?",
      "101   1764196800.310000 +++ exited with 0 +++",
      "102   1764196800.320000 +++ killed by SIGKILL +++",
      "100   1764196800.400000 # pipetrace: first",
      "100   1764196800.400000 # second",
    ])
  }

  /// A call that blocks while another task prints is split, as strace splits it.
  func testUnfinishedAndResumed() throws {
    let other = SyscallRecord(pid: 101, tid: 101, name: "getpid", number: 39, args: [], ret: 101,
                              timestamp: 1764196800.5, duration: 0.000001)
    let lines = try render([
      .syscallEntry(read(tid: 100, at: 1764196800.0, ret: nil, dur: nil)),
      .syscall(other),
      .syscall(read(tid: 100, at: 1764196800.0, ret: 9, dur: 1.25)),
    ], style: .bracketed)
    XCTAssertEqual(lines, [
      "[pid   100] 1764196800.000000 read(3<pipe:[44876238]>,  <unfinished ...>",
      "[pid   101] 1764196800.500000 getpid() = 101 <0.000001>",
      #"[pid   100] 1764196801.250000 <... read resumed>"start ok\n", 4096) = 9 <1.250000>"#,
    ])
    // Not split when nothing came between entry and exit.
    let whole = try render([
      .syscallEntry(read(tid: 100, at: 1764196800.0, ret: nil, dur: nil)),
      .syscall(read(tid: 100, at: 1764196800.0, ret: 9, dur: 1.25)),
    ])
    XCTAssertEqual(whole, [#"100   1764196800.000000 read(3<pipe:[44876238]>, "start ok\n", 4096) = 9 <1.250000>"#])
  }

  func testRestartSyscallNamesTheCallItResumes() throws {
    var r = SyscallRecord(pid: 7, tid: 7, name: "restart_syscall", number: 219,
                          args: [.raw("<... resuming interrupted poll ...>")], ret: 0, timestamp: 1764196800, duration: 2)
    r.resumes = ResumedCall(name: "poll", args: [], started: nil)
    XCTAssertEqual(try render([.syscall(r)]), ["7     1764196800.000000 restart_syscall(<... resuming interrupted poll ...>) = 0 <2.000000>"])
  }

  // MARK: JSON lines written and read back

  func testJSONWriterReaderRoundTrip() throws {
    let path = temporaryFile("roundtrip.jsonl")
    defer { unlink(path) }
    var pipe2 = SyscallRecord(pid: 100, tid: 101, name: "pipe2", number: 293,
                              args: [.array([.fd(3, Self.pipeTarget), .fd(4, Self.pipeTarget)], truncated: false), .symbol("O_CLOEXEC")],
                              ret: 0, timestamp: 1764196800.1, duration: 0.000008)
    pipe2.retIsHex = false
    var failed = SyscallRecord(pid: 100, tid: 100, name: "close", number: 3, args: [.fd(9, nil)], timestamp: 1764196800.2)
    failed.ret = -1
    failed.errno = .EBADF
    failed.duration = 0.000003
    var dup = SyscallRecord(pid: 100, tid: 100, name: "dup2", number: 33, args: [.fd(4, Self.pipeTarget), .int(1)],
                            ret: 1, timestamp: 1764196800.25, duration: 0.00001)
    dup.retTarget = Self.pipeTarget
    let unfinished = SyscallRecord(pid: 102, tid: 102, name: "read", number: 0, args: [.fd(0, nil)], timestamp: 1764196800.9)
    let events: [Event] = [
      .syscall(pipe2), .syscall(failed), .syscall(dup), .syscall(unfinished),
      .fork(pid: 100, tid: 100, child: 102, kind: .vfork, timestamp: 1764196800.3),
      .exec(pid: 102, tid: 102, path: "/bin/sleep", argv: ["sleep", "300", "a \"quoted\" arg\n"], timestamp: 1764196800.4),
      .signal(SignalRecord(pid: 100, tid: 100, info: childExited(102), timestamp: 1764196800.5)),
      .exit(pid: 102, tid: 102, code: nil, signal: SIGKILL, coreDumped: true, timestamp: 1764196800.6),
      .detached(pid: 103, tid: 104, timestamp: 1764196800.7),
      .note(pid: 100, text: "why:\n\tline two", timestamp: 1764196800.8),
    ]
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    let writer = JSONLinesWriter(output: OutputBuffer(fd: fd))
    writer.writeStart(command: ["sh", "-c", "x"], attached: [], timestamp: 1764196800)
    for e in events { writer.handle(e) }
    writer.finish()
    close(fd)
    let reader = try JSONLinesReader(path: path)
    var back: [Event] = []
    while let e = reader.next() { back.append(e) }
    XCTAssertEqual(back.count, events.count)
    for (a, b) in zip(events, back) {
      XCTAssertEqual(describe(a), describe(b))
    }
  }

  /// A stable description of an event's content (what both sides must agree on).
  func describe(_ e: Event) -> String {
    switch e {
    case .syscall(let r), .syscallEntry(let r):
      let ts = String(format: "%.6f", r.timestamp), dur = r.duration.map { String(format: "%.6f", $0) } ?? "nil"
      return "syscall \(r.pid)/\(r.tid) \(r.name)(\(r.args.map(StraceText.render).joined(separator: ", "))) = "
        + "\(r.ret.map(String.init) ?? "?") \(r.errno?.name ?? "") \(r.retTarget?.path ?? "") @\(ts) \(dur)"
    case .fork(let p, let t, let c, let k, let ts): return "fork \(p)/\(t) \(c) \(k) \(String(format: "%.6f", ts))"
    case .exec(let p, let t, let path, let argv, let ts): return "exec \(p)/\(t) \(path) \(argv) \(String(format: "%.6f", ts))"
    case .exit(let p, let t, let c, let s, let core, let ts):
      return "exit \(p)/\(t) \(String(describing: c)) \(String(describing: s)) \(core) \(String(format: "%.6f", ts))"
    case .signal(let r): return "signal \(r.pid)/\(r.tid) \(r.signo) \(r.code) \(r.senderPid) \(String(format: "%.6f", r.timestamp))"
    case .personality(let p, let t, let arch, let ts): return "personality \(p)/\(t) \(arch) \(String(format: "%.6f", ts))"
    case .detached(let p, let t, let ts): return "detached \(p)/\(t) \(String(format: "%.6f", ts))"
    case .note(let p, let text, let ts): return "note \(p) \(text) \(String(format: "%.6f", ts))"
    }
  }

  // MARK: The stuck detector's decisions

  func pollRecord(tid: Int32, started: Double, on target: FdTarget?) -> SyscallRecord {
    SyscallRecord(pid: tid, tid: tid, name: "poll",
                  number: 7, args: [.array([.structure([.init("fd", .fd(3, target)), .init("events", .symbol("POLLIN"))])], truncated: false),
                                    .uint(1), .int(-1)], timestamp: started)
  }

  func testResponderDecisions() {
    let responder = HangResponder(diagnoseAfter: 5, unstickAfter: 10)
    let onPipe = pollRecord(tid: 10, started: 1, on: Self.pipeTarget)
    XCTAssertEqual(responder.decide(tid: 10, record: onPipe, blockedFor: 1), .ignore, "too early")
    XCTAssertEqual(responder.decide(tid: 10, record: onPipe, blockedFor: 6), .diagnose)
    XCTAssertEqual(responder.decide(tid: 10, record: onPipe, blockedFor: 11), .diagnoseAndFix, "a fix comes with its diagnosis")
    let socket = FdTarget(kind: .socket, path: "socket:[9]", inode: 9)
    XCTAssertEqual(responder.decide(tid: 11, record: pollRecord(tid: 11, started: 1, on: socket), blockedFor: 60), .diagnoseAndFix,
                   "a socket's peer can be a leaked holder too (node's execSync stdio)")
    let terminal = FdTarget(kind: .tty, path: "/dev/pts/3")
    XCTAssertEqual(responder.decide(tid: 14, record: pollRecord(tid: 14, started: 1, on: terminal), blockedFor: 60), .ignore,
                   "a terminal: its user decides")
    var sleep = SyscallRecord(pid: 12, tid: 12, name: "nanosleep", number: 35, args: [], timestamp: 1)
    XCTAssertEqual(responder.decide(tid: 12, record: sleep, blockedFor: 60), .ignore, "not a wait on an fd")
    // restart_syscall is the poll it resumes.
    sleep = SyscallRecord(pid: 13, tid: 13, name: "restart_syscall", number: 219, args: [.raw("<... resuming interrupted poll ...>")],
                          timestamp: 2)
    sleep.resumes = ResumedCall(name: "poll", args: onPipe.args, started: 1)
    XCTAssertEqual(responder.decide(tid: 13, record: sleep, blockedFor: 6), .diagnose)
    sleep.resumes = ResumedCall(name: "nanosleep", args: [], started: 1)
    XCTAssertEqual(responder.decide(tid: 13, record: sleep, blockedFor: 6), .ignore)
  }

  /// Each blocked call is diagnosed once and fixed once, whatever the number of ticks; a canned
  /// diagnosis without a fix says so in the trace.
  func testResponderActsOncePerCall() throws {
    let responder = HangResponder(diagnoseAfter: 0.5, unstickAfter: 1)
    var diagnosis = HangDiagnosis(pid: 10, comm: "reader", cmdline: "reader", state: "S", threads: [], holders: [],
                                  chain: [], verdict: "canned", cautions: [])
    diagnosis.noFixReason = "a canned reason"
    responder.diagnose = { _, _ in diagnosis }
    let notes = NoteCollector()
    let tracer = try Tracer(options: Tracer.Options(), sinks: [notes, responder])
    responder.handle(.syscallEntry(pollRecord(tid: 10, started: 1, on: Self.pipeTarget)))
    let entered = Clock.monotonic()
    responder.tick(now: entered + 0.1, tracer: tracer)
    XCTAssertTrue(notes.texts.isEmpty)
    responder.tick(now: entered + 0.6, tracer: tracer)
    responder.tick(now: entered + 0.7, tracer: tracer)
    XCTAssertEqual(notes.texts.count, 1)
    XCTAssertTrue(notes.texts[0].hasPrefix("pipetrace: poll in 10 blocked for 0.6 s"), notes.texts[0])
    responder.tick(now: entered + 1.5, tracer: tracer)
    responder.tick(now: entered + 2.5, tracer: tracer)
    XCTAssertEqual(notes.texts.count, 2)
    XCTAssertEqual(notes.texts[1], "pipetrace: unstick 10: refused (other), no proven leak: a canned reason")
    // The call returned: nothing more about it.
    var done = pollRecord(tid: 10, started: 1, on: Self.pipeTarget)
    done.ret = 1
    responder.handle(.syscall(done))
    responder.tick(now: entered + 9, tracer: tracer)
    XCTAssertEqual(notes.texts.count, 2)
  }

  /// A refused call is looked at again 1, 2, 4, … s after its first refusal (not at every tick);
  /// a refusal is said when it differs from the last one said; when a later look proves the leak
  /// the verdict is shown again with the action, which is taken once, and nothing more is asked.
  func testResponderLooksAgainUntilProven() throws {
    let responder = HangResponder(diagnoseAfter: 1, unstickAfter: 1)
    var diagnosis = HangDiagnosis(pid: 10, comm: "reader", cmdline: "reader", state: "S", threads: [], holders: [],
                                  chain: [], verdict: "canned", cautions: [])
    diagnosis.noFixReason = "a canned reason"
    var looks: [Double] = []
    var entered = 0.0
    var now = 0.0
    responder.diagnose = { _, _ in looks.append(now - entered); return diagnosis }
    let notes = NoteCollector()
    let tracer = try Tracer(options: Tracer.Options(), sinks: [notes, responder])
    responder.handle(.syscallEntry(pollRecord(tid: 10, started: 1, on: Self.pipeTarget)))
    entered = (Clock.monotonic() * 1024).rounded(.up) / 1024  // few fraction bits: sums below are exact
    func tick(_ at: Double) {
      now = entered + at
      responder.tick(now: now, tracer: tracer)
    }
    for at in stride(from: 0.5, through: 7.5, by: 0.5) { tick(at) }
    XCTAssertEqual(looks, [1, 2, 4], "the first look, then 1 s and 2 s later")
    XCTAssertEqual(notes.texts.count, 2, notes.texts.joined(separator: "\n"))
    XCTAssertTrue(notes.texts[0].hasPrefix("pipetrace: poll in 10 blocked for 1.0 s"), notes.texts[0])
    XCTAssertEqual(notes.texts[1], "pipetrace: unstick 10: refused (other), no proven leak: a canned reason")
    // Another refusal is said (once); the wait goes on doubling.
    diagnosis.noFixReason = "another reason"
    for at in stride(from: 8, through: 23.5, by: 0.5) { tick(at) }
    XCTAssertEqual(looks, [1, 2, 4, 8, 16])
    XCTAssertEqual(Array(notes.texts.dropFirst(2)), ["pipetrace: unstick 10: refused (other), no proven leak: another reason"])
    // Proven: the new verdict with its evidence, then the action, once.
    diagnosis.verdict = "proven"
    diagnosis.outcome = .fix
    diagnosis.fix = HangDiagnosis.Fix(closes: [.init(pid: Int32.max, fds: [1], expect: "pipe:[1]")])
    for at in stride(from: 24.0, through: 200, by: 1) { tick(at) }
    XCTAssertEqual(looks, [1, 2, 4, 8, 16, 32], "acted on: never looked at again")
    let after = Array(notes.texts.dropFirst(3))
    XCTAssertEqual(after.count, 3, after.joined(separator: "\n"))
    XCTAssertTrue(after[0].hasPrefix("pipetrace: poll in 10 blocked for 32.0 s; why 10:\n") && after[0].contains("proven"), after[0])
    XCTAssertEqual(after[1], "pipetrace: unstick 10: acting on a proven leak: \(Int32.max) fd 1")
    XCTAssertTrue(after[2].hasPrefix("pipetrace: inject-close \(Int32.max) failed: "), after[2])
  }

  /// The back-off between two looks doubles from 1 s and stops at 60 s; a repeated line is not said.
  func testLeakLooksBackOff() {
    var looks = LeakLooks()
    var now = 0.0
    var due: [Double] = []
    while now < 400 {
      if looks.isDue(at: now) {
        due.append(now)
        XCTAssertEqual(looks.refused("same", at: now), due.count == 1 ? "same" : nil)
      }
      now += 1
    }
    XCTAssertEqual(due, [0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363])
    XCTAssertTrue(looks.act())
    XCTAssertFalse(looks.act())
    XCTAssertFalse(looks.isDue(at: 10_000))
  }

  /// The responder's lineage proves an adoption (a forker that exited while its child lives) and
  /// keeps nothing else: an exited process is forgotten once its last recorded child exits.
  func testLineageKeepsOnlyWhatProvesAnAdoption() {
    let responder = HangResponder(diagnoseAfter: 1, unstickAfter: 1)
    responder.handle(.fork(pid: 10, tid: 10, child: 11, kind: .fork, timestamp: 1))  // reader forks a subshell
    responder.handle(.fork(pid: 11, tid: 11, child: 12, kind: .fork, timestamp: 2))  // which forks the leak
    responder.handle(.fork(pid: 12, tid: 12, child: 13, kind: .thread, timestamp: 2))
    XCTAssertNil(responder.lineage.goneParent(of: 12))
    responder.handle(.exit(pid: 11, tid: 11, code: 0, signal: nil, coreDumped: false, timestamp: 3))
    XCTAssertEqual(responder.lineage.goneParent(of: 12), 11, "the subshell is gone: 12 was adopted")
    XCTAssertNil(responder.lineage.forkedBy[13], "threads are not children")
    responder.handle(.exit(pid: 12, tid: 12, code: 0, signal: nil, coreDumped: false, timestamp: 4))
    XCTAssertTrue(responder.lineage.exited.isEmpty, "nothing left to prove")
    XCTAssertEqual(responder.lineage.forkedBy, [:])
    // A pid reused: the new process is not taken for the exited one.
    responder.handle(.fork(pid: 10, tid: 10, child: 11, kind: .fork, timestamp: 5))
    responder.handle(.fork(pid: 11, tid: 11, child: 14, kind: .fork, timestamp: 6))
    XCTAssertNil(responder.lineage.goneParent(of: 14))
  }

  /// A child that forks and exits before the trace takes its parent's fork stop: its own fork
  /// event comes after its exit (seen: a command substitution's subshell forking the leak under
  /// load). The adoption it leaves stays proven; a later process with that pid (reused) proves
  /// nothing for its own children while it lives.
  func testLineageProvesAnAdoptionWhoseForkerWasAnnouncedLate() {
    let responder = HangResponder(diagnoseAfter: 1, unstickAfter: 1)
    responder.handle(.fork(pid: 11, tid: 11, child: 12, kind: .fork, timestamp: 2))  // the subshell forks the leak
    responder.handle(.exit(pid: 11, tid: 11, code: 0, signal: nil, coreDumped: false, timestamp: 3))  // and exits
    responder.handle(.fork(pid: 10, tid: 10, child: 11, kind: .fork, timestamp: 4))  // the reader's fork stop, late
    XCTAssertEqual(responder.lineage.goneParent(of: 12), 11, "12 was adopted from the gone 11")
    // Pid 11 again, alive: its own child is no leak; the old adoption stays proven.
    responder.handle(.fork(pid: 10, tid: 10, child: 11, kind: .fork, timestamp: 5))
    responder.handle(.fork(pid: 11, tid: 11, child: 13, kind: .fork, timestamp: 6))
    XCTAssertNil(responder.lineage.goneParent(of: 13), "its parent 11 lives")
    XCTAssertEqual(responder.lineage.goneParent(of: 12), 11)
    responder.handle(.exit(pid: 11, tid: 11, code: 0, signal: nil, coreDumped: false, timestamp: 7))
    XCTAssertEqual(responder.lineage.goneParent(of: 13), 11, "now its parent is gone too")
    for pid: Int32 in [12, 13, 11] { responder.handle(.exit(pid: pid, tid: pid, code: 0, signal: nil, coreDumped: false, timestamp: 8)) }
    XCTAssertNil(responder.lineage.goneParent(of: 12))
    XCTAssertTrue(responder.lineage.exited.isEmpty, "nothing left to prove")
  }

  final class NoteCollector: EventSink {
    var texts: [String] = []
    func handle(_ event: Event) { if case .note(_, let text, _) = event { texts.append(text) } }
    func finish() {}
  }

  // MARK: One FdEffect, two models

  func testFdEffectsOfDecodedAndBareArguments() {
    func rec(_ name: String, _ args: [ArgValue], ret: Int64 = 0, errno: Errno? = nil) -> SyscallRecord {
      var r = SyscallRecord(pid: 1, tid: 1, name: name, number: 0, args: args, ret: ret, timestamp: 0)
      r.errno = errno
      if errno != nil { r.ret = -1 }
      return r
    }
    // Decoded (a live shown call or a saved trace) and bare (a hidden call) give the same effect.
    XCTAssertEqual(FdEffect.of(rec("dup3", [.fd(4, nil), .int(1), .symbol("O_CLOEXEC")], ret: 1)),
                   [.duplicate(old: 4, new: 1, closeOnExec: true)])
    XCTAssertEqual(FdEffect.of(rec("dup3", [.fd(4, nil), .int(1), .uint(0o2000000)], ret: 1)),
                   [.duplicate(old: 4, new: 1, closeOnExec: true)])
    XCTAssertEqual(FdEffect.of(rec("close_range", [.uint(3), .uint(UInt64(UInt32.max)), .symbol("CLOSE_RANGE_CLOEXEC")])),
                   [.markCloseOnExec(first: 3, last: Int64(UInt32.max))])
    XCTAssertEqual(FdEffect.of(rec("close_range", [.uint(3), .symbol("~0"), .uint(0)])), [.closeRange(first: 3, last: Int64(UInt32.max))])
    XCTAssertEqual(FdEffect.of(rec("fcntl", [.fd(3, nil), .symbol("F_DUPFD_CLOEXEC"), .int(10)], ret: 10)),
                   [.duplicate(old: 3, new: 10, closeOnExec: true)])
    XCTAssertEqual(FdEffect.of(rec("fcntl", [.fd(3, nil), .symbol("F_SETFD"), .symbol("FD_CLOEXEC")])), [.setCloseOnExec(3, true)])
    XCTAssertEqual(FdEffect.of(rec("pipe2", [.array([.fd(3, nil), .fd(4, nil)], truncated: false), .symbol("O_CLOEXEC")])),
                   [.pipe(read: 3, write: 4, closeOnExec: true)])
    // close releases the fd even when it fails with EINTR; EBADF means nothing was open.
    XCTAssertEqual(FdEffect.of(rec("close", [.fd(5, nil)], errno: .EINTR)), [.close(5)])
    XCTAssertEqual(FdEffect.of(rec("close", [.fd(5, nil)], errno: .EBADF)), [])
    XCTAssertEqual(FdEffect.of(rec("dup2", [.fd(4, nil), .int(1)], errno: .EBADF)), [])
    XCTAssertEqual(FdEffect.of(rec("openat", [.symbol("AT_FDCWD")], ret: 7)), [.opened(7)])

    // The live cache follows the same effects: dup2 gives fd 1 the pipe, close forgets it.
    let cache = FdTargetCache()
    let self_ = getpid()
    let pipeTarget = cache.target(of: 0, tid: self_)  // whatever stdin is: read once, then cached
    cache.apply(.duplicate(old: 0, new: 99, closeOnExec: false))
    XCTAssertEqual(cache.target(of: 99, tid: self_), pipeTarget, "fd 99 is not open here: only the effect can know it")
    cache.apply(.close(99))
    XCTAssertNil(cache.target(of: 99, tid: self_))
  }
}
