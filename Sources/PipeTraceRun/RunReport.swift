/// How a `RunRecord` is shown: the seed wrapper's one-line log, or one JSON object.
public enum RunReport {
  /// `sh(0, 1.004s): sh -c 'sleep 300 & echo start ok' <OUT>start ok <ERR> [leaked: ...]`
  public static func logLine(_ r: RunRecord, trim: Int) -> String {
    let exe = r.command.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "?"
    var code = r.exitCode.map(String.init) ?? r.signal.map { Signals.name($0) } ?? "?"
    if r.timedOut { code = "timeout" }
    var line = "\(exe)(\(code), \(NumberText.fixed(r.wall, places: 3))s): \(shellQuoted(r.command))"
    line += " <OUT>" + trimmed(r.stdout, trim) + " <ERR>" + trimmed(r.stderr, trim)
    if !r.holders.isEmpty {
      let byPid = Dictionary(grouping: r.holders, by: \.pid).sorted { $0.key < $1.key }
      line += " [leaked pipe held by " + byPid.map { pid, hs in
        "pid \(pid) (\(DisplayText.escape(hs[0].comm))) fd \(hs.map { String($0.fd) }.joined(separator: ","))"
      }.joined(separator: "; ") + "]"
    }
    if !r.holders.isEmpty && r.closed.isEmpty && r.killed.isEmpty {
      // They run on (--on-leak=report): the command that closes what they leaked.
      // `why`'s Fix: each pipe checked with --expect (fd 1 and 2 are two pipes here).
      let closes = Dictionary(grouping: r.holders) { HolderPipe(pid: $0.pid, pipe: $0.pipe) }.map { key, hs in
        HangDiagnosis.Fix.Close(pid: key.pid, fds: hs.map(\.fd).sorted(), expect: key.pipe)
      }.sorted { ($0.pid, $0.fds[0]) < ($1.pid, $1.fds[0]) }
      line += " [close with: " + HangDiagnosis.Fix(closes: closes).command + "]"
    }
    if !r.closed.isEmpty { line += " [closed in holders: " + r.closed.map { "\($0.pid):\($0.fd)" }.joined(separator: " ") + "]" }
    if !r.killed.isEmpty { line += " [killed: " + r.killed.map(String.init).joined(separator: " ") + "]" }
    if !r.sigkilled.isEmpty { line += " [SIGKILL after the grace: " + r.sigkilled.map(String.init).joined(separator: " ") + "]" }
    return line
  }

  public static func json(_ r: RunRecord) -> String { jsonValue(r).text }

  static func jsonValue(_ r: RunRecord) -> JSONValue {
    func int(_ v: Int32) -> JSONValue { .int(Int64(v)) }
    func holders(_ hs: [RunRecord.Holder]) -> JSONValue {
      .array(hs.map { .object([("pid", int($0.pid)), ("fd", int($0.fd)), ("comm", .string($0.comm))]) })
    }
    var fields: [(String, JSONValue)] = [
      ("cmd", .array(r.command.map { .string($0) })),
      ("exit_code", r.exitCode.map(int) ?? .null),
      ("signal", r.signal.map { .string(Signals.name($0)) } ?? .null),
      ("wall", .fixed(r.wall, places: 3)),
      ("timed_out", .bool(r.timedOut)),
    ]
    fields += stream("stdout", r.stdout) + stream("stderr", r.stderr)
    fields += [
      ("holders", holders(r.holders)),
      ("closed", holders(r.closed)),
      ("killed", .array(r.killed.map(int))),
      ("sigkilled", .array(r.sigkilled.map(int))),
      ("stuck", .array(r.stuck.map { f in
        .object([
          ("pid", int(f.pid)), ("tid", int(f.tid)), ("comm", .string(f.comm)), ("syscall", .string(f.syscall)),
          ("blocked_for", .fixed(f.blockedFor, places: 3)), ("verdict", .string(f.verdict)), ("fix", .string(f.fix)),
          ("action", .string(f.action.rawValue)),
          ("holders", .array(f.holders.map { .object([("pid", int($0.pid)), ("fds", .array($0.fds.map(int)))]) })),
        ])
      })),
    ]
    if let autopsy = r.autopsy { fields.append(("autopsy", autopsy.jsonValue)) }
    return .object(fields)
  }

