/// `--format chrome`: Chrome Trace Event JSON for Perfetto / chrome://tracing. A track per thread,
/// grouped by process, named by program (`process_name` / `thread_name` metadata, processes sorted
/// in process-tree order); each process's lifetime as a slice; every syscall as a slice inside it
/// (when the report kept them: `ReportBuilder.Options.keepCalls`, as `pipetrace report` does for
/// this format), the blocking ones marked; and a flow arrow from the event that released each
/// blocking call (the report's release) to the end of that call. Times are microseconds from the
/// first event.
public enum ChromeTrace {
  public static func render(_ r: Report) -> String {
    let origin = r.traceStart ?? 0
    let end = r.traceEnd ?? origin
    func us(_ t: Double) -> String { NumberText.fixed((t - origin) * 1_000_000, places: 3) }
    func durUs(_ d: Double) -> String { NumberText.fixed(max(d, 0.000001) * 1_000_000, places: 3) }
    let q = JSONString.quoted
    var events: [String] = []
    var named = Set<Int32>()
    let laneNames = r.laneNames()
    func laneName(_ pid: Int32) -> String { laneNames[pid] ?? r.laneName(pid) }
    func threadName(pid: Int32, tid: Int32) {
      guard named.insert(tid).inserted else { return }
      let name = tid == pid ? laneName(pid) : "\(laneName(pid)) thread \(tid)"
      events.append("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(pid),\"tid\":\(tid),\"ts\":0,\"args\":{\"name\":\(q(name))}}")
    }
    // The last end of a call per process: its lifetime slice must enclose them.
    var lastEnd: [Int32: Double] = [:]
    for c in r.calls { lastEnd[c.pid] = max(lastEnd[c.pid] ?? c.ts, c.ts + c.dur) }
    for (k, (p, _)) in r.processTree().enumerated() {
      events.append("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(p.pid),\"tid\":\(p.pid),\"ts\":0,\"args\":{\"name\":\(q(laneName(p.pid)))}}")
      events.append("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":\(p.pid),\"tid\":\(p.pid),\"ts\":0,\"args\":{\"sort_index\":\(k)}}")
      threadName(pid: p.pid, tid: p.pid)
      let until = max(p.end ?? end, lastEnd[p.pid] ?? p.start)
      let command = p.argv.isEmpty ? (p.program ?? "") : p.argv.joined(separator: " ")
      events.append("{\"ph\":\"X\",\"name\":\(q(laneName(p.pid))),\"cat\":\"process\",\"pid\":\(p.pid),\"tid\":\(p.pid),\"ts\":\(us(p.start)),\"dur\":\(durUs(until - p.start)),\"args\":{\"status\":\(q(r.statusText(p))),\"command\":\(q(command)),\"parent\":\(p.parent.map { "\($0)" } ?? "null")}}")
    }
    struct CallKey: Hashable {
      var tid: Int32
      var ts: Double
    }
    // A blocking call is the kept call that started at the same time on the same thread.
    var blockingAt: [CallKey: Int] = [:]
    for (k, b) in r.blocking.enumerated() where blockingAt[CallKey(tid: b.tid, ts: b.ts)] == nil {
      blockingAt[CallKey(tid: b.tid, ts: b.ts)] = k
    }
    var shown = Set<Int>()
    /// pid and time → the thread whose call there is a release (a flow starts inside that slice).
    var callStarts: [CallKey: Int32] = [:]
    func blockingArgs(_ b: Report.BlockingCall) -> String {
      "\"blocked\":true,\"released_by\":\(q(b.releasedBy.map { "\($0.pid) \(laneName($0.pid)): \($0.event)" } ?? (b.returned ? "unknown" : "still blocked at the end")))"
    }
    for c in r.calls {
      threadName(pid: c.pid, tid: c.tid)
      callStarts[CallKey(tid: c.pid, ts: c.ts)] = callStarts[CallKey(tid: c.pid, ts: c.ts)] ?? c.tid
      var args = "\"result\":\(q(c.result))" + (c.fd.map { ",\"fd\":\($0)" } ?? "")
      var cat = "syscall"
      if let k = blockingAt[CallKey(tid: c.tid, ts: c.ts)], abs(r.blocking[k].dur - c.dur) < 0.000001 {
        shown.insert(k)
        cat = "blocking"
        args += "," + blockingArgs(r.blocking[k]) + (r.blocking[k].target.map { ",\"target\":\(q($0))" } ?? "")
      }
      events.append("{\"ph\":\"X\",\"name\":\(q(c.name)),\"cat\":\"\(cat)\",\"pid\":\(c.pid),\"tid\":\(c.tid),\"ts\":\(us(c.ts)),\"dur\":\(durUs(c.dur)),\"args\":{\(args)}}")
    }
    for (k, b) in r.blocking.enumerated() {
      threadName(pid: b.pid, tid: b.tid)
      if !shown.contains(k) {
        // Not among the kept calls (or a call and its restart_syscall together): a slice of its own.
        let label = "\(b.name)(\(b.fd.map { "\($0)" } ?? ""))"
        events.append("{\"ph\":\"X\",\"name\":\(q(label)),\"cat\":\"blocking\",\"pid\":\(b.pid),\"tid\":\(b.tid),\"ts\":\(us(b.ts)),\"dur\":\(durUs(b.dur)),\"args\":{\"result\":\(q(b.result)),\"target\":\(b.target.map(q) ?? "null"),\(blockingArgs(b))}}")
      }
      guard let rel = b.releasedBy else { continue }
      var relTid = rel.pid, relTs = rel.ts
      if let tid = callStarts[CallKey(tid: rel.pid, ts: rel.ts)] {
        relTid = tid  // the releasing call is a slice already: the flow starts in it
      } else {
        // An exit, a signal, or a call not kept: a nanosecond slice ending at it (an exit ends
        // the process's lifetime slice, which must still enclose it).
        relTs = rel.ts - 0.000000001
        threadName(pid: rel.pid, tid: rel.pid)
        events.append("{\"ph\":\"X\",\"name\":\(q(rel.event)),\"cat\":\"release\",\"pid\":\(rel.pid),\"tid\":\(rel.pid),\"ts\":\(us(relTs)),\"dur\":0.001}")
      }
      events.append("{\"ph\":\"s\",\"name\":\"release\",\"cat\":\"release\",\"id\":\(k + 1),\"pid\":\(rel.pid),\"tid\":\(relTid),\"ts\":\(us(relTs))}")
      // Bound to the enclosing slice (bp e), a nanosecond before the blocked call ends.
      events.append("{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"release\",\"cat\":\"release\",\"id\":\(k + 1),\"pid\":\(b.pid),\"tid\":\(b.tid),\"ts\":\(us(b.ts + max(b.dur, 0.000001) - 0.000000001))}")
    }
    return "{\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"origin_epoch_seconds\":\(JSONText.number(origin)),\"clock\":\(q(Report.clockNote)),\"syscalls\":\(r.calls.count),\"syscalls_not_kept\":\(r.callsOmitted)}}\n"
  }
}
