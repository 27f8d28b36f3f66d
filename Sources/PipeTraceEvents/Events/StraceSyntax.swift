import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Pieces of strace's text syntax, shared by the log reader: splitting argument lists and turning
/// one argument's text into an `ArgValue`. Works on bytes with integer indices.
enum StraceSyntax {
  /// Index of the `)` closing a call's argument list that starts at `from`, skipping strings,
  /// nested brackets and `-y` annotations (`3</path/with)paren>`).
  static func closingParen(_ b: [UInt8], from: Int) -> Int? {
    var depth = 0
    var i = from
    while i < b.count {
      let c = b[i]
      switch c {
      case UInt8(ascii: "\""):
        i = skipString(b, at: i)
        continue
      case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
        depth += 1
      case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
        if depth == 0 { return c == UInt8(ascii: ")") ? i : nil }
        depth -= 1
      case UInt8(ascii: "<"):
        if i > 0 && isAnnotationStart(b[i - 1]) {
          i = skipAnnotation(b, at: i)
          continue
        }
      default: break
      }
      i += 1
    }
    return nil
  }

  /// A `-y` annotation follows an fd number or AT_FDCWD directly.
  @inline(__always) static func isAnnotationStart(_ prev: UInt8) -> Bool {
    (prev >= 0x30 && prev <= 0x39) || (prev >= 0x41 && prev <= 0x5A)
  }

  /// Index after the closing `>` of an annotation starting at `at` (nested `<…>` of -yy's devices,
  /// `</dev/null<char 1:3>>`). -yy's sockets hold `>` that closes nothing: the arrow between two
  /// ends (`<UNIX-STREAM:[1234->1235]>`, `<TCP:[…:5432->127.0.0.1:40000]>`, `->[::1]`), and
  /// quoted UNIX socket paths, which strace does not escape `<` and `>` in (`,"/a>b"]>`): a quoted
  /// string is skipped whole (a -y path escapes `"`, so an unescaped one only starts such a
  /// string), and `->` followed by a digit or `[` is an arrow (a path's escaped `>` never is).
  static func skipAnnotation(_ b: [UInt8], at: Int) -> Int {
    var depth = 0
    var i = at
    while i < b.count {
      switch b[i] {
      case UInt8(ascii: "<"): depth += 1
      case UInt8(ascii: ">"):
        if b[i - 1] == UInt8(ascii: "-") && i + 1 < b.count
          && (b[i + 1] == UInt8(ascii: "[") || (b[i + 1] >= 0x30 && b[i + 1] <= 0x39))
        {
          break
        }
        depth -= 1
        if depth == 0 { return i + 1 }
      case UInt8(ascii: "\\"):
        i += 2
        continue
      case UInt8(ascii: "\""):
        i = skipString(b, at: i)
        continue
      default: break
      }
      i += 1
    }
    return b.count
  }

  /// Index after the closing quote of a C string starting at `at`.
  static func skipString(_ b: [UInt8], at: Int) -> Int {
    var i = at + 1
    while i < b.count {
      if b[i] == UInt8(ascii: "\\") {
        i += 2
        continue
      }
      if b[i] == UInt8(ascii: "\"") { return i + 1 }
      i += 1
    }
    return b.count
  }

  /// Splits `b[from..<to]` at top-level commas; each piece trimmed.
  static func splitTopLevel(_ b: [UInt8], from: Int, to: Int) -> [ArraySlice<UInt8>] {
    var parts: [ArraySlice<UInt8>] = []
    var depth = 0
    var i = from
    var pieceStart = from
    while i < to {
      let c = b[i]
      switch c {
      case UInt8(ascii: "\""):
        i = min(skipString(b, at: i), to)
        continue
      case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
        depth += 1
      case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
        depth -= 1
      case UInt8(ascii: "<"):
        if i > 0 && isAnnotationStart(b[i - 1]) {
          i = min(skipAnnotation(b, at: i), to)
          continue
        }
      case UInt8(ascii: ","):
        if depth == 0 {
          parts.append(trim(b[pieceStart..<i]))
          pieceStart = i + 1
        }
      default: break
      }
      i += 1
    }
    let last = trim(b[pieceStart..<to])
    if !last.isEmpty || !parts.isEmpty { parts.append(last) }
    return parts
  }