  /// `"NAME":TEXT,"NAME_bytes":N,"NAME_omitted":N` and, when the middle was left out of memory,
  /// `"NAME_tail":TEXT`. A cut never splits a UTF-8 sequence of text that is UTF-8 otherwise (its
  /// bytes count as omitted); output that is not UTF-8 is `{"hex":...}`, every byte kept.
  static func stream(_ name: String, _ out: CapturedOutput) -> [(String, JSONValue)] {
    var head = out.head[...], tail = out.tail[...]
    if out.notInMemory == 0 {
      head = (out.head + out.tail)[...]
      tail = []
    } else {
      let text = head.prefix(completeUTF8Prefix(head))
      if String(validating: text, as: UTF8.self) != nil { head = text }
      var rest = tail
      while let b = rest.first, b & 0xC0 == 0x80 { rest = rest.dropFirst() }
      if String(validating: rest, as: UTF8.self) != nil { tail = rest }
    }
    let omitted = out.total - head.count - tail.count
    // Bytes that are not UTF-8 as the trace's JSON writes them, {"hex":...}.
    var fields: [(String, JSONValue)] = [
      (name, .bytes(Array(head))), (name + "_bytes", .int(Int64(out.total))), (name + "_omitted", .int(Int64(omitted))),
    ]
    if omitted > 0 { fields.append((name + "_tail", .bytes(Array(tail)))) }
    return fields
  }

  /// The length of `bytes` without a UTF-8 sequence cut at its end.
  static func completeUTF8Prefix(_ bytes: ArraySlice<UInt8>) -> Int {
    var k = bytes.endIndex
    var back = 0
    while k > bytes.startIndex && back < 4 {
      k -= 1
      back += 1
      let b = bytes[k]
      if b & 0xC0 == 0x80 { continue }  // a continuation byte: look for its lead
      let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
      return (length > back ? k : bytes.endIndex) - bytes.startIndex
    }
    return bytes.count
  }

  /// The log line's view of a stream: its first `limit` characters, newlines as ⏎, other control
  /// characters escaped as strace escapes them (`\33`: the output cannot move the cursor or split the
  /// line), `…` when cut.
  /// Only the bytes that can hold those characters are decoded, not the whole output.
  static func trimmed(_ out: CapturedOutput, _ limit: Int) -> String {
    let window = min(out.head.count, 4 * (limit + 1) + 16)
    let complete = window == out.total
    var text = String(decoding: out.head[..<window], as: UTF8.self)
    if complete {
      while text.hasSuffix("\n") { text.removeLast() }
    }
    text = text.replacingNewlines()
    if text.count > limit { return String(text.prefix(limit)) + "…" }
    return complete ? text : text + "…"
  }
}

/// One pipe in one holder: the fds of a `[close with: ...]` command.
private struct HolderPipe: Hashable {
  var pid: Int32
  var pipe: String
}

extension String {
  package func replacingNewlines() -> String {
    var out = ""
    let scalars = Array(unicodeScalars)
    for (i, scalar) in scalars.enumerated() {
      switch scalar.value {
      case 0x0A: out += "⏎"
      case 0..<0x20, 0x7F...0x9F:
        // The escaper sees the next character too: an octal digit after it takes three digits.
        let next = i + 1 < scalars.count && scalars[i + 1].isASCII ? String(scalars[i + 1]) : ""
        let escaped = DisplayText.escape(String(scalar) + next)
        out += escaped.dropLast(next.isEmpty ? 0 : DisplayText.escape(next).count)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
