/// `--format json`: the report as one JSON object (`summary`, `processes`, `blocking`, `pipes`, `leaks`).
public enum JSONReport {
  public static func render(_ r: Report) -> String {
    let q = JSONString.quoted, n = JSONText.number
    func summary(_ rows: [Report.SyscallSummary]) -> String {
      "[" + rows.map {
        "{\"name\":\(q($0.name)),\"calls\":\($0.calls),\"errors\":\($0.errors),\"total\":\(n($0.total)),\"avg\":\(n($0.avg)),\"p50\":\(n($0.p50)),\"p99\":\(n($0.p99)),\"max\":\(n($0.max))}"
      }.joined(separator: ",") + "]"
    }
    var parts: [String] = []
    parts.append("\"clock\":\(q(Report.clockNote))")
    parts.append("\"trace\":{\"events\":\(r.eventCount),\"start\":\(r.traceStart.map(n) ?? "null"),\"end\":\(r.traceEnd.map(n) ?? "null"),\"bad_lines\":\(r.badLines.count),\"bad_line_samples\":["
      + r.badLines.samples.map { "{\"file\":\(q($0.file)),\"line\":\($0.line),\"reason\":\(q($0.reason))}" }.joined(separator: ",") + "]}")
    parts.append("\"min_block\":\(n(r.minBlock))")
    parts.append("\"summary\":" + summary(r.summary))
    parts.append("\"per_process\":[" + r.perProcess.map { "{\"pid\":\($0.pid),\"summary\":\(summary($0.syscalls))}" }.joined(separator: ",") + "]")
    parts.append("\"processes\":[" + r.processes.map { p in
      "{\"pid\":\(p.pid),\"parent\":\(p.parent.map { "\($0)" } ?? "null"),\"program\":\(p.program.map(q) ?? "null"),\"argv\":[\(p.argv.map(q).joined(separator: ","))],\"start\":\(n(p.start)),\"end\":\(p.end.map(n) ?? "null"),\"exit_code\":\(p.exitCode.map { "\($0)" } ?? "null"),\"signal\":\(p.signal.map { q(Signals.name($0)) } ?? "null"),\"lifetime\":\(p.end.map { n($0 - p.start) } ?? "null")}"
    }.joined(separator: ",") + "]")
    parts.append("\"blocking\":[" + r.blocking.map { b in
      "{\"pid\":\(b.pid),\"tid\":\(b.tid),\"name\":\(q(b.name)),\"fd\":\(b.fd.map { "\($0)" } ?? "null"),\"target\":\(b.target.map(q) ?? "null"),\"ts\":\(n(b.ts)),\"dur\":\(n(b.dur)),\"returned\":\(b.returned),\"result\":\(q(b.result)),\"released_by\":\(JSONText.ref(b.releasedBy))}"
    }.joined(separator: ",") + "]")
    parts.append("\"pipes\":[" + r.pipes.map { p in
      "{\"pipe\":\(q(p.label)),\"inode\":\(p.inode.map { "\($0)" } ?? "null"),\"created_by\":\(JSONText.ref(p.created)),\"closed_at\":\(p.closedAt.map(n) ?? "null"),\"history\":["
        + p.history.map { "{\"ts\":\(n($0.ts)),\"pid\":\($0.pid),\"text\":\(q($0.text))}" }.joined(separator: ",")
        + "],\"carried_through_exec\":["
        + p.carries.map { "{\"pid\":\($0.pid),\"program\":\(q($0.program)),\"fd\":\($0.fd),\"end\":\(q($0.end.rawValue)),\"ts\":\(n($0.ts)),\"used\":\($0.used),\"released_at\":\($0.releasedAt.map(n) ?? "null")}" }.joined(separator: ",")
        + "]}"
    }.joined(separator: ",") + "]")
    parts.append("\"leaks\":[" + r.leaks.map { l in
      "{\"holder_pid\":\(l.holderPid),\"program\":\(q(l.program)),\"fd\":\(l.fd),\"end\":\(q(l.end.rawValue)),\"pipe\":\(q(l.pipe)),\"exec_ts\":\(n(l.execTs)),\"released_at\":\(l.releasedAt.map(n) ?? "null"),\"blocked_pid\":\(l.blockedPid),\"blocked_name\":\(q(l.blockedName)),\"blocked_ts\":\(n(l.blockedTs)),\"blocked_dur\":\(n(l.blockedDur))}"
    }.joined(separator: ",") + "]")
    return "{" + parts.joined(separator: ",") + "}\n"
  }
}
