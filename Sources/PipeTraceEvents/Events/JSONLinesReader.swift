#if canImport(Glibc)
import Glibc
#endif

/// Reads pipetrace's `--json` trace (see README) line by line into `Event`s.
/// The parser walks the bytes directly: Foundation's JSON decoders allocate per value and are
/// several times slower than the report needs to be.
public final class JSONLinesReader: TraceReader {
  private let source: LineSource
  public private(set) var badLines = BadLines()
  private var errnoCache: [String: Errno] = [:]
  private let keepData: Bool

  /// `keepData: false` leaves the bytes of data arguments (what a read returned, a write sent) out
  /// of the events: a report does not need them.
  public init(source: LineSource, keepData: Bool = true) {
    self.source = source
    self.keepData = keepData
  }

  public convenience init(path: String, keepData: Bool = true) throws {
    self.init(source: try LineSource(path: path), keepData: keepData)
  }

  public func next() -> Event? {
    while let line = source.next() {
      if let event = parse(line) { return event }
    }
    return nil
  }

  /// Each event straight from the parser to `body`, without passing through `next()`'s return.
  public func forEachEvent(_ body: (borrowing Event) -> Void) {
    while let line = source.next() {
      if let event = parse(line) { body(event) }
    }
  }

  /// One line's event; nil for a line without one (blank, `start`) or one that cannot be read.
  @inline(__always)
  private func parse(_ line: LineSource.Line) -> Event? {
    switch line {
    case .tooLong(let length):
      badLines.record(file: source.path, line: source.lineNumber, reason: "line of \(length) bytes is too long")
    case .text(let bytes):
      var parser = JSONLineParser(bytes: bytes, errnoCache: errnoCache, keepData: keepData)
      do {
        let event = try parser.parseLine()
        if parser.errnoCacheChanged { errnoCache = parser.errnoCache }
        return event
      } catch {
        badLines.record(file: source.path, line: source.lineNumber, reason: error.reason)
      }
    }
    return nil
  }
}

package struct JSONLineError: Error {
  var reason: String
}

