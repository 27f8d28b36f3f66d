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
    func us(_ t: Double) -> JSONValue { .fixed((t - origin) * 1_000_000, places: 3) }
    func durUs(_ d: Double) -> JSONValue { .fixed(max(d, 0.000001) * 1_000_000, places: 3) }
    func int<I: BinaryInteger>(_ v: I) -> JSONValue { .int(Int64(v)) }
    /// Every event: `ph`, `name`, then its fields.
    var events: [String] = []
    func event(_ ph: String, _ name: String, _ fields: [(String, JSONValue)]) {
      events.append(JSONValue.object([("ph", .string(ph)), ("name", .string(name))] + fields).text)
    }
    func metadata(_ name: String, pid: Int32, tid: Int32, _ args: [(String, JSONValue)]) {
      event("M", name, [("pid", int(pid)), ("tid", int(tid)), ("ts", .int(0)), ("args", .object(args))])
    }
    var named = Set<Int32>()
    let laneNames = r.laneNames()
    func laneName(_ pid: Int32) -> String { laneNames[pid] ?? r.laneName(pid) }
    func threadName(pid: Int32, tid: Int32) {
      guard named.insert(tid).inserted else { return }
      let name = tid == pid ? laneName(pid) : "\(laneName(pid)) thread \(tid)"
      metadata("thread_name", pid: pid, tid: tid, [("name", .string(name))])
    }
    // The first start and last end of a call per process: its lifetime slice must enclose them.
    // The tracer stamps a fork or exec event when it handles the stop, after reading /proc: its
    // first call (the execve the exec event is part of) can have begun before that stamp.
    var firstStart: [Int32: Double] = [:], lastEnd: [Int32: Double] = [:]
    func spans(_ pid: Int32, _ ts: Double, _ dur: Double) {
      firstStart[pid] = min(firstStart[pid] ?? ts, ts)
      lastEnd[pid] = max(lastEnd[pid] ?? ts, ts + dur)
    }
    for c in r.calls { spans(c.pid, c.ts, c.dur) }
    for b in r.blocking { spans(b.pid, b.ts, b.dur) }
    for (k, (p, _)) in r.processTree().enumerated() {
      metadata("process_name", pid: p.pid, tid: p.pid, [("name", .string(laneName(p.pid)))])
      metadata("process_sort_index", pid: p.pid, tid: p.pid, [("sort_index", int(k))])
      threadName(pid: p.pid, tid: p.pid)
      let from = min(p.start, firstStart[p.pid] ?? p.start)
      let until = max(p.end ?? end, lastEnd[p.pid] ?? from)
      let command = p.argv.isEmpty ? (p.program ?? "") : p.argv.joined(separator: " ")
      event("X", laneName(p.pid), [
        ("cat", .string("process")), ("pid", int(p.pid)), ("tid", int(p.pid)), ("ts", us(from)),
        ("dur", durUs(until - from)),
        ("args", .object([("status", .string(r.statusText(p))), ("command", .string(command)), ("parent", p.parent.map(int) ?? .null)])),
      ])
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
    func blockingArgs(_ b: Report.BlockingCall) -> [(String, JSONValue)] {
      [("blocked", .bool(true)),
       ("released_by", .string(b.releasedBy.map { "\($0.pid) \(laneName($0.pid)): \($0.event)" } ?? (b.returned ? "unknown" : "still blocked at the end")))]
    }
    for c in r.calls {
      threadName(pid: c.pid, tid: c.tid)
      callStarts[CallKey(tid: c.pid, ts: c.ts)] = callStarts[CallKey(tid: c.pid, ts: c.ts)] ?? c.tid
      var args: [(String, JSONValue)] = [("result", .string(c.result))]
      if let fd = c.fd { args.append(("fd", int(fd))) }
      var cat = "syscall"
      if let k = blockingAt[CallKey(tid: c.tid, ts: c.ts)], abs(r.blocking[k].dur - c.dur) < 0.000001 {
        shown.insert(k)
        cat = "blocking"
        args += blockingArgs(r.blocking[k])
        if let target = r.blocking[k].target { args.append(("target", .string(target))) }
      }
      event("X", c.name, [("cat", .string(cat)), ("pid", int(c.pid)), ("tid", int(c.tid)), ("ts", us(c.ts)), ("dur", durUs(c.dur)),
                          ("args", .object(args))])
    }
    for (k, b) in r.blocking.enumerated() {
      threadName(pid: b.pid, tid: b.tid)
      if !shown.contains(k) {
        // Not among the kept calls (or a call and its restart_syscall together): a slice of its own.
        let label = "\(b.name)(\(b.fd.map { "\($0)" } ?? ""))"
        event("X", label, [
          ("cat", .string("blocking")), ("pid", int(b.pid)), ("tid", int(b.tid)), ("ts", us(b.ts)), ("dur", durUs(b.dur)),
          ("args", .object([("result", .string(b.result)), ("target", b.target.map { .string($0) } ?? .null)] + blockingArgs(b))),
        ])
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
        event("X", rel.event, [("cat", .string("release")), ("pid", int(rel.pid)), ("tid", int(rel.pid)), ("ts", us(relTs)),
                               ("dur", .fixed(0.001, places: 3))])
      }
      event("s", "release", [("cat", .string("release")), ("id", int(k + 1)), ("pid", int(rel.pid)), ("tid", int(relTid)), ("ts", us(relTs))])
      // Bound to the enclosing slice (bp e), a nanosecond before the blocked call ends.
      events.append(JSONValue.object([
        ("ph", .string("f")), ("bp", .string("e")), ("name", .string("release")), ("cat", .string("release")), ("id", int(k + 1)),
        ("pid", int(b.pid)), ("tid", int(b.tid)), ("ts", us(b.ts + max(b.dur, 0.000001) - 0.000000001)),
      ]).text)
    }
    // One event per line; the rest of the document as JSONValue writes it.
    let other: JSONValue = .object([
      ("origin_epoch_seconds", .seconds(origin)), ("clock", .string(Report.clockNote)), ("syscalls", int(r.calls.count)),
      ("syscalls_not_kept", int(r.callsOmitted)),
    ])
    return "{\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n],\"displayTimeUnit\":\"ms\",\"otherData\":" + other.text + "}\n"
  }
}
