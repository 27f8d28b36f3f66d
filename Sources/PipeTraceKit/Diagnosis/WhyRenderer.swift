/// Text and JSON forms of a diagnosis.
extension HangDiagnosis {
  /// The human report: threads, holders, chain, verdict, fix.
  public func render() -> String {
    var lines: [String] = []
    lines.append("\(pid) \(comm): \(cmdline.isEmpty ? "[\(comm)]" : cmdline)")
    for t in threads {
      var line = "  thread \(t.tid) [\(t.state)]: "
      switch t.syscall {
      case .running?: line += "running"
      case .outside?: line += "blocked outside a syscall"
      case .inSyscall(let nr, _, _, _)?: line += t.blocked?.summary ?? "in \(BlockedCall.name(of: nr))"
      case nil: line += "syscall state unreadable"
      }
      if let w = t.wchan { line += "  wchan \(w)" }
      lines.append(line)
    }
    if !holders.isEmpty {
      lines.append("Holders of the other end:")
      for h in holders {
        let doing = h.blocked?.summary ?? h.state
        lines.append("  \(h.pid) \(h.comm) fd \(h.fd) (\(h.end?.rawValue ?? "?") end of pipe:[\(h.inode)]) — "
          + "\(h.relation.rawValue): \(h.relationDetail); ppid \(h.ppid); \(doing)")
        if !h.cmdline.isEmpty { lines.append("      \(h.cmdline)") }
      }
    }
    if chain.count > 1 {
      lines.append("Wait-for chain:")
      for step in chain { lines.append(String(repeating: "  ", count: step.depth + 1) + step.text) }
    }
    if let cycle { lines.append("Cycle: " + (cycle + [cycle[0]]).map(String.init).joined(separator: " → ")) }
    lines.append("Verdict: \(verdict)")
    if let fix {
      lines.append("Fix: \(fix.command)")
      for c in cautions { lines.append("  caution: \(c)") }
    } else {
      lines.append("No fix: \(noFixReason ?? "none found")")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  public var jsonValue: JSONValue {
    func call(_ c: BlockedCall?) -> JSONValue {
      guard let c else { return .null }
      var fields: [(String, JSONValue)] = [("syscall", .string(c.syscall)), ("nr", .int(Int64(c.number)))]
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
        ("pipe", .string("pipe:[\(h.inode)]")), ("comm", .string(h.comm)), ("cmdline", .string(h.cmdline)),
        ("ppid", .int(Int64(h.ppid))), ("relation", .string(h.relation.rawValue)),
        ("relation_detail", .string(h.relationDetail)), ("state", .string(h.state)), ("blocked", call(h.blocked)),
      ])
    }
    let fixValue: JSONValue = fix.map { .string($0.command) } ?? .null
    let closes: JSONValue = .array((fix?.closes ?? []).map { c in
      .object([("pid", .int(Int64(c.pid))), ("fds", .array(c.fds.map { .int(Int64($0)) })),
               ("pipe", .string("pipe:[\(c.inode)]"))])
    })
    return .object([
      ("pid", .int(Int64(pid))), ("comm", .string(comm)), ("cmdline", .string(cmdline)), ("state", .string(state)),
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
    ])
  }

  /// One JSON object on one line.
  public func json() -> String { jsonValue.text + "\n" }
}