/// One line's parser. Keys are compared as bytes; only values the `Event` needs become Swift values.
package struct JSONLineParser {
  let bytes: UnsafeBufferPointer<UInt8>
  var i = 0
  var errnoCache: [String: Errno]
  var errnoCacheChanged = false
  /// false: data strings are not copied (see `ArgValue.fromJSONString`).
  let keepData: Bool
  /// How many arrays and objects of `args` enclose the value being read.
  private var nesting = 0
  /// Deeper than this an argument is kept as its JSON text (`.raw`), read without recursion: no
  /// syscall's argument nests more than a few levels, and every later step (rendering, freeing)
  /// would recurse once per level of a value built deeper.
  static let maxNesting = 64

  package init(bytes: UnsafeBufferPointer<UInt8>, errnoCache: [String: Errno], keepData: Bool = true) {
    self.bytes = bytes
    self.errnoCache = errnoCache
    self.keepData = keepData
  }

  /// nil for a blank line or an event kind the report does not use (`start`).
  package mutating func parseLine() throws(JSONLineError) -> Event? {
    skipSpace()
    if i == bytes.count { return nil }
    guard bytes[i] == UInt8(ascii: "{") else { throw JSONLineError(reason: "not a JSON object") }
    i += 1
    var kind = EventKind.missing
    var pid: Int32 = 0, tid: Int32?, child: Int32 = 0
    var ts = 0.0, dur: Double?
    var name = "", path = "", text = ""
    var args: [ArgValue] = []
    var ret: Int64?, errnoName: String?, retDetail: String?
    var fds: [FdNote] = []  // only when "fds" comes before "args"
    var sawArgs = false
    var forkKind = ForkKind.fork
    var argv: [String] = []
    var code: Int32?, signalName: String?, core = false
    var sigCode: Int32 = 0, sender: Int32 = 0, uid: Int32 = 0, status: Int32 = 0
    var mode = ""
    var sawTs = false
    var retTarget: FdTarget?
    var number = -1, abi: SyscallArch?  // schema 2
    var call = SyscallID.unknown  // `name` is kept only when the catalogue lacks it

    skipSpace()
    if peek() == UInt8(ascii: "}") {
      i += 1
      throw JSONLineError(reason: "empty object")
    }
    while true {
      skipSpace()
      let key = try parseTopKey()
      skipSpace()
      try expect(UInt8(ascii: ":"))
      skipSpace()
      switch key {
      case .event: kind = try parseEventKind()
      case .pid: pid = Int32(truncatingIfNeeded: try parseInt())
      case .tid: tid = Int32(truncatingIfNeeded: try parseInt())
      case .ts:
        ts = try parseDouble()
        guard ts.isFinite else { throw JSONLineError(reason: "ts is not a finite number") }
        sawTs = true
      case .name:
        // Resolved once, here: from the line's bytes when the catalogue has the name.
        if let span = try parseStringSpan() {
          call = SyscallID(utf8: span) ?? .unknown
          name = call.isKnown ? "" : String(decoding: span, as: UTF8.self)
        } else {
          name = try parseString()
          call = SyscallID(named: name) ?? .unknown
        }
      case .args:
        args = try parseArgs()
        sawArgs = true
      case .ret: ret = try parseNullableInt()
      case .errno: errnoName = try parseNullableString()
      case .dur:
        dur = try parseNullableDouble()
        if let d = dur, !d.isFinite || d < 0 { throw JSONLineError(reason: "dur is not a finite, non-negative number") }
      case .fds: try parseFds(into: &args, apply: sawArgs, pending: &fds)
      case .child: child = Int32(truncatingIfNeeded: try parseInt())
      case .kind: forkKind = ForkKind(rawValue: try parseString()) ?? .fork
      case .path: path = try parseByteString()
      case .argv: argv = try parseStringArray()
      case .code:
        if peek() == UInt8(ascii: "\"") {
          sigCode = SignalCodes.number(try parseString())
        } else if let c = try parseNullableInt() {
          code = Int32(truncatingIfNeeded: c)
          sigCode = code!
        }
      case .signal: signalName = try parseNullableString()
      case .sig: signalName = try parseString()
      case .core: core = try parseBool()
      case .sender: sender = Int32(truncatingIfNeeded: try parseNullableInt() ?? 0)
      case .text: text = try parseString()
      case .retFd: retTarget = try parseFdObject().target
      case .mode: mode = try parseString()
      case .retDetail: retDetail = try parseNullableString()
      case .uid: uid = Int32(truncatingIfNeeded: try parseNullableInt() ?? 0)
      case .status:
        if peek() == UInt8(ascii: "\"") {
          status = Signals.number(try parseString()) ?? 0
        } else {
          status = Int32(truncatingIfNeeded: try parseNullableInt() ?? 0)
        }
      case .nr: number = Int(truncatingIfNeeded: try parseInt())
      case .abi: abi = SyscallArch(rawValue: try parseString())
      case .other: try skipValue()
      }
      skipSpace()
      guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      if bytes[i] == UInt8(ascii: "}") {
        i += 1
        break
      }
      throw JSONLineError(reason: "expected , or } at column \(i + 1)")
    }
    skipSpace()
    if i != bytes.count { throw JSONLineError(reason: "text after the object at column \(i + 1)") }
    let task = tid ?? pid

    switch kind {
    case .syscall:
      guard call.isKnown || !name.isEmpty, sawTs else { throw JSONLineError(reason: "syscall without name or ts") }
      for f in fds { Self.apply(f, to: &args) }
      var err: Errno?
      if let errnoName { err = lookupErrno(errnoName) }
      var record = SyscallRecord(
        pid: pid, tid: task, call: call, number: number, abi: abi, args: args, ret: ret, errno: err, retDetail: retDetail,
        timestamp: ts, duration: dur)
      if !call.isKnown { record.name = name }
      if let retTarget { record.retTarget = retTarget }
      return .syscall(record)
    case .fork:
      return .fork(pid: pid, tid: task, child: child, kind: forkKind, timestamp: ts)
    case .exec:
      return .exec(pid: pid, tid: task, path: path, argv: argv, timestamp: ts)
    case .exit:
      let signo = signalName.flatMap { Signals.number($0) }
      return .exit(pid: pid, tid: task, code: code, signal: signo, coreDumped: core, timestamp: ts)
    case .signal:
      guard let signalName, let signo = Signals.number(signalName) else {
        throw JSONLineError(reason: "signal event without a known sig")
      }
      var info = SignalInfo(signo: signo, code: sigCode)
      info.pid = sender
      info.uid = uid
      info.status = status
      return .signal(SignalRecord(pid: pid, tid: task, info: info, timestamp: ts))
    case .personality:
      guard let arch = SyscallArch(modeName: mode) else {
        throw JSONLineError(reason: "personality event without a known mode")
      }
      return .personality(pid: pid, tid: task, arch: arch, timestamp: ts)
    case .detached:
      return .detached(pid: pid, tid: task, timestamp: ts)
    case .note:
      return .note(pid: pid, text: text, timestamp: ts)
    case .start:
      return nil
    case .missing:
      throw JSONLineError(reason: "object without \"event\"")
    case .unknown(let name):
      throw JSONLineError(reason: "unknown event \"\(name)\"")
    }
  }

  enum EventKind {
    case syscall, fork, exec, exit, signal, detached, note, start, personality, missing
    case unknown(String)
  }

  /// The `event` value, matched on its bytes.
  mutating func parseEventKind() throws(JSONLineError) -> EventKind {
    guard let b = try parseStringSpan() else { return .unknown(try parseString()) }
    func equals(_ s: StaticString) -> Bool { TraceJSON.matches(s, b, from: 0, count: b.count) }
    typealias E = TraceJSON.EventName
    if equals(E.syscall) { return .syscall }
    if equals(E.fork) { return .fork }
    if equals(E.exec) { return .exec }
    if equals(E.exit) { return .exit }
    if equals(E.signal) { return .signal }
    if equals(E.detached) { return .detached }
    if equals(E.note) { return .note }
    if equals(E.start) { return .start }
    if equals(E.personality) { return .personality }
    return .unknown(String(decoding: b, as: UTF8.self))
  }

  private mutating func lookupErrno(_ name: String) -> Errno {
    if let e = errnoCache[name] { return e }
    let e = Errno(anyName: name)
    errnoCache[name] = e
    errnoCacheChanged = true
    return e
  }

  // MARK: scanning

  @inline(__always) func peek() -> UInt8 { i < bytes.count ? bytes[i] : 0 }

  @inline(__always) mutating func skipSpace() {
    while i < bytes.count {
      let c = bytes[i]
      if c == 0x20 || c == 0x09 || c == 0x0D { i += 1 } else { break }
    }
  }

  @inline(__always) mutating func expect(_ c: UInt8) throws(JSONLineError) {
    guard i < bytes.count && bytes[i] == c else { throw unexpected(c) }
    i += 1
  }

  /// Builds the error off the hot path.
  @inline(never) func unexpected(_ c: UInt8) -> JSONLineError {
    if i >= bytes.count { return JSONLineError(reason: "truncated JSON line") }
    return JSONLineError(reason: "expected '\(Character(Unicode.Scalar(c)))' at column \(i + 1)")
  }

  enum TopKey {
    case event, pid, tid, ts, name, args, ret, errno, dur, fds, child, kind, path, argv, code, signal, sig, core
    case sender, text, retFd, mode, uid, status, retDetail, nr, abi, other
  }

  /// A top-level key, matched on its bytes (no String is made).
  @inline(__always) mutating func parseTopKey() throws(JSONLineError) -> TopKey {
    try expect(UInt8(ascii: "\""))
    let from = i
    while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
      if bytes[i] == UInt8(ascii: "\\") {
        i = from - 1
        try skipString()
        return .other
      }
      i += 1
    }
    guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
    let n = i - from
    i += 1
    // The length and the first bytes choose the candidate; the whole key must then be it, as
    // `TraceJSON.Key` spells it (the writer's list).
    @inline(__always) func at(_ k: Int) -> UInt8 { bytes[from + k] }
    @inline(__always) func exactly(_ key: StaticString, _ k: TopKey) -> TopKey {
      TraceJSON.matches(key, bytes, from: from, count: n) ? k : .other
    }
    typealias K = TraceJSON.Key
    switch n {
    case 2: return at(0) == 0x74 ? exactly(K.ts, .ts) : exactly(K.nr, .nr)
    case 3:
      switch at(0) {
      case 0x70: return exactly(K.pid, .pid)  // p
      case 0x74: return exactly(K.tid, .tid)  // t
      case 0x72: return exactly(K.ret, .ret)  // r
      case 0x64: return exactly(K.dur, .dur)  // d
      case 0x66: return exactly(K.fds, .fds)  // f
      case 0x73: return exactly(K.sig, .sig)  // s
      case 0x75: return exactly(K.uid, .uid)  // u
      case 0x61: return exactly(K.abi, .abi)  // a
      default: return .other
      }
    case 4:
      switch at(0) {
      case 0x6E: return exactly(K.name, .name)  // n
      case 0x61: return at(3) == 0x73 ? exactly(K.args, .args) : exactly(K.argv, .argv)  // a…s, a…v
      case 0x6B: return exactly(K.kind, .kind)  // k
      case 0x70: return exactly(K.path, .path)  // p
      case 0x63: return at(2) == 0x64 ? exactly(K.code, .code) : exactly(K.core, .core)  // cod, cor
      case 0x74: return exactly(K.text, .text)  // t
      case 0x6D: return exactly(K.mode, .mode)  // m
      default: return .other
      }
    case 5:
      switch at(1) {
      case 0x76: return exactly(K.event, .event)  // ev
      case 0x72: return exactly(K.errno, .errno)  // er
      case 0x68: return exactly(K.child, .child)  // ch
      default: return .other
      }
    case 6:
      switch at(1) {
      case 0x69: return exactly(K.signal, .signal)  // si
      case 0x65: return at(0) == 0x72 ? exactly(K.retFd, .retFd) : exactly(K.sender, .sender)  // re, se
      case 0x74: return exactly(K.status, .status)  // st
      default: return .other
      }
    case 10: return exactly(K.retDetail, .retDetail)
    default: return .other
    }
  }

  /// A key as a (usually small, inline) String; keys never need escapes in our schema.
  mutating func parseKey() throws(JSONLineError) -> String {
    try expect(UInt8(ascii: "\""))
    let from = i
    while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
      if bytes[i] == UInt8(ascii: "\\") { return try finishEscaped(from: from) }
      i += 1
    }
    guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<i]), as: UTF8.self)
    i += 1
    return s
  }

  @inline(__always) mutating func parseString() throws(JSONLineError) -> String {
    let span = try parseStringSpan()
    if let plain = span { return String(decoding: plain, as: UTF8.self) }
    return String(decoding: try parseStringBytes(), as: UTF8.self)
  }

  /// A string without escapes as a view of the line (no copy); nil, with nothing consumed, when it
  /// has escapes and needs `parseStringBytes`.
  @inline(__always)
  mutating func parseStringSpan() throws(JSONLineError) -> UnsafeBufferPointer<UInt8>? {
    try expect(UInt8(ascii: "\""))
    let from = i
    skipToQuoteOrBackslash()
    while i < bytes.count {
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return UnsafeBufferPointer(rebasing: bytes[from..<(i - 1)])
      }
      if c == UInt8(ascii: "\\") { break }
      i += 1
    }
    if i == bytes.count { throw JSONLineError(reason: "truncated JSON line (unterminated string)") }
    i = from - 1
    return nil
  }

  /// Moves `i` to the first `"` or `\\` at or after it, eight bytes per step (SWAR: a byte equal to
  /// `c` becomes zero after the xor, and `(v - 0x01…) & ~v & 0x80…` flags the lowest zero byte
  /// exactly), or to where fewer than eight bytes are left.
  @inline(__always) mutating func skipToQuoteOrBackslash() {
    guard let base = bytes.baseAddress else { return }
    let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
    while i + 8 <= bytes.count {
      let x = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
      let q = x ^ (ones &* 0x22), b = x ^ (ones &* 0x5C)
      let hits = ((q &- ones) & ~q | (b &- ones) & ~b) & highs
      if hits != 0 {
        i += hits.trailingZeroBitCount >> 3
        return
      }
      i += 8
    }
  }

  /// Skips a string, escapes and all, without decoding it.
  @inline(__always) mutating func skipString() throws(JSONLineError) {
    try expect(UInt8(ascii: "\""))
    while i < bytes.count {
      skipToQuoteOrBackslash()
      guard i < bytes.count else { break }
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return
      }
      i += c == UInt8(ascii: "\\") ? 2 : 1
    }
    throw JSONLineError(reason: "truncated JSON line (unterminated string)")
  }

  mutating func parseNullableString() throws(JSONLineError) -> String? {
    if try parseNull() { return nil }
    return try parseString()
  }

  private mutating func finishEscaped(from: Int) throws(JSONLineError) -> String {
    i = from - 1
    return String(decoding: try parseStringBytes(), as: UTF8.self)
  }

  /// A JSON string's bytes with escapes decoded.
  mutating func parseStringBytes() throws(JSONLineError) -> [UInt8] {
    try expect(UInt8(ascii: "\""))
    let from = i
    // Fast path: no escapes.
    while i < bytes.count {
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        let out = Array(UnsafeBufferPointer(rebasing: bytes[from..<i]))
        i += 1
        return out
      }
      if c == UInt8(ascii: "\\") { break }
      i += 1
    }
    var out = Array(UnsafeBufferPointer(rebasing: bytes[from..<i]))
    while i < bytes.count {
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return out
      }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        i += 1
        continue
      }
      i += 1
      guard i < bytes.count else { break }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "u"):
        guard i + 4 <= bytes.count, var code = hex4(at: i) else {
          throw JSONLineError(reason: "bad \\u escape at column \(i)")
        }
        i += 4
        // A surrogate pair becomes one scalar; a lone surrogate becomes U+FFFD.
        if code >= 0xD800 && code < 0xDC00, i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
           bytes[i + 1] == UInt8(ascii: "u"), let low = hex4(at: i + 2), low >= 0xDC00 && low < 0xE000 {
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          i += 6
        }
        let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
        // JSON writers encode raw tracee bytes 0x80-0xFF as \u0080-\u00ff: give the byte back.
        if code >= 0x80 && code <= 0xFF {
          out.append(UInt8(code))
        } else {
          out.append(contentsOf: Array(String(scalar).utf8))
        }
      default: out.append(e)  // \" \\ \/
      }
    }
    throw JSONLineError(reason: "truncated JSON line (unterminated string)")
  }

  private func hex4(at p: Int) -> UInt32? {
    var v: UInt32 = 0
    for k in 0..<4 {
      let c = bytes[p + k]
      let d: UInt32
      switch c {
      case 0x30...0x39: d = UInt32(c - 0x30)
      case 0x61...0x66: d = UInt32(c - 0x61 + 10)
      case 0x41...0x46: d = UInt32(c - 0x41 + 10)
      default: return nil
      }
      v = v << 4 | d
    }
    return v
  }

  /// `"pipe"`, `"socket"`, … without making a String.
  @inline(__always) mutating func parseFdKind() throws(JSONLineError) -> FdTarget.Kind {
    try expect(UInt8(ascii: "\""))
    let from = i
    while i < bytes.count && bytes[i] != UInt8(ascii: "\"") { i += 1 }
    guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
    let n = i - from
    i += 1
    switch (n, bytes[from]) {
    case (4, 0x70): return .pipe
    case (6, 0x73): return .socket
    case (4, 0x66): return .file
    case (3, 0x74): return .tty
    case (4, 0x61): return .anon
    case (6, 0x64): return .device
    default: return .other
    }
  }

  @inline(__always) mutating func parseNull() throws(JSONLineError) -> Bool {
    if i + 4 <= bytes.count && bytes[i] == UInt8(ascii: "n") {
      guard bytes[i + 1] == UInt8(ascii: "u"), bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l")
      else { throw JSONLineError(reason: "bad literal at column \(i + 1)") }
      i += 4
      return true
    }
    return false
  }

  mutating func parseBool() throws(JSONLineError) -> Bool {
    if i + 4 <= bytes.count && bytes[i] == UInt8(ascii: "t") && bytes[i + 3] == UInt8(ascii: "e") {
      i += 4
      return true
    }
    if i + 5 <= bytes.count && bytes[i] == UInt8(ascii: "f") && bytes[i + 4] == UInt8(ascii: "e") {
      i += 5
      return false
    }
    if try parseNull() { return false }
    throw JSONLineError(reason: "expected true/false at column \(i + 1)")
  }

  @inline(__always) mutating func parseInt() throws(JSONLineError) -> Int64 {
    var neg = false
    if peek() == UInt8(ascii: "-") {
      neg = true
      i += 1
    }
    let from = i
    var v: Int64 = 0
    while i < bytes.count {
      let d = bytes[i] &- 0x30
      if d > 9 { break }
      v = v &* 10 &+ Int64(d)
      i += 1
    }
    if i == from { throw JSONLineError(reason: "expected a number at column \(i + 1)") }
    // A float where an integer was expected: keep the integer part.
    if peek() == UInt8(ascii: ".") || peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      i = neg ? from - 1 : from
      let d = try parseDouble()
      guard d.isFinite, abs(d) < 9.2e18 else { throw JSONLineError(reason: "number out of range at column \(from + 1)") }
      return Int64(d)
    }
    return neg ? -v : v
  }

  @inline(__always) mutating func parseNullableInt() throws(JSONLineError) -> Int64? {
    if try parseNull() { return nil }
    return try parseInt()
  }

  @inline(__always) mutating func parseNullableDouble() throws(JSONLineError) -> Double? {
    if try parseNull() { return nil }
    return try parseDouble()
  }

  @inline(__always) mutating func parseDouble() throws(JSONLineError) -> Double {
    let start = i
    var neg = false
    if peek() == UInt8(ascii: "-") {
      neg = true
      i += 1
    }
    var intPart: UInt64 = 0
    var digits = 0
    while i < bytes.count {
      let d = bytes[i] &- 0x30
      if d > 9 { break }
      intPart = intPart &* 10 &+ UInt64(d)
      digits += 1
      i += 1
    }
    var frac: UInt64 = 0
    var fracDigits = 0
    if peek() == UInt8(ascii: ".") {
      i += 1
      while i < bytes.count {
        let d = bytes[i] &- 0x30
        if d > 9 { break }
        if fracDigits < 18 {
          frac = frac &* 10 &+ UInt64(d)
          fracDigits += 1
        }
        i += 1
      }
    }
    if digits == 0 && fracDigits == 0 { throw JSONLineError(reason: "expected a number at column \(start + 1)") }
    var exponent = 0
    if (peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E")) && digits <= 18 {
      // `5e-06` (Python writes small numbers so): scale by a power of ten.
      var j = i + 1
      var negExp = false
      if j < bytes.count && (bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+")) {
        negExp = bytes[j] == UInt8(ascii: "-")
        j += 1
      }
      let expStart = j
      while j < bytes.count && bytes[j] &- 0x30 <= 9 && j - expStart < 3 {
        exponent = exponent * 10 + Int(bytes[j] - 0x30)
        j += 1
      }
      if j > expStart && exponent <= 18 && (j == bytes.count || bytes[j] &- 0x30 > 9) {
        i = j
        if negExp { exponent = -exponent }
      } else {
        exponent = 99  // out of the fast path's range
      }
    }
    if digits > 18 || exponent == 99 {
      // Rare forms: let strtod do them exactly.
      if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
        i += 1
        if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count && bytes[i] &- 0x30 <= 9 { i += 1 }
      }
      var text = Array(UnsafeBufferPointer(rebasing: bytes[start..<i]))
      text.append(0)
      return text.withUnsafeBufferPointer { p in
        p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { strtod($0, nil) }
      }
    }
    var v = Double(intPart)
    if fracDigits > 0 { v += Double(frac) / powersOfTen[fracDigits] }
    if exponent > 0 { v *= powersOfTen[exponent] } else if exponent < 0 { v /= powersOfTen[-exponent] }
    return neg ? -v : v
  }

  /// Skips any JSON value (for keys the report does not need).
  mutating func skipValue() throws(JSONLineError) {
    skipSpace()
    guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
    switch bytes[i] {
    case UInt8(ascii: "\""):
      try skipString()
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      var depth = 0
      while i < bytes.count {
        let c = bytes[i]
        if c == UInt8(ascii: "\"") {
          try skipString()
          continue
        }
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
        if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
          depth -= 1
          if depth == 0 {
            i += 1
            return
          }
        }
        i += 1
      }
      throw JSONLineError(reason: "truncated JSON line")
    case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try parseBool()
    case UInt8(ascii: "n"): _ = try parseNull()
    default: _ = try parseDouble()
    }
  }

  /// A string, or a `{"hex":…}` byte string as `DisplayText.decode` keeps bytes that are not UTF-8.
  mutating func parseByteString() throws(JSONLineError) -> String {
    guard peek() == UInt8(ascii: "{") else { return try parseString() }
    i += 1
    skipSpace()
    guard try parseKey() == JSONString.hexKey else { throw JSONLineError(reason: "expected a string or {\"hex\":…} at column \(i)") }
    skipSpace()
    try expect(UInt8(ascii: ":"))
    skipSpace()
    guard let bytes = try parseHexBytes() else { throw JSONLineError(reason: "bad {\"hex\":…} at column \(i + 1)") }
    return DisplayText.decode(bytes)
  }

  mutating func parseStringArray() throws(JSONLineError) -> [String] {
    if try parseNull() { return [] }
    try expect(UInt8(ascii: "["))
    var out: [String] = []
    skipSpace()
    if peek() == UInt8(ascii: "]") {
      i += 1
      return out
    }
    while true {
      skipSpace()
      out.append(try parseByteString())
      skipSpace()
      if peek() == UInt8(ascii: ",") {
        i += 1
        continue
      }
      try expect(UInt8(ascii: "]"))
      return out
    }
  }

  mutating func parseArgs() throws(JSONLineError) -> [ArgValue] {
    if try parseNull() { return [] }
    guard case .array(let items, _) = try parseArgValue() else {
      throw JSONLineError(reason: "args is not an array")
    }
    return items
  }

  /// README: numbers, strings (data, flag names or strace text), null, arrays, objects.
  mutating func parseArgValue() throws(JSONLineError) -> ArgValue {
    skipSpace()
    guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
    switch bytes[i] {
    case UInt8(ascii: "\""):
      if let plain = try parseStringSpan() { return ArgValue.fromJSONString(plain, keepData: keepData) }
      if !keepData && i + 1 < bytes.count && !ArgValue.mayBeNonData(first: bytes[i + 1]) {
        try skipString()  // data with escapes ("line\n"): nothing to decode when it is not kept
        return .string([], truncated: true)
      }
      return try parseStringBytes().withUnsafeBufferPointer { ArgValue.fromJSONString($0, keepData: keepData) }
    case UInt8(ascii: "n"):
      _ = try parseNull()
      return .null
    case UInt8(ascii: "t"), UInt8(ascii: "f"):
      return .int(try parseBool() ? 1 : 0)
    case let c where (c == UInt8(ascii: "[") || c == UInt8(ascii: "{")) && nesting >= Self.maxNesting:
      let from = i
      try skipValue()
      return .raw(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<i]), as: UTF8.self))
    case UInt8(ascii: "["):
      i += 1
      nesting += 1
      defer { nesting -= 1 }
      var items: [ArgValue] = []
      skipSpace()
      if peek() != UInt8(ascii: "]") { items.reserveCapacity(6) }  // one allocation for most calls
      if peek() == UInt8(ascii: "]") {
        i += 1
        return .array(items, truncated: false)
      }
      while true {
        items.append(try parseArgValue())
        skipSpace()
        if peek() == UInt8(ascii: ",") {
          i += 1
          continue
        }
        try expect(UInt8(ascii: "]"))
        return .array(items, truncated: false)
      }
    case UInt8(ascii: "{"):
      i += 1
      nesting += 1
      defer { nesting -= 1 }
      var fields: [ArgValue.Field] = []
      skipSpace()
      if peek() == UInt8(ascii: "}") {
        i += 1
        return .structure(fields)
      }
      while true {
        skipSpace()
        let key = try parseKey()
        skipSpace()
        try expect(UInt8(ascii: ":"))
        if fields.isEmpty && key == JSONString.hexKey && peek() == UInt8(ascii: "\""), let bytes = try parseHexBytes() {
          // README: a string that is not UTF-8 is `{"hex":"…"}`, its bytes in hex.
          return .string(keepData ? bytes : [], truncated: !keepData)
        }
        fields.append(ArgValue.Field(key, try parseArgValue()))
        skipSpace()
        if peek() == UInt8(ascii: ",") {
          i += 1
          continue
        }
        try expect(UInt8(ascii: "}"))
        if fields.count == 2, fields[0].name == "entry", fields[1].name == "exit" {
          return .changed(fields[0].value, fields[1].value)
        }
        return .structure(fields)
      }
    default:
      let from = i
      // Most numbers are plain integers of up to 18 digits: read them as such, at once.
      var j = i
      if j < bytes.count && bytes[j] == UInt8(ascii: "-") { j += 1 }
      let digitsFrom = j
      while j < bytes.count && bytes[j] &- 0x30 <= 9 { j += 1 }
      if j > digitsFrom && j - digitsFrom <= 18
        && (j == bytes.count || (bytes[j] != UInt8(ascii: ".") && bytes[j] | 0x20 != UInt8(ascii: "e"))) {
        return .int(try parseInt())
      }
      let v = try parseDouble()
      if bytes[from..<i].contains(UInt8(ascii: ".")) || bytes[from..<i].contains(UInt8(ascii: "e")) {
        return .raw(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<i]), as: UTF8.self))
      }
      if v >= 9.2e18 {
        guard v.isFinite, v < 1.8e19 else { throw JSONLineError(reason: "number out of range at column \(from + 1)") }
        return .uint(UInt64(v))
      }
      i = from
      return .int(try parseInt())
    }
  }

  /// `"ff80…"}` after the key of a `{"hex":…}` byte string: the bytes, with the object's closing
  /// brace consumed; nil (nothing consumed) when it is not one.
  mutating func parseHexBytes() throws(JSONLineError) -> [UInt8]? {
    let start = i
    let text = try parseString()
    skipSpace()
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0, peek() == UInt8(ascii: "}"),
          digits.allSatisfy({ StraceSyntax.hexDigit($0) != nil && !($0 >= 0x41 && $0 <= 0x46) }) else {
      i = start
      return nil
    }
    i += 1
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var k = 0
    while k < digits.count {
      out.append(StraceSyntax.hexDigit(digits[k])! << 4 | StraceSyntax.hexDigit(digits[k + 1])!)
      k += 2
    }
    return out
  }

  /// One entry of `fds`: which argument (and array index) holds an fd and what it points to.
  struct FdNote {
    var arg: Int
    var index: Int?
    var fd: Int32
    var target: FdTarget
  }

  /// Replaces the plain number in `args` with a decoded fd.
  static func apply(_ f: FdNote, to args: inout [ArgValue]) {
    guard f.arg < args.count else { return }
    if let index = f.index {
      if case .array(var items, let truncated) = args[f.arg], index < items.count {
        items[index] = .fd(f.fd, f.target)
        args[f.arg] = .array(items, truncated: truncated)
      }
    } else {
      args[f.arg] = .fd(f.fd, f.target)
    }
  }

  /// One `{arg, index, fd, kind, path, inode, socket|device|pid}` object: an entry of `fds`, or `ret_fd`.
  mutating func parseFdObject() throws(JSONLineError) -> FdNote {
    try expect(UInt8(ascii: "{"))
    var arg = 0, index: Int?, fd: Int32 = -1
    var kind = FdTarget.Kind.other, path = "", inode: UInt64?, detail: FdDetail?
    while true {
      skipSpace()
      try expect(UInt8(ascii: "\""))
      let keyStart = i
      while i < bytes.count && bytes[i] != UInt8(ascii: "\"") { i += 1 }
      guard i < bytes.count else { throw JSONLineError(reason: "truncated JSON line") }
      let keyLength = i - keyStart
      i += 1
      skipSpace()
      try expect(UInt8(ascii: ":"))
      skipSpace()
      @inline(__always) func key(_ name: StaticString) -> Bool {
        TraceJSON.matches(name, bytes, from: keyStart, count: keyLength)
      }
      typealias K = TraceJSON.FdKey
      if key(K.arg) {
        arg = Int(try parseInt())
      } else if key(K.index) {
        index = try parseNullableInt().map { Int($0) }
      } else if key(K.fd) {
        fd = Int32(truncatingIfNeeded: try parseInt())
      } else if key(TraceJSON.Key.kind) {
        kind = try parseFdKind()
      } else if key(TraceJSON.Key.path) {
        path = try parseString()
      } else if key(K.inode) {
        inode = try parseNullableInt().map { UInt64(bitPattern: $0) }
      } else if key(K.socket) {
        detail = .socket(try parseString())  // -yy
      } else if key(K.device) {
        detail = .device(try parseString())  // -yy
      } else if key(TraceJSON.Key.pid) {
        detail = .process(Int32(truncatingIfNeeded: try parseInt()))  // -yy's pidfd
      } else {
        try skipValue()
      }
      skipSpace()
      if peek() == UInt8(ascii: ",") {
        i += 1
        continue
      }
      try expect(UInt8(ascii: "}"))
      return FdNote(arg: arg, index: index, fd: fd, target: FdTarget(kind: kind, path: path, inode: inode, detail: detail))
    }
  }

  /// Reads `fds`, applying each entry to `args` at once when they are already parsed (no list).
  mutating func parseFds(into args: inout [ArgValue], apply: Bool, pending: inout [FdNote]) throws(JSONLineError) {
    if try parseNull() { return }
    try expect(UInt8(ascii: "["))
    skipSpace()
    if peek() == UInt8(ascii: "]") {
      i += 1
      return
    }
    while true {
      skipSpace()
      let note = try parseFdObject()
      let arg = note.arg
      if arg < 0 || arg > 16 { throw JSONLineError(reason: "fds entry with arg \(arg)") }
      if apply { Self.apply(note, to: &args) } else { pending.append(note) }
      skipSpace()
      if peek() == UInt8(ascii: ",") {
        i += 1
        continue
      }
      try expect(UInt8(ascii: "]"))
      return
    }
  }
}

