import Foundation
import XCTest

@testable import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// The one-of-each helpers every output and reader shares: numbers as text, JSON strings,
/// /proc/PID/maps lines and /proc/PID/status.
final class SharedHelpersTests: XCTestCase {
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
    XCTAssertEqual(JSONText.ref(EventRef(pid: 1, event: hostile, ts: 2)), #"{"pid":1,"event":\#(expected),"ts":2.0}"#)
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