  static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var lo = s.startIndex, hi = s.endIndex
    while lo < hi && (s[lo] == 0x20 || s[lo] == 0x09) { lo += 1 }
    while hi > lo && (s[hi - 1] == 0x20 || s[hi - 1] == 0x09 || s[hi - 1] == 0x0D) { hi -= 1 }
    return s[lo..<hi]
  }

  static func string(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

  /// One argument's text as a value.
  static func argValue(_ s: ArraySlice<UInt8>) -> ArgValue {
    guard let first = s.first else { return .raw("") }
    if first == UInt8(ascii: "\"") {
      let end = skipString(Array(s), at: 0)
      let body = s[s.startIndex + 1..<s.startIndex + max(1, end - 1)]
      let truncated = s.count >= end + 3 && s[s.startIndex + end] == UInt8(ascii: ".")
      return .string(unescape(body), truncated: truncated)
    }
    if first == UInt8(ascii: "[") && s.last == UInt8(ascii: "]") {
      let inner = Array(s)
      let parts = splitTopLevel(inner, from: 1, to: inner.count - 1)
      // `[3, 4]` and `[{...}]` are arrays; `[RTMIN RT_1]` (a signal set) is text.
      if parts.count == 1, parts[0].contains(0x20), parts[0].first != UInt8(ascii: "{") {
        return .raw(string(s))
      }
      var truncated = false
      var items: [ArgValue] = []
      for p in parts {
        if p.elementsEqual("...".utf8) {
          truncated = true
        } else {
          items.append(argValue(p))
        }
      }
      return .array(items, truncated: truncated)
    }
    if first == UInt8(ascii: "{") && s.last == UInt8(ascii: "}") {
      let inner = Array(s)
      var fields: [ArgValue.Field] = []
      for p in splitTopLevel(inner, from: 1, to: inner.count - 1) {
        guard let eq = p.firstIndex(of: UInt8(ascii: "=")) else { return .raw(string(s)) }
        fields.append(ArgValue.Field(string(p[p.startIndex..<eq]), argValue(trim(p[(eq + 1)...]))))
      }
      return .structure(fields)
    }
    if s.elementsEqual("NULL".utf8) { return .null }
    // A number, maybe with a -y annotation: `3<pipe:[44876238]>`.
    var i = s.startIndex
    var negative = false
    if s[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    if i < s.endIndex && s[i] == UInt8(ascii: "0") && i + 1 < s.endIndex && s[i + 1] == UInt8(ascii: "x") {
      var v: UInt64 = 0
      var j = i + 2
      while j < s.endIndex, let d = hexDigit(s[j]) {
        v = v &* 16 &+ UInt64(d)
        j += 1
      }
      if j == s.endIndex && !negative { return .hex(v) }
      return .raw(string(s))
    }
    let digitsStart = i
    var v: Int64 = 0
    while i < s.endIndex && s[i] >= 0x30 && s[i] <= 0x39 {
      v = v &* 10 &+ Int64(s[i] - 0x30)
      i += 1
    }
    if i > digitsStart {
      let n = negative ? -v : v
      if i == s.endIndex { return .int(n) }
      if s[i] == UInt8(ascii: "<"), let target = annotation(s[i...]) {
        return .fd(Int32(truncatingIfNeeded: n), target)
      }
      return .raw(string(s))
    }
    // FLAGS|OTHER, SIGTERM, AT_FDCWD (with or without an annotation).
    var symbolic = true
    for c in s where !((c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x7C) {
      symbolic = false
      break
    }
    return symbolic ? .symbol(string(s)) : .raw(string(s))
  }

  /// A `-y` annotation, `<path>` or `<path>(deleted)` (strace prints a deleted file's mark after the
  /// brackets), escapes undone; the target keeps readlink's ` (deleted)` form. A `-yy` one is read
  /// by `detailedTarget`.
  static func annotation(_ s: ArraySlice<UInt8>) -> FdTarget? {
    let deleted = "(deleted)".utf8
    var body = s
    var isDeleted = false
    if body.count > deleted.count + 1 && body.suffix(deleted.count).elementsEqual(deleted) {
      body = body.dropLast(deleted.count)
      isDeleted = true
    }
    guard body.first == UInt8(ascii: "<"), body.last == UInt8(ascii: ">"), body.count >= 2 else { return nil }
    if !isDeleted, let t = detailedTarget(body.dropFirst().dropLast()) { return t }
    var link = String(decoding: unescape(body.dropFirst().dropLast()), as: UTF8.self)
    if isDeleted { link += " (deleted)" }
    return FdTarget(link: link)
  }

  /// What strace -yy prints in place of (or after) a path: a socket, `PROTO:[…]` for a protocol
  /// strace decodes (`UNIX-STREAM:[1234->1235,"/run/x.sock"]`, `TCP:[127.0.0.1:5432->127.0.0.1:4000]`,
  /// `UDP:[1234]`, `NETLINK:[ROUTE:42]`), kept as printed, its inode read when the text has it; a
  /// device, `/dev/null<char 1:3>` (strace 7.2 adds ` @/dev/pts/N` after /dev/ptmx's); a pidfd,
  /// `pid:1234`. nil for anything else (a path).
  static func detailedTarget(_ raw: ArraySlice<UInt8>) -> FdTarget? {
    guard let first = raw.first else { return nil }
    if first == UInt8(ascii: "/") {
      // A path escapes `<`, so a bare one starts the device part.
      guard raw.last == UInt8(ascii: ">"), let open = raw.lastIndex(of: UInt8(ascii: "<")) else { return nil }
      let inner = raw[(open + 1)..<(raw.endIndex - 1)]
      guard inner.starts(with: "char ".utf8) || inner.starts(with: "block ".utf8) else { return nil }
      var t = FdTarget(link: String(decoding: unescape(raw[..<open]), as: UTF8.self))
      t.detail = .device(string(inner))
      return t
    }
    if raw.starts(with: "pid:".utf8), let pid = Int32(string(raw.dropFirst(4))) {
      return FdTarget(kind: .anon, path: string(raw), detail: .process(pid))
    }
    guard raw.last == UInt8(ascii: "]"), let colon = raw.firstIndex(of: UInt8(ascii: ":")),
      colon + 1 < raw.endIndex, raw[colon + 1] == UInt8(ascii: "[")
    else { return nil }
    var family: Int32 = 0, proto: Int32 = 0
    guard ct_socket_protocol_named(string(raw[..<colon]), &family, &proto) == 0 else { return nil }
    // The inode: UNIX texts start with it (then `->PEER`, `,"PATH"` or `]`); the fallback of any
    // protocol is `PROTO:[INODE]`.
    var inode: UInt64?
    var i = colon + 2
    var n: UInt64 = 0
    while i < raw.endIndex, raw[i] >= 0x30 && raw[i] <= 0x39 {
      n = n &* 10 &+ UInt64(raw[i] - 0x30)
      i += 1
    }
    if i > colon + 2 && i < raw.endIndex {
      let end = raw[i]
      if end == UInt8(ascii: "]") && i == raw.endIndex - 1
        || family == AF_UNIX && (end == UInt8(ascii: "-") || end == UInt8(ascii: ","))
      {
        inode = n
      }
    }
    let text = string(raw)
    return FdTarget(kind: .socket, path: text, inode: inode, detail: .socket(text))
  }

  static func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    case 0x41...0x46: return c - 0x41 + 10
    default: return nil
    }
  }

  /// strace's C escapes: \n \t \r \v \f \\ \" \NNN (octal) \xHH.
  static func unescape(_ s: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(s.count)
    var i = s.startIndex
    while i < s.endIndex {
      let c = s[i]
      if c != UInt8(ascii: "\\") || i + 1 >= s.endIndex {
        out.append(c)
        i += 1
        continue
      }
      let e = s[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "v"): out.append(0x0B)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "x"):
        var v: UInt8 = 0
        var k = 0
        while k < 2 && i < s.endIndex, let d = hexDigit(s[i]) {
          v = v &* 16 &+ d
          i += 1
          k += 1
        }
        out.append(v)
      case 0x30...0x37:
        var v = Int(e - 0x30)
        var k = 1
        while k < 3 && i < s.endIndex && s[i] >= 0x30 && s[i] <= 0x37 {
          v = v * 8 + Int(s[i] - 0x30)
          i += 1
          k += 1
        }
        out.append(UInt8(truncatingIfNeeded: v))
      default: out.append(e)
      }
    }
    return out
  }
}
