/// How a `RunRecord` is shown: the seed wrapper's one-line log, or one JSON object.
public enum RunReport {
  /// `sh(0, 1.004s): sh -c 'sleep 300 & echo start ok' <OUT>start ok <ERR> [leaked: ...]`
  public static func logLine(_ r: RunRecord, trim: Int) -> String {
    let exe = r.command.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "?"
    var code = r.exitCode.map(String.init) ?? r.signal.map { Signals.name($0) } ?? "?"
    if r.timedOut { code = "timeout" }
    var line = "\(exe)(\(code), \(String(format3: r.wall))s): \(shellQuoted(r.command))"
    line += " <OUT>" + trimmed(r.stdout, trim) + " <ERR>" + trimmed(r.stderr, trim)
    if !r.holders.isEmpty {
      let byPid = Dictionary(grouping: r.holders, by: \.pid).sorted { $0.key < $1.key }
      line += " [leaked pipe held by " + byPid.map { pid, hs in
        "pid \(pid) (\(hs[0].comm)) fd \(hs.map { String($0.fd) }.joined(separator: ","))"
      }.joined(separator: "; ") + "]"
    }
    if !r.closed.isEmpty { line += " [closed in holders: " + r.closed.map { "\($0.pid):\($0.fd)" }.joined(separator: " ") + "]" }
    if !r.killed.isEmpty { line += " [killed: " + r.killed.map(String.init).joined(separator: " ") + "]" }
    return line
  }

  public static func json(_ r: RunRecord) -> String {
    func holders(_ hs: [RunRecord.Holder]) -> String {
      "[" + hs.map { "{\"pid\":\($0.pid),\"fd\":\($0.fd),\"comm\":\(jsonString($0.comm))}" }.joined(separator: ",") + "]"
    }
    var s = "{\"cmd\":[" + r.command.map(jsonString).joined(separator: ",") + "]"
    s += ",\"exit_code\":" + (r.exitCode.map(String.init) ?? "null")
    s += ",\"signal\":" + (r.signal.map { jsonString(Signals.name($0)) } ?? "null")
    s += ",\"wall\":" + String(format3: r.wall)
    s += ",\"timed_out\":\(r.timedOut)"
    s += ",\"stdout\":" + jsonString(String(decoding: r.stdout, as: UTF8.self))
    s += ",\"stderr\":" + jsonString(String(decoding: r.stderr, as: UTF8.self))
    s += ",\"holders\":" + holders(r.holders)
    s += ",\"closed\":" + holders(r.closed)
    s += ",\"killed\":[" + r.killed.map(String.init).joined(separator: ",") + "]}"
    return s
  }

  /// Seconds with three decimals.
  public static func seconds(_ v: Double) -> String { String(format3: v) }

  static func trimmed(_ bytes: [UInt8], _ limit: Int) -> String {
    var text = String(decoding: bytes, as: UTF8.self)
    while text.hasSuffix("\n") { text.removeLast() }
    text = text.replacingNewlines()
    return text.count > limit ? String(text.prefix(limit)) + "…" : text
  }

  static func shellQuoted(_ argv: [String]) -> String {
    argv.map { a in
      a.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) && !a.isEmpty
        ? a : "'" + a.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }.joined(separator: " ")
  }

  static func jsonString(_ s: String) -> String {
    var out = ""
    JSONValue.quote(s, into: &out)
    return out
  }
}

extension String {
  /// Seconds with three decimals.
  init(format3 v: Double) {
    let ms = Int((v * 1000).rounded())
    let frac = String(ms % 1000)
    self = "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
  }

  func replacingNewlines() -> String {
    String(self.map { $0 == "\n" ? "⏎" : $0 })
  }
}
