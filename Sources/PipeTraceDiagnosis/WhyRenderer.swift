/// Text and JSON forms of a diagnosis.
extension HangDiagnosis {
  /// The human report: threads, holders, chain, verdict, fix. Every string that came from another
  /// process (comm, command line, paths) is escaped as strace escapes strings.
  public func render() -> String {
    let shown = DisplayText.escape
    var lines: [String] = []
    lines.append("\(pid) \(shown(comm)): \(cmdline.isEmpty ? "[\(shown(comm))]" : shown(cmdline))")
    for t in threads {
      var line = "  thread \(t.tid) [\(shown(String(t.state)))]: "
      switch t.syscall {
      case .running?: line += "running"
      case .outside?: line += "blocked outside a syscall"
      case .inSyscall(let nr, _, _, _)?: line += t.blocked?.summary ?? "in \(SyscallTable.x86_64.name(of: nr))"
      case nil: line += "syscall state unreadable"
      }
      if let w = t.wchan { line += "  wchan \(shown(w))" }
      lines.append(line)
    }
    if !holders.isEmpty {
      lines.append("Holders of the other side:")
      for h in holders {
        let doing = h.blocked?.summary ?? h.state
        let mode = h.end.map { "\($0.rawValue) end of " } ?? ""
        let thread = h.tid.map { " thread \($0) (own fd table)" } ?? ""
        lines.append("  \(h.pid)\(thread) \(shown(h.comm)) fd \(h.fd) (\(mode)\(shown(h.link))) — "
          + "\(h.classification.rawValue) (\(h.relation.rawValue): \(shown(h.relationDetail))); ppid \(h.ppid); \(doing)")
        if !h.cmdline.isEmpty { lines.append("      \(shown(h.cmdline))") }
      }
    }
    if chain.count > 1 {
      lines.append("Wait-for chain:")
      for step in chain { lines.append(String(repeating: "  ", count: step.depth + 1) + step.text) }
    }
    if let cycle { lines.append("Cycle: " + (cycle + [cycle[0]]).map(String.init).joined(separator: " → ")) }
    if !uninspected.isEmpty {
      lines.append("Not inspected: \(uninspected.count) process\(uninspected.count == 1 ? "" : "es") whose fds "
        + "pipetrace may not read (another user's; run as root or as that user): "
        + "a holder among them would be missing, so this answer may be incomplete.")
    }
    lines.append("Verdict: \(verdict)")
    // Below it, each holder's class and the evidence for it, once per process and evidence.
    var said: [(pid: Int32, evidence: String, fds: [Int32])] = []
    for h in holders where !h.evidence.isEmpty {
      if let i = said.firstIndex(where: { $0.pid == h.pid && $0.evidence == h.evidence }) {
        if !said[i].fds.contains(h.fd) { said[i].fds.append(h.fd) }
        continue
      }
      said.append((h.pid, h.evidence, [h.fd]))
    }
    for s in said {
      let h = holders.first { $0.pid == s.pid && $0.evidence == s.evidence }!
      lines.append("  evidence: \(s.pid) (\(shown(h.comm))) fd \(s.fds.map(String.init).joined(separator: ", ")): "
        + "\(h.classification.rawValue) — \(shown(s.evidence))")
    }
    // Member verdicts: already escaped, as every verdict is.
    for e in evidence { lines.append("  evidence: \(e)") }
    if let fix {
      lines.append("Fix: \(fix.command)")
      lines.append("  (each fd is replaced by /dev/null, so its number stays taken; --plain-close frees it instead)")
      for c in cautions { lines.append("  caution: \(c)") }
    } else {
      lines.append("No fix: \(noFixReason ?? "none found")")
      if let suggestion {
        lines.append("# if you are sure: \(suggestion.command)")
        if let doubt { lines.append("#   doubt: \(shown(doubt))") }
      }
    }
    // Composed lines hold escaped text only; this last pass keeps a control character from any
    // source out of the terminal.
    return lines.map { line in line.contains { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) } ? shown(line) : line }
      .joined(separator: "\n") + "\n"
  }

  public var jsonValue: JSONValue {
    func call(_ c: BlockedCall?) -> JSONValue {
      guard let c else { return .null }
      var fields: [(String, JSONValue)] = [("syscall", .string(c.syscall)), ("nr", .int(Int64(c.number)))]
      if c.restarted { fields.append(("restarted", .bool(true))) }
      let primaryFd = c.fds.first { $0.target?.kind == .pipe } ?? c.fds.first
      fields.append(("fd", primaryFd.map { .int(Int64($0.fd)) } ?? .null))
      fields.append(("target", primaryFd?.target.map { .string($0.path) } ?? .null))
      fields.append(("fds", .array(c.fds.map { f in
        .object([("fd", .int(Int64(f.fd))), ("wants", .string(f.wants.rawValue)),
                 ("target", f.target.map { .string($0.path) } ?? .null)])
      })))
      if let w = c.waitPid { fields.append(("wait_pid", .int(Int64(w)))) }
      return .object(fields)
    }
    let holderValues: [JSONValue] = holders.map { h in
      .object([
        ("pid", .int(Int64(h.pid))), ("fd", .int(Int64(h.fd))), ("end", h.end.map { .string($0.rawValue) } ?? .null),
        ("kind", .string(h.kind.rawValue)), ("link", .string(h.link)), ("waited_on", .string(h.waitedOn)),
        ("comm", .string(h.comm)), ("cmdline", .string(h.cmdline)),
        ("ppid", .int(Int64(h.ppid))), ("relation", .string(h.relation.rawValue)),
        ("relation_detail", .string(h.relationDetail)), ("state", .string(h.state)), ("blocked", call(h.blocked)),
        ("tid", h.tid.map { .int(Int64($0)) } ?? .null), ("listens", .bool(h.listens)),
        ("classification", .string(h.classification.rawValue)), ("evidence", .string(h.evidence)),
      ])
    }
    let fixValue: JSONValue = fix.map { .string($0.command) } ?? .null
    let evidenceValue: JSONValue = .array(evidence.map { .string($0) })
    let suggestionValue: JSONValue = suggestion.map { .string($0.command) } ?? .null
    let doubtValue: JSONValue = doubt.map { .string($0) } ?? .null
    let closes: JSONValue = .array((fix?.closes ?? []).map { c in
      .object([("pid", .int(Int64(c.pid))), ("fds", .array(c.fds.map { .int(Int64($0)) })),
               ("expect", .string(c.expect)), ("tid", c.tid.map { .int(Int64($0)) } ?? .null)])
    })
    return .object([
      ("pid", .int(Int64(pid))), ("comm", .string(comm)), ("cmdline", .string(cmdline)), ("state", .string(state)),
      ("outcome", .string(outcome.rawValue)), ("exit_status", .int(Int64(outcome.exitStatus))),
      ("blocked", call(blocked)),
      ("threads", .array(threads.map { t in
        .object([("tid", .int(Int64(t.tid))), ("state", .string(String(t.state))),
                 ("wchan", t.wchan.map { .string($0) } ?? .null), ("blocked", call(t.blocked))])
      })),
      ("holders", .array(holderValues)),
      ("chain", .array(chain.map { .object([("pid", .int(Int64($0.pid))), ("depth", .int(Int64($0.depth))),
                                            ("text", .string($0.text))]) })),
      ("cycle", cycle.map { .array($0.map { .int(Int64($0)) }) } ?? .null),
      ("verdict", .string(verdict)),
      ("verdict_kind", .string(verdictCase.kind)),
      ("evidence", evidenceValue),
      ("suggestion", suggestionValue),
      ("doubt", doubtValue),
      ("fix", fixValue),
      ("closes", closes),
      ("no_fix_reason", noFixReason.map { .string($0) } ?? .null),
      ("cautions", .array(cautions.map { .string($0) })),
      ("uninspected", .int(Int64(uninspected.count))),
      ("uninspected_pids", .array(uninspected.prefix(10_000).map { .int(Int64($0)) })),
      ("complete", .bool(uninspected.isEmpty)),
    ])
  }

  /// One JSON object on one line.
  public func json() -> String { jsonValue.text + "\n" }
}

