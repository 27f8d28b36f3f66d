import Foundation
import XCTest

import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// The one-of-each helpers every output and reader shares: numbers as text, JSON strings,
/// /proc/PID/maps lines and /proc/PID/status.
final class SharedHelpersTests: XCTestCase {
  /// Trace timestamps and durations are on one timeline: wall time minus monotonic time is the
  /// same at every read, so a step of the system clock (a VM's clock sync) cannot put a call's end
  /// before the event that ended it. Each sample brackets that constant between two monotonic
  /// reads; all the brackets must overlap.
  func testWallClockMovesWithTheMonotonicClock() {
    var low = -Double.infinity, high = Double.infinity
    for _ in 0..<20 {
      let before = Clock.monotonic()
      let wall = Clock.wall()
      let after = Clock.monotonic()
      low = max(low, wall - after)
      high = min(high, wall - before)
      usleep(20_000)
    }
    XCTAssertLessThanOrEqual(low, high + 1e-6, "wall - monotonic moved by \(low - high) s")
    // Still epoch seconds: within a minute of the system clock.
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    XCTAssertLessThan(abs(Clock.wall() - Double(now.tv_sec)), 60)
  }

  func testFixedPointIsDecimalRounding() {
    XCTAssertEqual(NumberText.fixed(1.0005, places: 3), "1.001")
    XCTAssertEqual(NumberText.fixed(2.5, places: 0), "3")
    XCTAssertEqual(NumberText.fixed(-0.04, places: 1), "0.0")
    XCTAssertEqual(NumberText.fixed(-0.06, places: 1), "-0.1")
    XCTAssertEqual(NumberText.fixed(1_700_000_000.000150, places: 6), "1700000000.000150")
    // Beyond the integers a Double holds exactly, and not a number at all.
    XCTAssertEqual(NumberText.fixed(1e16, places: 3), "1e+16")
    XCTAssertEqual(NumberText.fixed(.nan, places: 3), "?")
  }

  func testSecondsDropTrailingZerosButKeepOne() {
    XCTAssertEqual(NumberText.seconds(100), "100.0")
    XCTAssertEqual(NumberText.seconds(1.0188230004), "1.018823")
    XCTAssertEqual(NumberText.seconds(0.5), "0.5")
    XCTAssertEqual(NumberText.seconds(-2.25), "-2.25")
  }

  func testDurationsInHumanUnits() {
    XCTAssertEqual(NumberText.duration(1.02), "1.020 s")
    XCTAssertEqual(NumberText.duration(0.25), "250.0 ms")
    XCTAssertEqual(NumberText.duration(0.000012), "12 µs")
  }

