/// Verdict pieces for the evidence that is never a leak: a terminal's input, a server's listener.
/// Kept apart from Why.swift's classification, which calls them.
extension WaitedObject {
  /// The fd (the lowest, when several) on which `pid` holds the socket listening where this
  /// connection was accepted, nil when it holds none: the server that accepted it (a process that
  /// only inherited the connection does not hold the listener). The one answer to "is it the
  /// server": `Holder.listens` and `HolderClassifier`'s server evidence both come from it.
  func listenerFd(of pid: Int32, in index: PipeHolderIndex) -> Int32? {
    guard listener != 0 else { return nil }
    return index.socketHolders(of: listener).filter { $0.pid == pid }.map(\.fd).min()
  }
}

extension WaitForAnalyzer {
  /// A reader of a terminal waits for someone to type: no leak, no fix. Names who holds the pty
  /// master (a terminal emulator, sshd, `script`) when there is one.
  mutating func terminalWait(_ root: ProcessSnapshot, waits: [Wait], into base: HangDiagnosis) -> HangDiagnosis {
    var result = base
    let terminals = waits.map { "\(Self.shown($0.object.name)) (fd \($0.fd.fd))" }.joined(separator: ", ")
    let masters = waits.flatMap(\.holders)
    result.verdict = "\(Self.name(root)) waits for terminal input on \(terminals)"
      + (masters.isEmpty ? "" : "; the terminal's master side is held by \(whoText(masters))")
      + ": it reads what is typed there (a terminal, not a leak)."
    result.noFixReason = "it waits for terminal input: type in the terminal (or send EOF, Ctrl-D)"
    return result
  }
}
