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
          + "\(h.relation.rawValue): \(shown(h.relationDetail)); ppid \(h.ppid); \(doing)")
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
    if let fix {
      lines.append("Fix: \(fix.command)")
      lines.append("  (each fd is replaced by /dev/null, so its number stays taken; --plain-close frees it instead)")
      for c in cautions { lines.append("  caution: \(c)") }
    } else {
      lines.append("No fix: \(noFixReason ?? "none found")")
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
      ])
    }
    let fixValue: JSONValue = fix.map { .string($0.command) } ?? .null
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
