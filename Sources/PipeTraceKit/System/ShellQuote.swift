/// Words joined into one shell command line: each word that holds anything but letters, digits
/// and `-_./=:,+@%` is put in single quotes (a `'` inside as `'\''`), so that a pasted line gives
/// the program the same argv.
public func shellQuoted(_ argv: [String]) -> String {
  argv.map { a in
    a.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) && !a.isEmpty
      ? a : "'" + a.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }.joined(separator: " ")
}
