/// What a process tree was doing at one moment, taken before it is killed (`run --timeout`, a
/// trace ended by SIGINT/SIGTERM with `--autopsy`): every task's state and the call it sleeps in,
/// and, for the blocked ones, what `why` says (the same verdicts as `why --all`, over the tree only).
public struct Autopsy: Sendable {
  public struct Task: Sendable {
    public var pid: Int32
    public var tid: Int32
    public var comm: String
    /// /proc's state letter (R, S, D, T, t, Z).
    public var state: Character
    /// The call it sleeps in (`read(3<pipe:[N]>)`), nil when it is not in one.
    public var call: String?
  }

  public var tasks: [Task]
  /// The tree's blocked processes, explained (healthy ones included: an autopsy lists them all).
  public var survey: HangSurvey
  /// User-space stacks of the blocked threads, when asked for.
  public var stacks: [StackSnapshot.ThreadStack]?

  /// Reads `pids` (a process tree, in the order the caller knows it) now. `heldIn` names the call
  /// of each task the caller itself holds at a trace stop (state `t`), which /proc cannot tell.
  public static func take(pids: [Int32], heldIn: [Int32: String] = [:]) -> Autopsy {
    var tasks: [Task] = []
    for pid in pids {
      guard let snapshot = ProcessSnapshot.read(pid) else { continue }
      for t in snapshot.threads {
        let comm = ProcStat.read(pid, tid: t.tid)?.comm ?? snapshot.comm
        var call = t.blocked?.summary
        if call == nil, t.state == "t", let held = heldIn[t.tid] { call = "\(held) (held at pipetrace's stop)" }
        tasks.append(Task(pid: pid, tid: t.tid, comm: comm, state: t.state, call: call))
      }
    }
    return Autopsy(tasks: tasks, survey: HangSurvey.scan(minimum: 0, pids: pids), stacks: nil)
  }

  /// The threads blocked in a call (or held by the caller in one): those whose stacks `--stack` adds.
  public var blockedThreads: [(pid: Int32, tid: Int32)] {
    tasks.filter { $0.call != nil }.map { ($0.pid, $0.tid) }
  }

  /// Adds the user stacks of the blocked threads, taken through `tracer`'s loop (its own tracees
  /// cannot be seized by anyone else: see `StackSnapshot.capture(_:through:deadline:done:)`). On the
  /// tracer thread, from one of its callbacks (`beforeFirstSignal`); returns once every thread is
  /// unwound and running again as before, or after about twice the tracer's hold timeout.
  public mutating func addStacks(through tracer: Tracer) {
    var taken: [StackSnapshot.ThreadStack]?
    let limit = tracer.options.holdTimeout
    let capture = StackSnapshot.capture(blockedThreads, through: tracer, deadline: Clock.monotonic() + limit) { taken = $0 }
    tracer.serveRequests(until: { taken != nil }, seconds: 2 * limit)
    if taken == nil { capture.abandon() }
    stacks = taken ?? capture.result
  }

  /// Text for stderr: each task on a line, then each blocked process's verdict (and the Fix `why`
  /// would print), all prefixed so that they stand apart from the command's own output.
  public func render(prefix: String = "pipetrace: autopsy: ") -> String {
    let shown = DisplayText.escape
    var lines: [String] = []
    for t in tasks {
      let what = t.call.map { "in \($0)" } ?? ProcStat.stateName(t.state)
      lines.append("\(t.pid)\(t.tid == t.pid ? "" : "/\(t.tid)") \(shown(t.comm)) [\(t.state)]: \(what)")
    }
    let verdicts = survey.render(verbose: true).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    lines += verdicts.map(String.init)
    if let stacks { lines += StackSnapshot.render(stacks).split(separator: "\n").map(String.init) }
    return lines.map { prefix + $0 }.joined(separator: "\n") + "\n"
  }

  public var jsonValue: JSONValue {
    var fields: [(String, JSONValue)] = [
      ("tasks", .array(tasks.map { t in
        .object([
          ("pid", .int(Int64(t.pid))), ("tid", .int(Int64(t.tid))), ("comm", .string(t.comm)),
          ("state", .string(String(t.state))), ("call", t.call.map { .string($0) } ?? .null),
        ])
      })),
      ("blocked", survey.jsonValue),
    ]
    if let stacks { fields.append(("stacks", StackSnapshot.json(stacks))) }
    return .object(fields)
  }
}
