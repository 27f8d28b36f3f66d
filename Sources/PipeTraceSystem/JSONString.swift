/// The one JSON string escaper, for every JSON pipetrace writes (trace lines, reports, `why`, `run`).
/// Besides what JSON requires (`"`, `\`, controls below 0x20) it escapes DEL, so a string from a
/// tracee cannot carry a raw control byte to a terminal that shows the JSON.
public enum JSONString {
  /// `utf8` (valid UTF-8) as a quoted JSON string.
  @inline(__always)
  package static func append<Bytes: Sequence>(_ utf8: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
    out.append(UInt8(ascii: "\""))
    for b in utf8 {
      switch b {
      case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
      case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case 0x0a: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      case 0x0d: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
      case 0..<0x20, 0x7f:
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        out.append(NumberText.hexDigits[Int(b >> 4)])
        out.append(NumberText.hexDigits[Int(b & 15)])
      default: out.append(b)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// The one key of a byte string's object (`{"hex":"ff80"}`); the trace reader matches it.
  package static let hexKey = "hex"

  /// Bytes that need not be UTF-8, losslessly (README "JSON lines"): valid UTF-8 as a JSON string,
  /// anything else as `{"hex":"ff8061"}`. The trace's JSON and `run --json` write bytes this way.
  package static func appendBytes<Bytes: Collection>(_ b: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
    if b.allSatisfy({ $0 < 0x80 }) || String(validating: b, as: UTF8.self) != nil {
      append(b, to: &out)
    } else {
      out.append(contentsOf: Array(#"{""#.utf8))
      out.append(contentsOf: hexKey.utf8)
      out.append(contentsOf: Array(#"":""#.utf8))
      for byte in b {
        out.append(NumberText.hexDigits[Int(byte >> 4)])
        out.append(NumberText.hexDigits[Int(byte & 15)])
      }
      out.append(contentsOf: Array(#""}"#.utf8))
    }
  }

  /// `b` as `appendBytes` writes it.
  public static func bytes<Bytes: Collection>(_ b: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    appendBytes(b, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// `s` as a quoted JSON string.
  public static func quoted(_ s: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count + 2)
    append(s.utf8, to: &out)
    return String(decoding: out, as: UTF8.self)
  }
}
