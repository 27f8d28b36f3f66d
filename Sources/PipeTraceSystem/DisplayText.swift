/// Strings that come from other processes (comm, command lines, fd paths) are data: in text output
/// they are escaped the way strace escapes strings, so nobody can plant a fake `Verdict:` line or
/// terminal escapes in an operator's output. JSON keeps them as strings (its own escaping is enough).
public enum DisplayText {
  /// Invalid UTF-8 bytes read from /proc are kept as these scalars (one per byte, U+10FF00 + byte)
  /// instead of U+FFFD, so the text form can show the byte itself (`\377`) as strace does.
  package static let rawByteBase: UInt32 = 0x10_FF00

  /// Bytes as a String without loss: valid UTF-8 as is, every other byte as a raw-byte scalar.
  public static func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    if let valid = String(validating: bytes, as: UTF8.self) { return valid }
    var scalars = String.UnicodeScalarView()
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    // Where the parser is in `bytes`: it does not hand back the bytes it could not decode, so they
    // are re-read from the collection there.
    var position = bytes.startIndex
    loop: while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        scalars.append(Unicode.UTF8.decode(encoded))
        position = bytes.index(position, offsetBy: encoded.count)
      case .emptyInput:
        break loop
      case .error(let length):
        let end = bytes.index(position, offsetBy: length)
        for b in bytes[position..<end] { scalars.append(Unicode.Scalar(rawByteBase + UInt32(b))!) }
        position = end
      }
    }
    return String(scalars)
  }

  /// The bytes `decode` was given, back: each raw-byte scalar as its byte, the rest as UTF-8.
  public static func encode(_ s: String) -> [UInt8] {
    // A raw-byte scalar is U+10FFxx, F4 8F BC.. in UTF-8: text without an F4 byte has none.
    guard s.utf8.contains(0xF4) else { return Array(s.utf8) }
    var out: [UInt8] = []
    for scalar in s.unicodeScalars {
      if scalar.value >= rawByteBase {
        out.append(UInt8(scalar.value - rawByteBase))
      } else {
        UTF8.encode(scalar) { out.append($0) }
      }
    }
    return out
  }

  /// strace's escaping (StraceText's, the one escaper): printable ASCII as is, `\"` `\\`, `\n` `\t`
  /// `\r` `\v` `\f`, every other byte (controls, DEL, anything outside ASCII, a raw byte as itself)
  /// in octal: `\33`, `\303\251`, `\377`, three digits before an octal digit (`\0012`).
  public static func escape(_ s: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count)
    StraceEscape.appendEscaped(encode(s), extra: "", to: &out)
    return String(decoding: out, as: UTF8.self)
  }
}
