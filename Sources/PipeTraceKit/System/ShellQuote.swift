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

private func dollarQuoted(_ word: String) -> String {
  var out = "$'"
  for scalar in word.unicodeScalars {
    switch scalar {
    case "'": out += "\\'"
    case "\\": out += "\\\\"
    default:
      if scalar.value >= DisplayText.rawByteBase {
        out += "\\" + String(scalar.value - DisplayText.rawByteBase, radix: 8)
      } else if needsEscape(scalar) {
        for b in String(scalar).utf8 { out += "\\" + String(b, radix: 8) }
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "'"
}
