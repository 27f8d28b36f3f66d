/// Words joined into one shell command line: each word that holds anything but letters, digits
/// and `-_./=:,+@%` is put in single quotes (a `'` inside as `'\''`), so that a pasted line gives
/// the program the same argv. A word with control characters or bytes that are not UTF-8 (a path
/// another process chose) is written as `$'...'` with octal escapes (bash, zsh, ksh): the line then
/// shows no raw control character and still names the same bytes.
public func shellQuoted(_ argv: [String]) -> String {
  argv.map { a in
    if a.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) && !a.isEmpty { return a }
    if a.unicodeScalars.contains(where: needsEscape) { return dollarQuoted(a) }
    return "'" + a.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }.joined(separator: " ")
}

/// C0 and C1 controls, DEL, and the scalars that stand for raw bytes (`DisplayText.decode`).
private func needsEscape(_ s: Unicode.Scalar) -> Bool {
  s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value >= DisplayText.rawByteBase
}

/// `$'...'`: `\'` and `\\`, the bytes of controls and of raw-byte scalars in octal
/// (`NumberText.appendOctalEscape`: bash too reads up to three digits), the rest as is.
private func dollarQuoted(_ word: String) -> String {
  var out: [UInt8] = Array("$'".utf8)
  var pending: [UInt8] = []  // bytes to write in octal, once the byte after them is known
  func flush(before next: UInt8?) {
    for (i, b) in pending.enumerated() {
      // Only the last is followed by a character that is not an escape.
      NumberText.appendOctalEscape(b, next: i + 1 < pending.count ? nil : next, to: &out)
    }
    pending.removeAll()
  }
  for scalar in word.unicodeScalars {
    if scalar.value >= DisplayText.rawByteBase {
      pending.append(UInt8(scalar.value - DisplayText.rawByteBase))
    } else if needsEscape(scalar) {
      pending.append(contentsOf: String(scalar).utf8)
    } else {
      let bytes: [UInt8] = scalar == "'" ? Array("\\'".utf8) : scalar == "\\" ? Array("\\\\".utf8) : Array(String(scalar).utf8)
      flush(before: bytes[0])
      out.append(contentsOf: bytes)
    }
  }
  flush(before: nil)
  out.append(contentsOf: "'".utf8)
  return String(decoding: out, as: UTF8.self)
}
