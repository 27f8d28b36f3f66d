/// The report's one-paragraph answer, for the top of the HTML page: what blocked, for how long, who
/// held the pipe and how they got it, and what the fix was or would be. Where the trace carries a
/// `--stuck-after` diagnosis of that call, its Verdict and Fix are `why`'s own words; otherwise
/// they come from the report's model (the leaked pipe ends, the release).
public struct ReportVerdict: Sendable {
  /// Who held the other end of the pipe the call waited on.
  public struct Holder: Sendable {
    public var pid: Int32
    public var name: String
    public var fd: Int32
    public var end: PipeEnd
    public var pipe: String
    /// How it came to hold it, in the trace's words (inherited, exec'd, never used).
    public var how: String
  }

  /// The call the page is about (nil: nothing blocked for `minBlock`).
  public var call: Report.BlockingCall?
  public var holder: Holder?
  /// `why`'s verdict from a diagnosis in the trace, else one built from the model.
  public var verdict: String
  /// `why`'s Fix (or its whole `No fix: …` line) from the trace, else the close that would unblock it.
  public var fix: String?
  /// What pipetrace did during the trace (`--unstick-after` closes), in order.
  public var done: [String]
  /// From a diagnosis pipetrace made while the trace ran (true) or from the model (false).
  public var fromDiagnosis: Bool
}

extension Report {
  /// The tracer's notes that carry a `why` diagnosis (`pipetrace: read in N blocked for …; why N:`).
  var diagnosisNotes: [TracerNote] { tracerNotes.filter { $0.text.contains("\nVerdict: ") } }

  /// The verdict on the call that matters most: the one a diagnosis in the trace is about, else
  /// the first blocking call (waits on pipes, sockets and children first, then the longest).
  public func verdict() -> ReportVerdict {
    let notes = diagnosisNotes
    func covers(_ n: TracerNote, _ b: BlockingCall) -> Bool {
      n.pid == b.tid && n.ts >= b.ts && n.ts <= b.ts + b.dur + 1
    }
    let diagnosed = blocking.first { b in notes.contains { covers($0, b) } }
    guard let call = diagnosed ?? blocking.first else {
      return ReportVerdict(call: nil, holder: nil,
                     verdict: "Nothing blocked for \(NumberText.duration(minBlock)) or longer.",
                     fix: nil, done: [], fromDiagnosis: false)
    }
    let holder = self.holder(of: call)
    let done = tracerNotes.filter { n in
      n.text.hasPrefix("pipetrace: inject-close ") || n.text.hasPrefix("pipetrace: no safe close")
    }.filter { $0.ts >= call.ts && $0.ts <= call.ts + call.dur + 1 }.map { String($0.text.dropFirst("pipetrace: ".count)) }
    if let note = notes.last(where: { covers($0, call) }) {
      let lines = note.text.split(separator: "\n", omittingEmptySubsequences: false)
      func line(_ prefix: String) -> String? {
        lines.first { $0.hasPrefix(prefix) }.map { String($0) }
      }
      let verdict = line("Verdict: ").map { String($0.dropFirst("Verdict: ".count)) } ?? "see the diagnosis in the trace"
      return ReportVerdict(call: call, holder: holder, verdict: verdict, fix: line("Fix: ").map { String($0.dropFirst("Fix: ".count)) } ?? line("No fix: "),
                     done: done, fromDiagnosis: true)
    }
    return ReportVerdict(call: call, holder: holder, verdict: modelVerdict(call, holder), fix: modelFix(call, holder),
                   done: done, fromDiagnosis: false)
  }

  /// The process that kept the call waiting: a leaked write end (the one held longest), else for a
  /// read that saw EOF or data, the last process to let go of or write to the pipe.
  func holder(of b: BlockingCall) -> ReportVerdict.Holder? {
    let leaked = leaks.filter { $0.blockedPid == b.pid && $0.blockedTs == b.ts }
    if let l = leaked.max(by: { ($0.releasedAt ?? .infinity) < ($1.releasedAt ?? .infinity) }) {
      let held = l.releasedAt.map { "until \(relative($0))" } ?? "until the trace ended"
      let got = inheritance(pid: l.holderPid, pipe: l.pipe)
      return ReportVerdict.Holder(
        pid: l.holderPid, name: laneName(l.holderPid), fd: l.fd, end: l.end, pipe: l.pipe,
        how: (got.map { $0 + ", then " } ?? "") + "exec'd \(l.program) at \(relative(l.execTs)) holding it \(held) and never used it")
    }
    return nil
  }

  /// How `pid` came by a pipe end, from the pipe's history (`inherited by 7 as fd 1 … via fork from 5`).
  func inheritance(pid: Int32, pipe: String) -> String? {
    guard let p = pipes.first(where: { $0.label == pipe }) else { return nil }
    return p.history.first { $0.pid == pid && $0.text.hasPrefix("inherited by") }.map { "\($0.text) at \(relative($0.ts))" }
  }

  private func modelVerdict(_ b: BlockingCall, _ holder: ReportVerdict.Holder?) -> String {
    let what = "\(b.pid) (\(laneName(b.pid))) blocked \(NumberText.duration(b.dur)) in \(b.name)"
      + (b.fd.map { "(\($0)\(b.target.map { "<\($0)>" } ?? ""))" } ?? "()")
    if let h = holder {
      return what + ": the other side was also held by \(h.name) \(h.pid) (fd \(h.fd), \(h.end.rawValue) end of \(h.pipe)), "
        + "which \(h.how)."
    }
    if let rel = b.releasedBy {
      return what + "; released by \(rel.pid) (\(laneName(rel.pid))): \(rel.event) at \(relative(rel.ts)). "
        + "No leaked pipe end kept it waiting: it waited for that process's work."
    }
    if !b.returned {
      return what + " and was still waiting when the trace ended. The trace cannot tell who held the other side: "
        + "no traced process exec'd holding it (a holder from before the trace, or one outside it; `pipetrace why \(b.pid)` on a live process names it)."
    }
    return what + ". The trace cannot tell what released it (nothing traced wrote to or closed the other side)."
  }

  private func modelFix(_ b: BlockingCall, _ holder: ReportVerdict.Holder?) -> String? {
    guard let h = holder else { return nil }
    var fix = "the holder must not keep the write end: open the pipe O_CLOEXEC or close it in the child before exec"
    if h.pipe.hasPrefix("pipe:[") {
      let close = HangDiagnosis.Fix(closes: [.init(pid: h.pid, fds: [h.fd], expect: h.pipe)]).command
      fix = "while it hangs: \(close); for good: " + fix
    }
    return fix + "."
  }
}
