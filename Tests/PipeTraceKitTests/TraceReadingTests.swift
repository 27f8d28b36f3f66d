import CTrace
import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// The report's fast reading path: reading ahead on another thread, leaving data bytes out, and the
/// name tables, each checked against the plain path on the same input.
final class TraceReadingTests: TraceFileTestCase {
  /// A pipetrace trace of `rounds` children, each handed a pipe it writes to while the parent reads,
  /// with unreadable lines mixed in: `(path, number of events, number of bad lines)`.
  func writeTrace(rounds: Int) throws -> (String, Int, Int) {
    var lines = [#"{"event":"start","version":1,"ts":1.0,"command":["sh"],"attached":[]}"#]
    var events = 0, bad = 0
    var ts = 1.0
    func add(_ line: String) {
      lines.append(line)
      events += 1
    }
    for r in 0..<rounds {
      let child = 2000 + r, inode = 5000 + r
      let fds = { (fd: Int) in #"[{"arg":0,"fd":\#(fd),"kind":"pipe","inode":\#(inode),"path":"pipe:[\#(inode)]"}]"# }
      ts += 0.001
      add(#"{"event":"syscall","pid":1000,"tid":1000,"ts":\#(ts),"name":"pipe2","args":[[3,4],"O_CLOEXEC"],"ret":0,"dur":0.00001,"fds":[{"arg":0,"index":0,"fd":3,"kind":"pipe","inode":\#(inode),"path":"pipe:[\#(inode)]"},{"arg":0,"index":1,"fd":4,"kind":"pipe","inode":\#(inode),"path":"pipe:[\#(inode)]"}]}"#)
      add(#"{"event":"fork","pid":1000,"tid":1000,"child":\#(child),"kind":"fork","ts":\#(ts)}"#)
      add(#"{"event":"syscall","pid":\#(child),"tid":\#(child),"ts":\#(ts + 0.0001),"name":"fcntl","args":[4,"F_SETFD","FD_CLOEXEC"],"ret":0,"dur":0.000001,"fds":\#(fds(4))}"#)
      add(#"{"event":"exec","pid":\#(child),"tid":\#(child),"path":"/bin/worker","argv":["worker","\#(r)"],"ts":\#(ts + 0.0002)}"#)
      for k in 0..<(r % 5) {
        add(#"{"event":"syscall","pid":\#(child),"tid":\#(child),"ts":\#(ts + 0.0003 + Double(k) * 0.00001),"name":"write","args":[4,"chunk \#(k)\n",8],"ret":8,"dur":0.000002,"fds":\#(fds(4))}"#)
        add(#"{"event":"syscall","pid":1000,"tid":1000,"ts":\#(ts + 0.0003),"name":"read","args":[3,"chunk \#(k)\n",4096],"ret":8,"dur":\#(0.00002 * Double(k + 1)),"fds":\#(fds(3))}"#)
      }
      if r % 97 == 13 {
        lines.append(#"{"event":"syscall","pid":1000,"ts":"#)  // truncated
        bad += 1
      }
      add(#"{"event":"exit","pid":\#(child),"tid":\#(child),"code":\#(r % 3),"signal":null,"core":false,"ts":\#(ts + 0.0005)}"#)
      add(#"{"event":"syscall","pid":1000,"tid":1000,"ts":\#(ts + 0.0004),"name":"wait4","args":[\#(child),"[{WIFEXITED(s) && WEXITSTATUS(s) == \#(r % 3)}]",0,null],"ret":\#(child),"dur":0.0002}"#)
      add(#"{"event":"syscall","pid":1000,"tid":1000,"ts":\#(ts + 0.0006),"name":"close","args":[3],"ret":0,"dur":0.000001,"fds":\#(fds(3))}"#)
    }
    let path = try TraceFixtures.write(lines.joined(separator: "\n") + "\n", in: dir, name: "trace.jsonl")
    return (path, events, bad)
  }

  /// One line per event with everything the report reads from it.
  static func describe(_ e: Event) -> String {
    switch e {
    case .syscall(let r):
      return "syscall \(r.pid)/\(r.tid) \(r.timestamp) \(r.name)(\(r.args.map(describe).joined(separator: ", "))) = \(r.ret.map(String.init) ?? "?") \(r.errno?.name ?? "") \(r.duration ?? -1)"
    default:
      return "\(e)"
    }
  }

  static func describe(_ a: ArgValue) -> String {
    switch a {
    case .string(let b, let truncated): return "\"\(String(decoding: b, as: UTF8.self))\"\(truncated ? "..." : "")"
    case .fd(let fd, let t): return "\(fd)<\(t?.path ?? "")>"
    case .array(let items, _): return "[\(items.map(describe).joined(separator: ", "))]"
    default: return "\(a)"
    }
  }

  func testReadingAheadGivesTheSameEventsInTheSameOrder() throws {
    let (path, events, bad) = try writeTrace(rounds: 300)
    let direct = try JSONLinesReader(path: path)
    var expected: [String] = []
    while let e = direct.next() { expected.append(Self.describe(e)) }
    XCTAssertEqual(expected.count, events)
    XCTAssertEqual(direct.badLines.count, bad)
    XCTAssertGreaterThan(bad, 2)

    // Batches of 7 through a queue of 2: many hand-overs, a short last batch.
    let viaNext = try PrefetchingReader(try JSONLinesReader(path: path), batchSize: 7, depth: 2)
    var got: [String] = []
    while let e = viaNext.next() { got.append(Self.describe(e)) }
    XCTAssertEqual(got, expected)
    XCTAssertNil(viaNext.next(), "the end stays the end")
    XCTAssertEqual(viaNext.badLines.count, bad)
    XCTAssertEqual(viaNext.badLines.samples.map(\.line), direct.badLines.samples.map(\.line))

    // Lent in place, after a first event taken with next(): nothing skipped or repeated.
    let lent = try PrefetchingReader(try JSONLinesReader(path: path), batchSize: 5, depth: 3)
    var mixed = [Self.describe(lent.next()!)]
    lent.forEachEvent { mixed.append(Self.describe($0)) }
    XCTAssertEqual(mixed, expected)
    XCTAssertEqual(lent.badLines.count, bad)
  }

  func testTheReportIsTheSameWithOrWithoutReadingAheadOrDataBytes() throws {
    let (path, _, bad) = try writeTrace(rounds: 400)
    func render(keepData: Bool, prefetch: Bool) throws -> String {
      var reader: TraceReader = try JSONLinesReader(path: path, keepData: keepData)
      if prefetch { reader = try PrefetchingReader(reader, batchSize: 64, depth: 2) }
      let report = ReportBuilder(options: .init(minBlock: 0.00005)).consume(reader)
      return TextReport.render(report, title: "t")
    }
    let plain = try render(keepData: true, prefetch: false)
    XCTAssertTrue(plain.contains("worker"), plain)
    XCTAssertTrue(plain.contains("Unreadable lines: \(bad)"), plain)
    XCTAssertEqual(try render(keepData: false, prefetch: false), plain)
    XCTAssertEqual(try render(keepData: false, prefetch: true), plain)
  }

  func testAnAbandonedReadAheadStopsItsThread() throws {
    let (path, _, _) = try writeTrace(rounds: 2000)
    func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
    let before = threads()
    do {
      let reader = try PrefetchingReader(try JSONLinesReader(path: path), batchSize: 16, depth: 2)
      for _ in 0..<10 { XCTAssertNotNil(reader.next()) }
      XCTAssertGreaterThan(threads(), before, "the reading thread runs")
    }
    // Dropped with most of the file unread: the thread waiting to hand over a batch must end.
    try waitUntil("the reading thread to end") { threads() == before }
  }

  /// An fd object's keys are matched exactly too (bug 5's rule): `pin` is not -yy's `pid`,
  /// `patx` not `path`, `arx` not `arg`, `inoxx` not `inode`, `kilo` not `kind`; they are skipped.
  func testFdObjectKeysAreMatchedExactly() throws {
    let line = #"{"event":"syscall","pid":7,"tid":7,"ts":1.5,"name":"read","args":[3,"x",1],"ret":1,"dur":0.001,"fds":[{"arg":0,"fd":3,"kind":"pipe","inode":5,"path":"pipe:[5]","pin":9,"patx":"evil","arx":2,"inoxx":6,"kilo":"socket","soc":"s","dev":"d"}]}"#
    let path = try TraceFixtures.write(line + "\n", in: dir, name: "fdkeys.jsonl")
    let reader = try JSONLinesReader(path: path)
    guard case .syscall(let r)? = reader.next() else { return XCTFail("no syscall") }
    guard case .fd(let fd, let target?) = r.args[0] else { return XCTFail("\(r.args)") }
    XCTAssertEqual(fd, 3)
    XCTAssertEqual(target, FdTarget(kind: .pipe, path: "pipe:[5]", inode: 5))
    if case .fd = r.args[2] { XCTFail("arx read as arg: \(r.args)") }
  }

  func testDataBytesAreLeftOutOnlyWhenAsked() throws {
    let line = #"{"event":"syscall","pid":7,"tid":7,"ts":1.5,"name":"openat","args":["AT_FDCWD","/etc/x\u00e9","O_RDONLY|O_CLOEXEC","0x1ff"],"ret":3,"dur":0.001}"#
    let path = try TraceFixtures.write(line + "\n" + line.replacingOccurrences(of: "openat", with: "read") + "\n", in: dir, name: "one.jsonl")
    for keepData in [true, false] {
      let reader = try JSONLinesReader(path: path, keepData: keepData)
      guard case .syscall(let r)? = reader.next() else { return XCTFail("no syscall") }
      XCTAssertEqual(r.args.count, 4)
      if case .symbol(let s) = r.args[0] { XCTAssertEqual(s, "AT_FDCWD") } else { XCTFail("\(r.args[0])") }
      if case .symbol(let s) = r.args[2] { XCTAssertEqual(s, "O_RDONLY|O_CLOEXEC") } else { XCTFail("\(r.args[2])") }
      if case .string(let b, let truncated) = r.args[1] {
        // \u00e9 is the raw byte 0xe9 the tracer escaped.
        XCTAssertEqual(b, keepData ? Array("/etc/x".utf8) + [0xE9] : [])
        XCTAssertEqual(truncated, !keepData)
      } else {
        XCTFail("\(r.args[1])")
      }
      if case .hex(let v) = r.args[3] { XCTAssertEqual(v, 0x1FF) } else { XCTFail("\(r.args[3])") }
      XCTAssertEqual(r.ret, 3)
      XCTAssertEqual(r.duration, 0.001)
    }
  }

  /// Strings are scanned eight bytes at a time: a quote or backslash at every offset, next to
  /// multi-byte UTF-8, must end or escape the string exactly where it does byte by byte.
  func testStringsEndAndEscapeAtEveryOffset() throws {
    let fillers = ["a", "é", "\u{7f}", "~"]
    for filler in fillers {
      for before in 0..<19 {
        for after in [0, 1, 7, 8, 9] {
          let head = String(repeating: filler, count: before), tail = String(repeating: "z", count: after)
          // A note's text: an escaped quote and backslash inside, then the real end.
          let json = #"{"event":"note","pid":1,"ts":2.5,"text":"\#(head)\"\#(tail)\\x"}"#
          let expected = head + "\"" + tail + "\\x"
          let event = try json.utf8CString.withUnsafeBufferPointer { raw -> Event? in
            try raw.withMemoryRebound(to: UInt8.self) { b throws(JSONLineError) -> Event? in
              var parser = JSONLineParser(bytes: UnsafeBufferPointer(rebasing: b.dropLast()), errnoCache: [:])
              return try parser.parseLine()
            }
          }
          guard case .note(_, let text, let ts)? = event else { return XCTFail("\(json): \(String(describing: event))") }
          XCTAssertEqual(text, expected, json)
          XCTAssertEqual(ts, 2.5)
          // The same value as a syscall argument (the args path), kept and left out.
          let call = #"{"event":"syscall","pid":1,"tid":1,"ts":3,"name":"write","args":[1,"\#(head)\"\#(tail)",5,"O_\#(tail.uppercased())"],"ret":5,"dur":0.1}"#
          for keepData in [true, false] {
            let parsed = try call.utf8CString.withUnsafeBufferPointer { raw -> Event? in
              try raw.withMemoryRebound(to: UInt8.self) { b throws(JSONLineError) -> Event? in
                var parser = JSONLineParser(bytes: UnsafeBufferPointer(rebasing: b.dropLast()), errnoCache: [:], keepData: keepData)
                return try parser.parseLine()
              }
            }
            guard case .syscall(let r)? = parsed, r.args.count == 4 else { return XCTFail(call) }
            if case .string(let data, _) = r.args[1] {
              XCTAssertEqual(data, keepData ? Array((head + "\"" + tail).utf8) : [], call)
            } else {
              XCTFail("\(r.args[1])")
            }
            if case .symbol(let flags) = r.args[3] { XCTAssertEqual(flags, "O_" + tail.uppercased()) } else { XCTFail("\(r.args[3])") }
            XCTAssertEqual(r.ret, 5)
          }
        }
      }
    }
  }

  /// A `strace -f -o` log names the pid on every line: each event is given out as soon as its line
  /// is read (nothing is held back to learn an unnamed first process), so a live log is followed
  /// and memory stays flat.
  func testAStraceLogWithPidsIsReadLineByLine() throws {
    let fifo = dir.appendingPathComponent("live.strace").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let writer = open(fifo, O_RDWR)  // a FIFO opened read-write does not wait for a reader
    XCTAssertGreaterThanOrEqual(writer, 0)
    var writerOpen = true
    defer { if writerOpen { close(writer) } }
    let lines = "4242  1764196800.000100 getpid() = 4242 <0.000002>\n4242  1764196800.000200 close(9) = -1 EBADF (Bad file descriptor) <0.000003>\n"
    XCTAssertEqual(Array(lines.utf8).withUnsafeBufferPointer { Glibc.write(writer, $0.baseAddress, $0.count) }, lines.utf8.count)
    // Read on another thread (handed over whole; this one only waits for it).
    final class Box: @unchecked Sendable {
      let reader: StraceLogReader
      var names: [String] = []
      init(_ reader: StraceLogReader) { self.reader = reader }
    }
    let box = Box(try StraceLogReader(path: fifo))
    let gotTwo = DispatchSemaphore(value: 0)
    let thread = Thread {
      for _ in 0..<2 {
        if case .syscall(let r)? = box.reader.next() { box.names.append(r.name) }
      }
      gotTwo.signal()
    }
    thread.start()
    let inTime = gotTwo.wait(timeout: .now() + 10) == .success
    close(writer)  // end of file: a reader still waiting finishes either way
    writerOpen = false
    if !inTime { _ = gotTwo.wait(timeout: .now() + 10) }
    XCTAssertTrue(inTime, "the events waited for more of the log")
    XCTAssertEqual(box.names, ["getpid", "close"])
  }

  func testNameTableFindsGrowsAndForgets() {
    var t = NameTable<Int>(capacity: 2)
    let names = (0..<300).map { "call_\($0)" } + ["read", "write", "", "pipe2", "a_name_longer_than_fifteen_bytes"]
    for (k, n) in names.enumerated() { t[n] = k }
    XCTAssertEqual(t.count, names.count)
    for (k, n) in names.enumerated() { XCTAssertEqual(t[n], k, n) }
    XCTAssertNil(t["call_300"])
    XCTAssertNil(t["rea"])
    t["read"] = 99
    XCTAssertEqual(t["read"], 99)
    // By a line's bytes, no String made: the same answers.
    for (name, want) in [("read", 99 as Int?), ("call_8", 8), ("rea", nil), ("reads", nil), ("", 302), ("a_name_longer_than_fifteen_bytes", 304)] {
      XCTAssertEqual(Array(name.utf8).withUnsafeBufferPointer { t.value(utf8: $0) }, want, name)
    }
    t["call_7"] = nil
    XCTAssertNil(t["call_7"])
    XCTAssertEqual(t["call_8"], 8)
    XCTAssertEqual(t.count, names.count - 1)
  }

  func testPrintedFlagSetsAreReadBackWithTheArgumentsTables() {
    let open = ArgKind.flags(.openModeFlags, dflt: "O_???")
    let cloexec = Int64(CT_O_CLOEXEC)
    func value(_ v: ArgValue, _ kind: ArgKind?) -> Int64? { FdEffect.integer(v, kind: kind) }
    XCTAssertEqual(value(.symbol("O_RDONLY|O_CLOEXEC"), .openFlags).map { $0 & cloexec }, cloexec)
    XCTAssertEqual(value(.symbol("O_CLOEXEC"), open), cloexec)
    XCTAssertEqual(value(.raw("O_CLOEXEC|O_NONBLOCK"), open).map { $0 & cloexec }, cloexec)
    XCTAssertEqual(value(.symbol("0x80000 /* O_CLOEXEC */"), open), 0x80000)
    XCTAssertEqual(value(.symbol("CLOSE_RANGE_CLOEXEC"), .flags(.closeRangeFlags, dflt: "CLOSE_RANGE_???")),
                   Int64(CT_CLOSE_RANGE_CLOEXEC))
    XCTAssertEqual(value(.symbol("F_DUPFD_CLOEXEC"), .xval(.fcntlCommands, dflt: "F_???")), Int64(CT_F_DUPFD_CLOEXEC))
    XCTAssertEqual(value(.symbol("~0"), .uint), Int64(UInt32.max))
    XCTAssertNil(value(.symbol("SOCK_CLOEXEC"), open))
    XCTAssertNil(value(.symbol("O_CLOEXECX"), open))
    XCTAssertEqual(value(.symbol("O_NONBLOCK"), open).map { $0 & cloexec }, 0)
    XCTAssertEqual(value(.int(0x80000), nil), 0x80000)
  }
}
