import Foundation
import XCTest

import PipeTraceKit

/// Bytes from a tracee are data: every byte value survives `--json` (writer → reader), and every
/// string a text line prints is escaped so it cannot split the line or reach a terminal.
final class ByteStringTests: XCTestCase {
  /// Writes a call with JSONLinesWriter and reads it back with JSONLinesReader.
  func roundTrip(_ args: [ArgValue], detail: String? = nil) throws -> [ArgValue] {
    try roundTripRecord(args, detail: detail).args
  }

  func roundTripRecord(_ args: [ArgValue], detail: String? = nil) throws -> SyscallRecord {
    try roundTrip(record: SyscallRecord(pid: 1, tid: 1, name: "write", number: 1, args: args, ret: 0, retDetail: detail,
                                        timestamp: 1))
  }

  func roundTrip(record: SyscallRecord) throws -> SyscallRecord {
    let path = NSTemporaryDirectory() + "pipetrace-bytes-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
    defer { unlink(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    XCTAssertGreaterThanOrEqual(fd, 0)
    let writer = JSONLinesWriter(output: OutputBuffer(fd: fd))
    writer.handle(.syscall(record))
    writer.finish()
    close(fd)
    let reader = try JSONLinesReader(path: path)
    struct NothingReadBack: Error, CustomStringConvertible { var description: String }
    guard case .syscall(let r)? = reader.next() else {
      throw NothingReadBack(description: "no syscall read back from \(String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self))")
    }
    return r
  }

  /// Schema 2: a syscall line has the call's number and ABI; a name the catalogue lacks (a number
  /// no table has) comes back as it was written.
  func testTheCallsNumberABIAndUnknownNamesSurviveJSON() throws {
    let read = SyscallTable.i386.row(3)
    let r = try roundTrip(record: SyscallRecord(pid: 1, tid: 1, row: read, abi: .i386, args: [.int(0)], timestamp: 1))
    XCTAssertEqual(r.call, SyscallID(named: "read"))
    XCTAssertEqual(r.name, "read")
    XCTAssertEqual(r.number, 3)
    XCTAssertEqual(r.abi, .i386)
    let unknown = SyscallTable.x86_64.row(1000)
    let u = try roundTrip(record: SyscallRecord(pid: 1, tid: 1, row: unknown, abi: .x86_64, args: [], timestamp: 1))
    XCTAssertEqual(u.call, .unknown)
    XCTAssertEqual(u.name, "syscall_0x3e8")
    XCTAssertEqual(u.number, 1000)
    XCTAssertEqual(u.abi, .x86_64)
    // A version 1 line (a record from a source that knows neither) has neither.
    let v1 = try roundTrip(record: SyscallRecord(pid: 1, tid: 1, name: "frobnicate", number: -1, args: [], timestamp: 1))
    XCTAssertEqual(v1.name, "frobnicate")
    XCTAssertEqual(v1.number, -1)
    XCTAssertNil(v1.abi)
  }

  /// What strace prints after a result (`(in [3], left {…})`) is kept too.
  func testResultDetailSurvivesJSON() throws {
    let detail = "(in [3], out [4], left {tv_sec=0, tv_usec=9})"
    let r = try roundTripRecord([.int(5), .bitset([.fd(3, nil)]), .changed(.structure([]), .structure([.init("parent_tid", .array([.int(7)], truncated: false))]))], detail: detail)
    XCTAssertEqual(r.retDetail, detail)
    if case .array(let items, _) = r.args[1] { XCTAssertEqual(items.count, 1) } else { XCTFail("\(r.args[1])") }
    if case .changed(_, .structure(let f)) = r.args[2] { XCTAssertEqual(f.first?.name, "parent_tid") } else { XCTFail("\(r.args[2])") }
  }

  /// The bytes a string-like value stands for (a data string, or what the reader took as a flag or
  /// pointer: the same text).
  func bytes(_ v: ArgValue) -> [UInt8]? {
    switch v {
    case .string(let b, _): return b
    case .symbol(let s), .raw(let s): return Array(s.utf8)
    case .hex: return Array(StraceText.render(v).utf8)
    default: return nil
    }
  }

  func testEveryByteValueSurvivesJSON() throws {
    var args: [ArgValue] = (0...255).map { .string([UInt8($0)], truncated: false) }
    args.append(.string((0...255).map { UInt8($0) }, truncated: false))
    args.append(.string([0xFF, 0x80, 0x61, 0x62], truncated: false))
    args.append(.string(Array("é ✓ \u{1F600}".utf8), truncated: false))
    args.append(.structure([.init("iov_base", .string([0xC3, 0x28, 0x00, 0x0A], truncated: false))]))
    let back = try roundTrip(args)
    XCTAssertEqual(back.count, args.count)
    for (i, (a, b)) in zip(args, back).enumerated() {
      if case .structure(let fa) = a {
        guard case .structure(let fb) = b, let v = fb.first?.value else { XCTFail("\(i): \(b)"); continue }
        XCTAssertEqual(bytes(v), bytes(fa[0].value), "\(i)")
        continue
      }
      XCTAssertEqual(bytes(b), bytes(a), "arg \(i): \(b)")
    }
  }

  func testInvalidUTF8IsWrittenAsHex() throws {
    let path = NSTemporaryDirectory() + "pipetrace-hex-\(getpid()).jsonl"
    defer { unlink(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let writer = JSONLinesWriter(output: OutputBuffer(fd: fd))
    writer.handle(.syscall(SyscallRecord(pid: 1, tid: 1, name: "write", number: 1,
                                         args: [.int(1), .string([0xFF, 0x80, 0x61, 0x62], truncated: false), .int(4)],
                                         ret: 4, timestamp: 1)))
    writer.finish()
    close(fd)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    XCTAssertTrue(text.contains(#""args":[1,{"hex":"ff806162"},4]"#), text)
    // Still one valid JSON object per line for any consumer.
    XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)))
  }

  func testTextEscapesWhatComesFromTheTracee() {
    XCTAssertEqual(StraceText.render(.string([0x0A, 0x1B, 0xFF, 0x37, 0x22, 0x5C], truncated: true)), #""\n\33\3777\"\\"..."#)
    XCTAssertEqual(StraceText.render(.fd(3, FdTarget(link: "/tmp/a\nb<c>"))), #"3</tmp/a\nb\74c\76>"#)
    XCTAssertEqual(StraceText.render(.fd(7, FdTarget(link: "/tmp/#16220184 (deleted)"))), "7</tmp/#16220184>(deleted)")
    XCTAssertEqual(StraceEscape.quoted([0x68, 0xC3, 0xA9], hex: .nonASCII), #""\x68\xc3\xa9""#)
    XCTAssertEqual(StraceEscape.quoted([0x68, 0x69, 0x0A], hex: .nonASCII), #""hi\n""#)
    XCTAssertEqual(StraceEscape.quoted([0x68, 0x69], hex: .all), #""\x68\x69""#)
    XCTAssertEqual(StraceEscape.quoted([0x68, 0xFF], hex: .nonASCIIChars), #""h\xff""#)
    XCTAssertEqual(DisplayText.escape("fake\nVerdict: \u{1B}[31m"), #"fake\nVerdict: \33[31m"#)
    XCTAssertEqual(StraceText.render(.hex(0)), "0")
  }

  /// One escaper: DisplayText.escape is strace's (StraceEscape.quoted without the quotes), with the
  /// 3-digit octal before an octal digit (byte 1 then `2` is `\0012`, not `\12`, a newline) and `\"`.
  func testDisplayTextEscapesAsStraceDoes() {
    XCTAssertEqual(DisplayText.escape("\u{01}2"), #"\0012"#)
    XCTAssertEqual(DisplayText.escape("\u{01}9x\u{01}"), #"\19x\1"#)
    XCTAssertEqual(DisplayText.escape(#"a"b\c"#), #"a\"b\\c"#)
    for bytes: [UInt8] in [[1, 0x32], [0xFF, 0x37, 0x22, 0x0A, 0x1B], Array("plain".utf8)] {
      XCTAssertEqual("\"" + DisplayText.escape(DisplayText.decode(bytes)) + "\"", StraceEscape.quoted(bytes, hex: .none))
    }
  }

  /// /proc text that is not UTF-8 keeps every byte: valid sequences as characters, each other byte
  /// as itself (printed `\377`), also after a 4-byte character.
  func testProcTextKeepsEveryByte() {
    let bytes: [UInt8] = [0x73, 0xFF, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0xFE, 0x0A, 0xC3]
    let text = DisplayText.decode(bytes)
    XCTAssertEqual(DisplayText.escape(text), #"s\377\303\251\360\237\230\200\376\n\303"#)
    XCTAssertEqual(text.unicodeScalars.count, 7)
    // A character of the range raw bytes are mapped to still counts as its 4 bytes when the byte
    // after it is re-read.
    XCTAssertEqual(DisplayText.decode([0xF4, 0x8F, 0xBC, 0x80, 0xFE]).unicodeScalars.map(\.value),
                   [0x10_FF00, DisplayText.rawByteBase + 0xFE])
  }

  /// strace -y prints a deleted file as `<path>(deleted)`: the log reader takes it.
  func testLogReaderTakesDeletedTargets() throws {
    let log = """
      4242  openat(AT_FDCWD, "/tmp/x", O_RDWR|O_CREAT|O_EXCL, 0600) = 7</tmp/#16220184>(deleted) <0.000010>
      4242  write(7</tmp/#16220184>(deleted), "a\\n", 2) = 2 <0.000005>
      4242  read(3</tmp/a\\nb\\74c\\76>, "", 5) = 0 <0.000005>
      4242  [ Process PID=4242 runs in 32 bit mode. ]
      4242  +++ exited with 0 +++

      """
    let path = NSTemporaryDirectory() + "pipetrace-deleted-\(getpid()).log"
    defer { unlink(path) }
    try log.write(toFile: path, atomically: true, encoding: .utf8)
    let reader = try StraceLogReader(path: path)
    var events: [Event] = []
    while let e = reader.next() { events.append(e) }
    XCTAssertEqual(reader.badLines.count, 0, "\(reader.badLines)")
    let calls = events.compactMap { e -> SyscallRecord? in if case .syscall(let r) = e { return r } else { return nil } }
    XCTAssertEqual(calls.map(\.name), ["openat", "write", "read"])
    XCTAssertEqual(calls[0].ret, 7)
    if case .fd(7, let t?) = calls[1].args[0] { XCTAssertEqual(t.path, "/tmp/#16220184 (deleted)") } else { XCTFail("\(calls[1].args)") }
    if case .fd(3, let t?) = calls[2].args[0] { XCTAssertEqual(t.path, "/tmp/a\nb<c>") } else { XCTFail("\(calls[2].args)") }
    XCTAssertTrue(events.contains { if case .personality(4242, _, .i386, _) = $0 { return true } else { return false } })
  }
}