/// The verdict's one line: who, which fd, why (at most about 200 characters; the evidence of each
/// holder is on its own line below it).
extension Verdict {
  public var text: String {
    let shown = DisplayText.escape
    func name(_ s: Subject) -> String { "\(s.pid) (\(shown(s.comm)))" }
    func who(_ groups: [HolderGroup], limit: Int = 3) -> String {
      let named = groups.prefix(limit).map {
        "\($0.tid.map { "thread \($0) of " } ?? "")\($0.pid) (\(shown($0.comm)), fd \($0.fds.map(String.init).joined(separator: " ")))"
      }
      return named.joined(separator: ", ") + (groups.count > limit ? " and \(groups.count - limit) more" : "")
    }
    func cut(_ text: String) -> String { text.count <= 200 ? text : String(text.prefix(197)) + "..." }
    switch self {
    case .leak(let s, let leaked, _):
      return cut("\(name(s)) waits for EOF on \(shown(s.waited)), held open by leaked \(who(leaked)): "
        + "inherited from a process that is gone.")
    case .pipelineLeak(let s, let members):
      return cut("\(name(s)) waits for EOF on \(shown(s.waited)); its pipeline \(who(members)) cannot finish "
        + "because of a leak (below).")
    case .stoppedLeak(let s, let stopped):
      return cut("\(name(s)) waits for EOF on \(shown(s.waited)), held open by leaked \(who(stopped)), which is stopped: "
        + stopped.map { "`kill -CONT \($0.pid)`" }.joined(separator: ", ") + " first, then ask again.")
    case .stillWritten(let s, let writers):
      return cut("\(name(s)) reads \(shown(s.waited)), still being written to by \(who(writers)): "
        + (writers.count == 1 ? "a live stage" : "live stages") + " of its pipeline, not a leak.")
    case .peer(let s, let peers):
      return cut("\(name(s)) waits for data on \(shown(s.waited)) from \(who(peers)), its server or peer: not a leak.")
    case .ownThread(let s, let threads):
      return cut("\(name(s)) waits on \(shown(s.waited)) for its own thread: only it holds the other side "
        + "(fd \(threads.flatMap(\.fds).map(String.init).joined(separator: ", "))), shared by its threads.")
    case .selfHeld(let s, let fds):
      return cut("\(name(s)) waits for EOF on \(shown(s.waited)) but holds the other side itself (fd "
        + fds.map(String.init).joined(separator: ", ") + "): it can never see EOF from another process.")
    case .unknown(let s, let holders):
      return cut("\(name(s)) waits on \(shown(s.waited)), held by \(who(holders)), which pipetrace cannot prove leaked.")
    case .text(let t):
      return t
    }
  }
}
