import Synchronization

/// strace's -x/-xx: which strings are printed in hex.
public enum HexStrings: Int, Sendable {
  /// `"a\nb\377"`: C escapes, other non-printable bytes in octal (the default).
  case none = 0
  /// -x: a string with any non-ASCII byte entirely in hex.
  case nonASCII = 1
  /// -xx: every string in hex.
  case all = 2
  /// --strings-in-hex=non-ascii-chars: only the non-ASCII bytes in hex.
  case nonASCIIChars = 3
}

/// strace's quoting and escaping of bytes from a tracee or /proc: the one escaper (strings, fd
/// paths, names on a terminal all go through it).
public enum StraceEscape {
  private static let hexMode = Atomic<Int>(HexStrings.none.rawValue)

  /// The -x setting every rendered string follows (set once, before tracing).
  public static var hexStrings: HexStrings {
    get { HexStrings(rawValue: hexMode.load(ordering: .relaxed)) ?? .none }
    set { hexMode.store(newValue.rawValue, ordering: .relaxed) }
  }

  /// A C string literal as strace quotes one, under the current -x setting.
  package static func appendQuoted(_ bytes: [UInt8], to out: inout [UInt8]) {
    appendQuoted(bytes, hex: hexStrings, to: &out)
  }

  package static func quoted(_ bytes: [UInt8], hex: HexStrings) -> String {
    var out: [UInt8] = []
    appendQuoted(bytes, hex: hex, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  package static func appendQuoted(_ bytes: [UInt8], hex: HexStrings, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    appendBody(bytes, hex: hex, extra: "", to: &out)
    out.append(UInt8(ascii: "\""))
  }

  /// A string's bytes as strace escapes them under -x (without the quotes).
  package static func appendBody(_ bytes: [UInt8], hex: HexStrings, extra: String, to out: inout [UInt8]) {
    var allHex = hex == .all
    if hex == .nonASCII {
      // Printable ASCII and the whitespace escapes stay; anything else makes the whole string hex.
      allHex = bytes.contains { $0 > 0x7e || ($0 < 0x20 && !(0x09...0x0d).contains($0)) }
    }
    if allHex {
      for b in bytes { appendHexByte(b, to: &out) }
    } else {
      appendEscaped(bytes, extra: extra, hexNonPrintable: hex == .nonASCIIChars, to: &out)
    }
  }

  /// strace's escapes: \" \\ \f \n \r \t \v, printable ASCII as is, the rest in octal (three digits
  /// only when a digit follows, so it cannot be misread) or, with `hexNonPrintable`, \xHH. Bytes in
  /// `extra` are escaped too.
  package static func appendEscaped(_ bytes: [UInt8], extra: String, hexNonPrintable: Bool = false, to out: inout [UInt8]) {
    let extraBytes = Array(extra.utf8)
    for (i, b) in bytes.enumerated() {
      switch b {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"):
        out.append(UInt8(ascii: "\\"))
        out.append(b)
      case 0x0c: out.append(contentsOf: "\\f".utf8)
      case 0x0a: out.append(contentsOf: "\\n".utf8)
      case 0x0d: out.append(contentsOf: "\\r".utf8)
      case 0x09: out.append(contentsOf: "\\t".utf8)
      case 0x0b: out.append(contentsOf: "\\v".utf8)
      case 0x20..<0x7f where !extraBytes.contains(b):
        out.append(b)
      default:
        if hexNonPrintable {
          appendHexByte(b, to: &out)
          continue
        }
        NumberText.appendOctalEscape(b, next: i + 1 < bytes.count ? bytes[i + 1] : nil, to: &out)
      }
    }
  }

  package static func appendHexByte(_ b: UInt8, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\\"))
    out.append(UInt8(ascii: "x"))
    out.append(NumberText.hexDigits[Int(b >> 4)])
    out.append(NumberText.hexDigits[Int(b & 15)])
  }
}
