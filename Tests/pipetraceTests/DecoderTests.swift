import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The decoders against the lines strace prints, on real calls: Tests/Fixtures/decoders.c makes
/// each call and writes the line strace prints for it; the trace must hold the same lines. The same
/// fixture built with -m32 checks the i386 table and structure layouts.
final class DecoderTests: XCTestCase {
  static func native() throws -> String { try compileFixture("decoders") }
  static func i386() throws -> String { try compileFixture("decoders", flags: ["-m32"]) }

  /// The calls of the traced program's first process after its `getppid()` mark, one line each as
  /// strace prints them without pid, time and duration (split lines joined).
  static func traced(_ log: String, keepSignals: Bool) -> [String] {
    var lines: [String] = []
    var main: Substring?
    var held: String?
    var started = false
    for line in log.split(separator: "\n") {
      // `PID  TIMESTAMP BODY <DURATION>`
      let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
      guard parts.count == 2 else { continue }
      let pid = parts[0]
      var body = parts[1].drop { $0 == " " }
      body = body.drop { $0 != " " }.dropFirst()  // the timestamp
      if main == nil { main = pid }
      guard pid == main else { continue }
      var text = String(body)
      if let r = text.range(of: #" <\d+\.\d+>$"#, options: .regularExpression) { text.removeSubrange(r) }
      if text.hasSuffix(" <unfinished ...>") {
        held = String(text.dropLast(" <unfinished ...>".count))
        continue
      }
      if let r = text.range(of: #"^<\.\.\. \w+ resumed>"#, options: .regularExpression), let h = held {
        text = h + text[r.upperBound...]
        held = nil
      }
      if text.hasPrefix("+++") || text.hasPrefix("[ Process") { continue }
      if text.hasPrefix("getppid()") {
        started = true
        continue
      }
      if !started || (text.hasPrefix("---") && !keepSignals) { continue }
      lines.append(text)
    }
    return lines
  }

  /// Runs `section` traced with `trace` and compares the trace with the lines the fixture wrote.
  func check(_ program: String, _ section: String, trace: String, extra: [String] = [],
             file: StaticString = #filePath, line: UInt = #line) throws {
    let log = temporaryFile("decoders.log")
    defer { unlink(log) }
    let r = try CLI.run(["-o", log, "-e", "trace=getppid," + trace] + extra + ["--", program, section])
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    let want = r.stdout.split(separator: "\n").map(String.init)
    XCTAssertFalse(want.isEmpty, "the fixture wrote no lines", file: file, line: line)
    let got = Self.traced(try String(contentsOfFile: log, encoding: .utf8), keepSignals: want.contains { $0.hasPrefix("---") })
    XCTAssertEqual(got.count, want.count, "\(section): \(got)", file: file, line: line)
    for (w, g) in zip(want, got) {
      // `@N@` in a wanted line is a number that varies (the time left of a timeout).
      let pattern = "^" + NSRegularExpression.escapedPattern(for: w).replacingOccurrences(of: "@N@", with: #"-?\d+"#) + "$"
      XCTAssertNotNil(g.range(of: pattern, options: .regularExpression), "\(section)\nwant: \(w)\ngot:  \(g)",
                      file: file, line: line)
    }
  }

  static let sections: [(String, String)] = [
    ("integers", "pipe2,dup3,close_range,openat,fcntl,?fcntl64,write"),
    ("waits", "wait4,waitid,kill"),
    ("polls", "pipe,write,poll,ppoll,select,?_newselect,pselect6,epoll_create1,epoll_ctl,epoll_wait"),
    ("iovecs", "pipe,readv,writev,preadv,pwritev"),
    ("clones", "clone3"),
    ("execs", "execve"),
    ("signals", "kill"),
    ("strings", "write"),
    ("fdmodel", "write"),
    ("sockets", "socketpair,write"),
  ]

  func testNativeCallsPrintAsStraceDoes() throws {
    let program = try Self.native()
    for (section, trace) in Self.sections { try check(program, section, trace: trace) }
  }

  /// -m32: i386 numbers (3 read, 6 close...), 4-byte pointers and longs, the i386 structs.
  func testI386CallsPrintAsStraceDoes() throws {
    let program = try Self.i386()
    for (section, trace) in Self.sections { try check(program, section, trace: trace) }
  }

  /// Without the seccomp filter every stop is taken: the decoders must agree.
  func testSameLinesWithoutSeccomp() throws {
    try check(try Self.i386(), "fdmodel", trace: "write", extra: ["--no-seccomp"])
    try check(try Self.native(), "integers", trace: Self.sections[0].1, extra: ["--no-seccomp"])
  }

  /// `int 0x80` from a 64-bit program: i386 calls by their i386 numbers, and strace's mode notes
  /// (on stderr; strace leaves them out when it writes a launched command's trace to a file).
  func testInt80FromA64BitProgram() throws {
    let program = try compileFixture("int80", flags: ["-no-pie"])
    let r = try CLI.run(["-e", "trace=write,close,getpid", "--", program])
    XCTAssertEqual(r.status, 0, r.stderr)
    // `[pid  N] TIME BODY <DUR>` → BODY, without the -y paths of the test's stdout.
    var pid = ""
    let lines = r.stderr.split(separator: "\n").compactMap { line -> String? in
      guard line.hasPrefix("[pid") else { return nil }
      pid = String(line.dropFirst(4).prefix { $0 != "]" }.filter(\.isNumber))
      var s = String(line.drop { $0 != "]" }.dropFirst(2).drop { $0 != " " }.dropFirst())
      if let d = s.range(of: #" <\d+\.\d+>$"#, options: .regularExpression) { s.removeSubrange(d) }
      s = s.replacingOccurrences(of: #"^write\(1<[^>]*>"#, with: "write(1", options: .regularExpression)
      return s.hasPrefix("close(3") || s.hasPrefix("+++") ? nil : s
    }
    XCTAssertEqual(lines, [
      "[ Process PID=\(pid) runs in 32 bit mode. ]",
      #"write(1, "via int 0x80\n", 13) = 13"#,
      "close(99) = -1 EBADF (Bad file descriptor)",
      "getpid() = \(pid)",
      "[ Process PID=\(pid) runs in 64 bit mode. ]",
      #"write(1, "native\n", 7) = 7"#,
      "[ Process PID=\(pid) runs in x32 mode. ]",
      lines.last?.hasSuffix("ENOSYS (Function not implemented)") == true
        ? "getpid() = -1 ENOSYS (Function not implemented)" : "getpid() = \(pid)",
    ], r.stderr)
    let log = temporaryFile("int80.log")
    defer { unlink(log) }
    let quiet = try CLI.run(["-o", log, "-e", "trace=write", "--", program])
    XCTAssertEqual(quiet.status, 0, quiet.stderr)
    let text = try String(contentsOfFile: log, encoding: .utf8)
    XCTAssertTrue(text.contains(#""via int 0x80\n", 13) = 13"#), text)
    XCTAssertFalse(text.contains("runs in"), text)
  }

  /// -q and -e quiet=personality hide the mode notes (the quiet set alone decides); quiet=exit does not.
  func testQuietHidesModeNotes() throws {
    let program = try compileFixture("int80", flags: ["-no-pie"])
    for (flags, shown) in [(["-q"], false), (["-e", "quiet=personality"], false), (["-e", "quiet=exit"], true),
                           (["--strace-compat", "-q"], false), (["--strace-compat"], true)] {
      let r = try CLI.run(flags + ["-e", "trace=getpid", "--", program])
      XCTAssertEqual(r.status, 0, r.stderr)
      XCTAssertEqual(r.stderr.contains("runs in 32 bit mode"), shown, "\(flags): \(r.stderr)")
    }
  }

  /// -k: a signal line is followed by the stack where the signal arrived, as strace prints it.
  func testSignalLinesCarryTheStack() throws {
    let program = try compileFixture("decoders", flags: ["-g"])
    let log = temporaryFile("signal-stack.log")
    defer { unlink(log) }
    let r = try CLI.run(["-k", "-o", log, "-e", "trace=kill", "--", program, "signals"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
    let signal = try XCTUnwrap(lines.firstIndex { $0.contains("--- SIGUSR1 {") }, lines.joined(separator: "\n"))
    let frames = lines[(signal + 1)...].prefix { $0.hasPrefix(" > ") }
    // kill() returns into signals(), called from main().
    XCTAssertTrue(frames.contains { $0.contains("(signals+0x") }, frames.joined(separator: "\n"))
    XCTAssertTrue(frames.contains { $0.contains("(main+0x") }, frames.joined(separator: "\n"))
  }

  /// --json: the exec event's argv is the execve line's, byte for byte (`{"hex":…}` for bytes that
  /// are not UTF-8, never U+FFFD); `report` reads it back.
  func testExecEventArgvIsLossless() throws {
    let trace = temporaryFile("exec-bytes.json")
    defer { unlink(trace) }
    let r = try CLI.run(["--json", "-o", trace, "-e", "trace=execve", "--", "/bin/sh", "-c",
                         #"exec /bin/true "$(printf 'a\377')" b"#])
    XCTAssertEqual(r.status, 0, r.stderr)
    let events = try JSONLines.read(trace)
    let execve = try XCTUnwrap(events.last { $0["name"] as? String == "execve" && ($0["ret"] as? Int) == 0 })
    let argvArg = try XCTUnwrap((execve["args"] as? [Any])?[1] as? [Any])
    XCTAssertEqual((argvArg[1] as? [String: String])?["hex"], "61ff", "\(argvArg)")
    let exec = try XCTUnwrap(events.last { $0["event"] as? String == "exec" })
    let argv = try XCTUnwrap(exec["argv"] as? [Any])
    XCTAssertEqual(argv.count, 3, "\(argv)")
    XCTAssertEqual(argv.first as? String, "/bin/true")
    XCTAssertEqual((argv[1] as? [String: String])?["hex"], "61ff", "\(argv)")
    XCTAssertEqual(argv.last as? String, "b")
    let report = try CLI.run(["report", trace])
    XCTAssertEqual(report.status, 0, report.stderr)
    XCTAssertTrue(report.stdout.contains(#"a\377 b"#), report.stdout)
  }

  /// --json keeps the mode changes as events.
  func testModeChangesAreJSONEvents() throws {
    let program = try compileFixture("int80", flags: ["-no-pie"])
    let trace = temporaryFile("int80.json")
    defer { unlink(trace) }
    let r = try CLI.run(["--json", "-o", trace, "-e", "trace=getpid,write", "--", program])
    XCTAssertEqual(r.status, 0, r.stderr)
    let events = try JSONLines.read(trace)
    XCTAssertEqual(events.filter { $0["event"] as? String == "personality" }.compactMap { $0["mode"] as? String },
                   ["32 bit", "64 bit", "x32"])
    XCTAssertEqual(events.filter { $0["name"] as? String == "getpid" }.count, 2)
  }
}
