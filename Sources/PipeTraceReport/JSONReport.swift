/// `--format json`: the report as one JSON object (`summary`, `processes`, `blocking`, `pipes`, `leaks`).
public enum JSONReport {
  public static func render(_ r: Report) -> String { value(r).text + "\n" }

  static func value(_ r: Report) -> JSONValue {
    func int<I: BinaryInteger>(_ v: I) -> JSONValue { .int(Int64(v)) }
    func seconds(_ d: Double?) -> JSONValue { d.map { .seconds($0) } ?? .null }
    func summary(_ rows: [CallSummary]) -> JSONValue {
      .array(rows.map {
        .object([("name", .string($0.name)), ("calls", int($0.calls)), ("errors", int($0.errors)), ("total", .seconds($0.total)),
                 ("avg", .seconds($0.avg)), ("p50", .seconds($0.p50)), ("p99", .seconds($0.p99)), ("max", .seconds($0.max))])
      })
    }
    let trace: JSONValue = .object([
      ("events", int(r.eventCount)), ("start", seconds(r.traceStart)), ("end", seconds(r.traceEnd)),
      ("bad_lines", int(r.badLines.count)),
      ("bad_line_samples", .array(r.badLines.samples.map {
        .object([("file", .string($0.file)), ("line", int($0.line)), ("reason", .string($0.reason))])
      })),
    ])
    let processes: [JSONValue] = r.processes.map { p in
      .object([
        ("pid", int(p.pid)), ("parent", p.parent.map(int) ?? .null), ("program", p.program.map { .string($0) } ?? .null),
        ("argv", .array(p.argv.map { .string($0) })), ("start", .seconds(p.start)), ("end", seconds(p.end)),
        ("exit_code", p.exitCode.map(int) ?? .null), ("signal", p.signal.map { .string(Signals.name($0)) } ?? .null),
        ("lifetime", seconds(p.end.map { $0 - p.start })),
      ])
    }
    let blocking: [JSONValue] = r.blocking.map { b in
      .object([
        ("pid", int(b.pid)), ("tid", int(b.tid)), ("name", .string(b.name)), ("fd", b.fd.map(int) ?? .null),
        ("target", b.target.map { .string($0) } ?? .null), ("ts", .seconds(b.ts)), ("dur", .seconds(b.dur)),
        ("returned", .bool(b.returned)), ("result", .string(b.result)), ("released_by", ref(b.releasedBy)),
      ])
    }
    let pipes: [JSONValue] = r.pipes.map { p in
      .object([
        ("pipe", .string(p.label)), ("inode", p.inode.map { .uint($0) } ?? .null), ("created_by", ref(p.created)),
        ("closed_at", seconds(p.closedAt)),
        ("history", .array(p.history.map { .object([("ts", .seconds($0.ts)), ("pid", int($0.pid)), ("text", .string($0.text))]) })),
        ("carried_through_exec", .array(p.carries.map {
          .object([("pid", int($0.pid)), ("program", .string($0.program)), ("fd", int($0.fd)), ("end", .string($0.end.rawValue)),
                   ("ts", .seconds($0.ts)), ("used", .bool($0.used)), ("released_at", seconds($0.releasedAt))])
        })),
      ])
    }
    let leaks: [JSONValue] = r.leaks.map { l in
      .object([
        ("holder_pid", int(l.holderPid)), ("program", .string(l.program)), ("fd", int(l.fd)), ("end", .string(l.end.rawValue)),
        ("pipe", .string(l.pipe)), ("exec_ts", .seconds(l.execTs)), ("released_at", seconds(l.releasedAt)),
        ("blocked_pid", int(l.blockedPid)), ("blocked_name", .string(l.blockedName)), ("blocked_ts", .seconds(l.blockedTs)),
        ("blocked_dur", .seconds(l.blockedDur)),
      ])
    }
    return .object([
      ("clock", .string(Report.clockNote)), ("trace", trace), ("min_block", .seconds(r.minBlock)),
      ("summary", summary(r.summary)),
      ("per_process", .array(r.perProcess.map { .object([("pid", int($0.pid)), ("summary", summary($0.syscalls))]) })),
      ("processes", .array(processes)), ("blocking", .array(blocking)), ("pipes", .array(pipes)), ("leaks", .array(leaks)),
    ])
  }

  /// An event that released something: `{"pid":…,"event":…,"ts":…}`, or null.
  package static func ref(_ r: EventRef?) -> JSONValue {
    guard let r else { return .null }
    return .object([("pid", .int(Int64(r.pid))), ("event", .string(r.event)), ("ts", .seconds(r.ts))])
  }
}