private let powersOfTen: [Double] = (0...18).map { p in
  var v = 1.0
  for _ in 0..<p { v *= 10 }
  return v
}

extension ArgValue {
  /// A JSON string argument: README puts data, flag names and strace text all in strings.
  /// Upper-case identifiers joined by `|` are flags; `0x…` is a pointer; the rest is data.
  /// Whether a JSON string starting with this byte (as written, before unescaping) can be anything
  /// but data: flags (`O_…`, `_…`), pointers (`0x…`), strace text (`[…`, `{…`).
  @inline(__always) static func mayBeNonData(first c: UInt8) -> Bool {
    (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_") || c == UInt8(ascii: "0") || c == UInt8(ascii: "[")
      || c == UInt8(ascii: "{")
  }

  /// Without `keepData` the bytes of data strings are left out (`.string([], truncated: true)`):
  /// the report never shows them, and copying them is most of a read's cost.
  static func fromJSONString(_ b: UnsafeBufferPointer<UInt8>, keepData: Bool = true) -> ArgValue {
    guard let first = b.first else { return .string([], truncated: false) }
    if first == UInt8(ascii: "0") && b.count > 2 && b[1] == UInt8(ascii: "x") {
      var v: UInt64 = 0
      for c in b.dropFirst(2) {
        switch c {
        case 0x30...0x39: v = v << 4 | UInt64(c - 0x30)
        case 0x61...0x66: v = v << 4 | UInt64(c - 0x61 + 10)
        default: return .raw(String(decoding: b, as: UTF8.self))
        }
      }
      return .hex(v)
    }
    if (first >= 0x41 && first <= 0x5A) || first == UInt8(ascii: "_") {
      var symbolic = true
      for c in b where !((c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x7C) {
        symbolic = false
        break
      }
      if symbolic { return .symbol(String(decoding: b, as: UTF8.self)) }
    }
    if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
      return .raw(String(decoding: b, as: UTF8.self))
    }
    return keepData ? .string(Array(b), truncated: false) : .string([], truncated: true)
  }
}
