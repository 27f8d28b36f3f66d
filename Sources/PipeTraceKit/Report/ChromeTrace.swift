/// `--format chrome`: Chrome Trace Event JSON for Perfetto / chrome://tracing. One track per process
/// (its lifetime as a slice, blocking calls inside), the releasing events as small slices, and a
/// flow arrow from each release to the call it released. Times are microseconds from the first event.
public enum ChromeTrace {
  public static func render(_ r: Report) -> String {
    let origin = r.traceStart ?? 0
    let end = r.traceEnd ?? origin
    func us(_ t: Double) -> String { NumberText.fixed((t - origin) * 1_000_000, places: 3) }
    func durUs(_ d: Double) -> String { NumberText.fixed(max(d, 0.000001) * 1_000_000, places: 3) }
    let q = JSONString.quoted
    var events: [String] = []
    for p in r.processes {
      let name = "\(p.pid) \(r.programName(p.pid))".trimmingSuffixSpaces()
      events.append("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(p.pid),\"tid\":\(p.pid),\"args\":{\"name\":\(q(name))}}")
      events.append("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(p.pid),\"tid\":\(p.pid),\"args\":{\"name\":\(q(name))}}")
      events.append("{\"ph\":\"X\",\"name\":\(q(r.programName(p.pid).isEmpty ? "process \(p.pid)" : r.programName(p.pid))),\"cat\":\"process\",\"pid\":\(p.pid),\"tid\":\(p.pid),\"ts\":\(us(p.start)),\"dur\":\(durUs((p.end ?? end) - p.start)),\"args\":{\"status\":\(q(r.statusText(p)))}}")
    }
    var seenThreads = Set(r.processes.map(\.pid))
    for (k, b) in r.blocking.enumerated() {
      if seenThreads.insert(b.tid).inserted {
        events.append("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(b.pid),\"tid\":\(b.tid),\"args\":{\"name\":\"thread \(b.tid)\"}}")
      }
      let label = "\(b.name)(\(b.fd.map { "\($0)" } ?? ""))"
      events.append("{\"ph\":\"X\",\"name\":\(q(label)),\"cat\":\"blocking\",\"pid\":\(b.pid),\"tid\":\(b.tid),\"ts\":\(us(b.ts)),\"dur\":\(durUs(b.dur)),\"args\":{\"target\":\(b.target.map(q) ?? "null"),\"result\":\(q(b.result)),\"released_by\":\(q(b.releasedBy.map { "\($0.pid) \($0.event)" } ?? "unknown"))}}")
      guard let rel = b.releasedBy else { continue }
      let relPid = rel.pid
      events.append("{\"ph\":\"X\",\"name\":\(q(rel.event)),\"cat\":\"release\",\"pid\":\(relPid),\"tid\":\(relPid),\"ts\":\(us(rel.ts)),\"dur\":1}")
      events.append("{\"ph\":\"s\",\"name\":\"release\",\"cat\":\"release\",\"id\":\(k + 1),\"pid\":\(relPid),\"tid\":\(relPid),\"ts\":\(us(rel.ts))}")
      events.append("{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"release\",\"cat\":\"release\",\"id\":\(k + 1),\"pid\":\(b.pid),\"tid\":\(b.tid),\"ts\":\(us(b.ts + b.dur))}")
    }
    return "{\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"origin_epoch_seconds\":\(JSONText.number(origin)),\"clock\":\(q(Report.clockNote))}}\n"
  }
}