  func testTraceColumnsAndCTableRounding() {
    let out = OutputBuffer(fd: -1)
    out.append(seconds: 1.5)
    out.append(byte: 0x20)
    out.append(seconds: -3)
    out.append(byte: 0x20)
    out.append(uint: 42, width: 6)
    out.append(byte: 0x20)
    out.append(uint: UInt64.max)
    out.append(byte: 0x20)
    out.append(hex: 0x1f)
    XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), "1.500000 0.000000 000042 18446744073709551615 0x1f")
    out.bytes = []
    // strace -c rounds the binary value as C does: 0.0000005 is just below the half.
    XCTAssertEqual(NumberText.printf(places: 6, 0.0000005), "0.000000")
    XCTAssertEqual(NumberText.fixed(0.0000005, places: 6), "0.000001")
  }

  func testOneJSONEscaperForEveryWriter() {
    let hostile = "a\"b\\c\nd\u{1}e\u{7f}f é"
    let expected = #""a\"b\\c\nd\u0001e\u007ff é""#
    XCTAssertEqual(JSONString.quoted(hostile), expected)
    XCTAssertEqual(JSONValue.string(hostile).text, expected, "why --json")
    XCTAssertEqual(JSONReport.ref(EventRef(pid: 1, event: hostile, ts: 2)).text, #"{"pid":1,"event":\#(expected),"ts":2.0}"#)
    let out = OutputBuffer(fd: -1)
    JSONLinesWriter(output: out).handle(.note(pid: 1, text: hostile, timestamp: 2))
    XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), #"{"event":"note","pid":1,"ts":2.000000,"text":\#(expected)}"# + "\n")
    out.bytes = []
  }

  /// An octal escape is three digits when an octal digit follows it, in strace's escaping (`a\0012`,
  /// not `a\12`, a newline's) and in a `$'...'` word for bash, which reads up to three digits too:
  /// bash gives back the exact bytes.
  func testOctalEscapesBeforeADigitHaveThreeDigits() throws {
    XCTAssertEqual(DisplayText.escape("a\u{1}2"), #"a\0012"#)
    XCTAssertEqual(DisplayText.escape("a\u{1}9 \u{1b}"), #"a\19 \33"#)
    let words = ["a\u{1}2", "\u{1}", "x\u{85}7", "\u{1b}[1m'q'\\", "e\u{9}1 é", "a" + DisplayText.decode([0xFF, 0x35])]
    for word in words {
      let quoted = shellQuoted([word])
      let bash = Process()
      bash.executableURL = URL(fileURLWithPath: "/bin/bash")
      bash.arguments = ["-c", "printf %s " + quoted]
      let pipe = Pipe()
      bash.standardOutput = pipe
      try bash.run()
      let bytes = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
      bash.waitUntilExit()
      XCTAssertEqual(bytes, DisplayText.encode(word), quoted)
    }
    XCTAssertEqual(shellQuoted(["a\u{1}2"]), #"$'a\0012'"#)
    XCTAssertEqual(shellQuoted(["a\u{1}9"]), #"$'a\19'"#)
    // run's log line keeps UTF-8 text and shows ⏎ for a newline, but escapes controls the same way.
    XCTAssertEqual("a\u{1}2\u{1b}x\n\u{7f}7 é".replacingNewlines(), #"a\0012\33x⏎\1777 é"#)
  }

  /// Every kind of --json line, byte for byte (the writer's keys come from the one list the
  /// reader matches; this pins what they spell), and the reader reads each back.
  func testJSONLinesWriterBytes() throws {
    let out = OutputBuffer(fd: -1)
    let w = JSONLinesWriter(output: out)
    w.writeStart(command: ["sh", "-c", "x"], attached: [4, 5], timestamp: 1.5)
    let pipe = FdTarget(kind: .pipe, path: "pipe:[77]", inode: 77)
    var r = SyscallRecord(
      pid: 7, tid: 8, name: "ppoll", number: 271,
      args: [.array([.structure([.init("fd", .fd(3, pipe)), .init("events", .symbol("POLLIN"))])], truncated: false),
             .uint(1), .null, .hex(0x10), .int(-2), .string([0x61, 0xFF], truncated: false), .raw("[]"),
             .changed(.structure([.init("a", .int(1))]), .structure([.init("b", .int(2))])),
             .fd(4, FdTarget(kind: .socket, path: "socket:[9]", inode: 9, detail: .socket("UNIX-STREAM:[9->10]"))),
             .bitset([.fd(5, FdTarget(kind: .file, path: "/dev/null", detail: .device("char 1:3")))]),
             .fd(6, FdTarget(kind: .anon, path: "anon_inode:[pidfd]", detail: .process(42)))],
      ret: -1, errno: .EINTR, retDetail: "([{fd=3, revents=POLLIN}])", timestamp: 2.25, duration: 0.5)
    r.retTarget = pipe
    r.stack = [StackFrame(pc: 0x10, module: "/lib/c.so", symbol: "read", symbolOffset: 1, moduleOffset: 2),
               StackFrame(pc: 0x20, module: nil, symbol: nil, symbolOffset: 0, moduleOffset: 0x20)]
    w.handle(.syscall(r))
    w.handle(.syscall(SyscallRecord(pid: 7, tid: 7, name: "getpid", number: 39, args: [], timestamp: 3)))
    // Schema 2: a record that knows its ABI carries its number in that ABI's table.
    w.handle(.syscall(SyscallRecord(pid: 7, tid: 7, call: .dup3, number: 292, abi: .x86_64, args: [.int(1), .int(2), .int(0)],
                                    ret: 2, timestamp: 3.5)))
    w.handle(.fork(pid: 7, tid: 7, child: 9, kind: .vfork, timestamp: 4))
    w.handle(.exec(pid: 9, tid: 9, path: "/bin/a" + DisplayText.decode([0xFE]), argv: ["a", "b\n"], timestamp: 5))
    w.handle(.exit(pid: 9, tid: 9, code: 3, signal: nil, coreDumped: false, timestamp: 6))
    w.handle(.exit(pid: 10, tid: 10, code: nil, signal: 11, coreDumped: true, timestamp: 6.5))
    var info = SignalInfo(signo: 17, code: 1)
    info.pid = 9
    info.uid = 0
    info.status = 3
    w.handle(.signal(SignalRecord(pid: 7, tid: 7, info: info, timestamp: 7)))
    var kill = SignalInfo(signo: 15, code: 0)
    kill.pid = 1
    w.handle(.signal(SignalRecord(pid: 7, tid: 7, info: kill, stack: [StackFrame(pc: 1, module: "m", symbol: nil, symbolOffset: 0, moduleOffset: 1)], timestamp: 8)))
    w.handle(.personality(pid: 7, tid: 7, arch: .i386, timestamp: 9))
    w.handle(.detached(pid: 7, tid: 7, timestamp: 10))
    w.handle(.note(pid: 7, text: "hi", timestamp: 11))
    let text = String(decoding: out.bytes, as: UTF8.self)
    let expected = #"""
      {"event":"start","version":2,"ts":1.500000,"command":["sh","-c","x"],"attached":[4,5]}
      {"event":"syscall","pid":7,"tid":8,"ts":2.250000,"name":"ppoll","args":[[{"fd":3,"events":"POLLIN"}],1,null,"0x10",-2,{"hex":"61ff"},"[]",{"entry":{"a":1},"exit":{"b":2}},4,[5],6],"ret":-1,"errno":"EINTR","dur":0.500000,"ret_detail":"([{fd=3, revents=POLLIN}])","ret_fd":{"fd":-1,"kind":"pipe","inode":77,"path":"pipe:[77]"},"stack":[{"pc":16,"module":"/lib/c.so","symbol":"read","offset":1,"module_offset":2},{"pc":32,"module":null,"symbol":null,"offset":0,"module_offset":32}],"fds":[{"arg":0,"index":0,"fd":3,"kind":"pipe","inode":77,"path":"pipe:[77]"},{"arg":8,"fd":4,"kind":"socket","inode":9,"path":"socket:[9]","socket":"UNIX-STREAM:[9->10]"},{"arg":9,"index":0,"fd":5,"kind":"file","path":"/dev/null","device":"char 1:3"},{"arg":10,"fd":6,"kind":"anon","path":"anon_inode:[pidfd]","pid":42}]}
      {"event":"syscall","pid":7,"tid":7,"ts":3.000000,"name":"getpid","args":[],"ret":null,"dur":null}
      {"event":"syscall","pid":7,"tid":7,"ts":3.500000,"name":"dup3","nr":292,"abi":"x86_64","args":[1,2,0],"ret":2,"dur":null}
      {"event":"fork","pid":7,"tid":7,"ts":4.000000,"child":9,"kind":"vfork"}
      {"event":"exec","pid":9,"tid":9,"ts":5.000000,"path":{"hex":"2f62696e2f61fe"},"argv":["a","b\n"]}
      {"event":"exit","pid":9,"tid":9,"ts":6.000000,"code":3,"signal":null,"core":false}
      {"event":"exit","pid":10,"tid":10,"ts":6.500000,"code":null,"signal":"SIGSEGV","core":true}
      {"event":"signal","pid":7,"tid":7,"ts":7.000000,"sig":"SIGCHLD","code":"CLD_EXITED","sender":9,"uid":0,"status":3}
      {"event":"signal","pid":7,"tid":7,"ts":8.000000,"sig":"SIGTERM","code":"SI_USER","sender":1,"uid":0,"stack":[{"pc":1,"module":"m","symbol":null,"offset":0,"module_offset":1}]}
      {"event":"personality","pid":7,"tid":7,"ts":9.000000,"mode":"32 bit"}
      {"event":"detached","pid":7,"tid":7,"ts":10.000000}
      {"event":"note","pid":7,"ts":11.000000,"text":"hi"}
      """# + "\n"
    XCTAssertEqual(text, expected, text)
    var lines = 0
    for line in text.split(separator: "\n").dropFirst() {
      let bytes = Array(line.utf8)
      _ = try bytes.withUnsafeBufferPointer { b in
        var p = JSONLineParser(bytes: b, errnoCache: [:])
        return try p.parseLine()
      }
      lines += 1
    }
    XCTAssertEqual(lines, 12)
  }

  /// run --json, byte for byte, every field filled (a middle left out of memory, a stuck leak).
  func testRunJSONBytes() {
    var r = RunRecord(command: ["sh", "-c", "a\"b"])
    r.exitCode = 3
    r.wall = 1.23456
    r.stdout.head = Array("x\n".utf8)
    r.stdout.tail = [0xFF, 0x61]
    r.stdout.total = 10
    r.stderr.head = Array("e".utf8)
    r.stderr.total = 1
    r.holders = [RunRecord.Holder(pid: 5, fd: 1, comm: "sl\u{1b}p", pipe: "pipe:[1]")]
    r.closed = r.holders
    r.killed = [5, 6]
    r.sigkilled = [6]
    r.stuck = [RunRecord.Stuck(pid: 7, tid: 8, comm: "cat", syscall: "read", blockedFor: 2.5, verdict: "v", fix: "f",
                               holders: [.init(pid: 5, fds: [1, 2])], action: .close)]
    XCTAssertEqual(RunReport.json(r), #"{"cmd":["sh","-c","a\"b"],"exit_code":3,"signal":null,"wall":1.235,"timed_out":false,"stdout":"x\n","stdout_bytes":10,"stdout_omitted":6,"stdout_tail":{"hex":"ff61"},"stderr":"e","stderr_bytes":1,"stderr_omitted":0,"holders":[{"pid":5,"fd":1,"comm":"sl\u001bp"}],"closed":[{"pid":5,"fd":1,"comm":"sl\u001bp"}],"killed":[5,6],"sigkilled":[6],"stuck":[{"pid":7,"tid":8,"comm":"cat","syscall":"read","blocked_for":2.500,"verdict":"v","fix":"f","action":"close","holders":[{"pid":5,"fds":[1,2]}]}]}"#)
    r.signal = 9
    r.exitCode = nil
    r.timedOut = true
    XCTAssertTrue(RunReport.json(r).contains(#""exit_code":null,"signal":"SIGKILL","wall":1.235,"timed_out":true,"#))
  }

  func testMapsLinesOfEveryKind() throws {
    let file = try XCTUnwrap(Mapping.parse(
      "7f1c2e028000-7f1c2e19d000 r-xp 00028000 08:01 1234                       /usr/lib/my lib.so (deleted)"))
    XCTAssertEqual(file.start, 0x7f1c_2e02_8000)
    XCTAssertEqual(file.end, 0x7f1c_2e19_d000)
    XCTAssertEqual(file.offset, 0x28000)
    XCTAssertEqual(file.path, "/usr/lib/my lib.so (deleted)")
    XCTAssertTrue(file.executable && file.isFile)
    let vdso = try XCTUnwrap(Mapping.parse("7ffd5e1f2000-7ffd5e1f4000 r-xp 00000000 00:00 0                          [vdso]"))
    XCTAssertEqual(vdso.path, "[vdso]")
    XCTAssertTrue(vdso.executable && !vdso.isFile)
    let anonymous = try XCTUnwrap(Mapping.parse("7f0e10036000-7f0e10058000 rw-p 00000000 00:00 0 "))
    XCTAssertEqual(anonymous.path, "")
    XCTAssertEqual(anonymous.permissions, "rw-p")
    XCTAssertNil(Mapping.parse("garbage"))
    // This process's own maps: its code is a file, the vDSO is not.
    let own = Mapping.read(pid: getpid())
    XCTAssertTrue(own.contains { $0.executable && $0.isFile })
    XCTAssertTrue(own.contains { $0.path == "[vdso]" })
  }

  /// A signal blocked and sent to this thread stays pending in the thread's own SigPnd.
  func testStatusOfAThreadShowsItsPendingSignal() throws {
    let me = try XCTUnwrap(ProcStatus(pid: getpid()))
    XCTAssertEqual(me.tgid, getpid())
    XCTAssertEqual(me.ppid, getppid())
    XCTAssertEqual(me.uids.count, 4)
    let link = try XCTUnwrap(ProcFS.readLink("/proc/thread-self"))
    let tid = try XCTUnwrap(link.split(separator: "/").last.flatMap { Int32($0) })
    var block = sigset_t(), old = sigset_t()
    sigemptyset(&block)
    sigaddset(&block, SIGUSR2)
    pthread_sigmask(SIG_BLOCK, &block, &old)
    defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
    let bit = UInt64(1) << UInt64(SIGUSR2 - 1)
    XCTAssertEqual((ProcStatus(pid: getpid(), tid: tid)?.pendingSignals ?? bit) & bit, 0)
    pthread_kill(pthread_self(), SIGUSR2)
    XCTAssertEqual((ProcStatus(pid: getpid(), tid: tid)?.pendingSignals ?? 0) & bit, bit)
    // Taken here, so it is never delivered.
    var timeout = timespec(tv_sec: 0, tv_nsec: 0)
    XCTAssertEqual(sigtimedwait(&block, nil, &timeout), SIGUSR2)
  }
}
