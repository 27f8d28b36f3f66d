/// Renders decoded arguments in strace's syntax: `"str"...`, `3<pipe:[1]>`, `[{fd=3, events=POLLIN}]`.
public enum StraceText {
  public static func render(_ v: ArgValue) -> String {
    var out: [UInt8] = []
    append(v, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// `fdPaths` false leaves out the `<path>` after fds (strace without -y).
  static func append(_ v: ArgValue, to out: inout [UInt8], fdPaths: Bool = true) {
    switch v {
    case .int(let i): out.append(contentsOf: String(i).utf8)
    case .uint(let u): out.append(contentsOf: String(u).utf8)
    case .hex(let h): out.append(contentsOf: ("0x" + String(h, radix: 16)).utf8)
    case .null: out.append(contentsOf: "NULL".utf8)
    case .fd(let fd, let target):
      out.append(contentsOf: String(fd).utf8)
      if fdPaths, let t = target {
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: t.path.utf8)
        out.append(UInt8(ascii: ">"))
      }
    case .string(let bytes, let truncated):
      appendQuoted(bytes, to: &out)
      if truncated { out.append(contentsOf: "...".utf8) }
    case .symbol(let s), .raw(let s): out.append(contentsOf: s.utf8)
    case .array(let items, let truncated):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(contentsOf: ", ".utf8) }
        append(item, to: &out, fdPaths: fdPaths)
      }
      if truncated { out.append(contentsOf: (items.isEmpty ? "..." : ", ...").utf8) }
      out.append(UInt8(ascii: "]"))
    case .structure(let fields):
      out.append(UInt8(ascii: "{"))
      for (i, f) in fields.enumerated() {
        if i > 0 { out.append(contentsOf: ", ".utf8) }
        out.append(contentsOf: f.name.utf8)
        out.append(UInt8(ascii: "="))
        append(f.value, to: &out, fdPaths: fdPaths)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// A C string literal the way strace quotes one: \n \t \" \\, other non-printables in octal.
  static func appendQuoted(_ bytes: [UInt8], to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for (i, b) in bytes.enumerated() {
      switch b {
      case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
      case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
      case 0x0a: out.append(contentsOf: "\\n".utf8)
      case 0x09: out.append(contentsOf: "\\t".utf8)
      case 0x0d: out.append(contentsOf: "\\r".utf8)
      case 0x0c: out.append(contentsOf: "\\f".utf8)
      case 0x0b: out.append(contentsOf: "\\v".utf8)
      case 0x20..<0x7f: out.append(b)
      default:
        // Octal, padded to three digits only when a digit follows (so it cannot be misread).
        let nextIsDigit = i + 1 < bytes.count && bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x37
        let oct = String(b, radix: 8)
        out.append(UInt8(ascii: "\\"))
        if nextIsDigit { out.append(contentsOf: String(repeating: "0", count: 3 - oct.count).utf8) }
        out.append(contentsOf: oct.utf8)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
