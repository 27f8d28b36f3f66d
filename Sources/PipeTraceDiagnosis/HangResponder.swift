/// What a live trace does about a call that waits on a pipe for too long: print the `why`
/// diagnosis into the trace, and with `unstickAfter` close the leaked write ends so the reader goes
/// on — only when the diagnosis proves the leak (`outcome == .fix`); a pipeline stage, a server, a
/// process's own write end or a holder it cannot classify is never closed. A call not proven leaked
/// is looked at again while it stays blocked (`LeakLooks`: 1, 2, 4, … s apart, at most 60 s), since
/// the proof can come later; each decision, acted on or refused, is a note in the trace when it
/// differs from the last one said about the call, and a call is acted on once. The forks and exits
/// it sees are the lineage that proves an adoption /proc cannot (a subreaper reader that adopted the
/// leaked process).
///
/// A consumer of the event stream (it learns which calls are in progress from their entry and exit
/// events) ticked by the loop; a close it decides on is a request the loop carries out between
/// stops (for a holder the trace follows) or a standalone injection (for one it does not).
public final class HangResponder: EventSink, TraceTicker {
  public let diagnoseAfter: Double
  public let unstickAfter: Double?
  /// Every close performed: (pid, fd, outcome).
  public private(set) var closes: [(pid: Int32, fd: Int32, outcome: InjectClose.Outcome)] = []
  public private(set) var diagnoses: [HangDiagnosis] = []
  /// Calls in progress by thread, with CLOCK_MONOTONIC at their entry and what was done about
  /// them: dropped when the call ends.
  private var inProgress: [Int32: (record: SyscallRecord, since: Double, state: CallState)] = [:]
  /// Who forked whom and who exited, as the trace saw it.
  public private(set) var lineage = Lineage()
  /// Replaces the live diagnosis (tests feed canned ones).
  package var diagnose: ((Int32, Lineage) -> HangDiagnosis?) = { try? diagnoseHang(pid: $0, lineage: $1) }

  /// What was said and done about one blocked call.
  private struct CallState {
    /// The verdict of the diagnosis last shown in a note (nil: none shown yet).
    var shown: String?
    var looks = LeakLooks()
  }

  public init(diagnoseAfter: Double, unstickAfter: Double?) {
    self.diagnoseAfter = diagnoseAfter
    self.unstickAfter = unstickAfter
  }

  /// The shortest wait that matters.
  public var stuckAfter: Double { min(diagnoseAfter, unstickAfter ?? diagnoseAfter) }

  // MARK: EventSink

  public var wantsEntries: Bool { true }

  public func handle(_ event: Event) {
    switch event {
    case .syscallEntry(let r):
      // Only calls that may wait on another process are watched (what `decide` asks first): a
      // deep fork chain's thousands of wait4 calls must not be sorted and checked every tick.
      let call = HangResponder.effectiveCall(r)
      if StuckPolicy.mayWaitOnAnotherProcess(call.traits, args: call.args) {
        inProgress[r.tid] = (r, Clock.monotonic(), CallState())
      } else {
        inProgress[r.tid] = nil
      }
    case .syscall(let r):
      if inProgress[r.tid]?.record.timestamp == r.timestamp { inProgress[r.tid] = nil }
    case .fork(let pid, _, let child, let kind, _):
      if kind != .thread { lineage.fork(child: child, by: pid) }
    case .exit(let pid, let tid, _, _, _, _):
      inProgress[tid] = nil
      if pid == tid { lineage.exit(pid) }
    case .detached(_, let tid, _):
      inProgress[tid] = nil
    default:
      break
    }
  }

  public func finish() {}

  // MARK: TraceTicker

  /// A quarter of the threshold, between 10 ms and 1 s: late by at most that much.
  public var tickInterval: Double { max(0.01, min(1, stuckAfter / 4)) }

  public func tick(now: Double, tracer: Tracer) {
    for (tid, call) in inProgress.sorted(by: { $0.key < $1.key }) {
      let blocked = blockedFor(call.record, since: call.since, now: now)
      if blocked >= stuckAfter {
        respond(tracer: tracer, pid: ProcessID(call.record.pid), tid: ThreadID(tid), record: call.record, blockedFor: blocked, now: now)
      }
    }
  }

  /// A restart_syscall continues the call it resumes: blocked since that call began.
  private func blockedFor(_ r: SyscallRecord, since: Double, now: Double) -> Double {
    let own = now - since
    guard let started = r.resumes?.started else { return own }
    return max(own, Clock.wall() - started)
  }

  // MARK: Deciding

  /// What to do about one blocked call: nothing, a note with the diagnosis, and/or the fix.
  package enum Decision: Equatable {
    case ignore
    case diagnose
    case diagnoseAndFix
    case fix
  }

  /// The waiting call as it matters here: a restart_syscall is the poll it resumes.
  static func effectiveCall(_ record: SyscallRecord) -> (name: String, traits: SyscallTraits, args: [ArgValue]) {
    if let r = record.resumes { return (r.name, r.call.traits, r.args) }
    return (record.name, record.traits, record.args)
  }

  /// What was said and done about the call `record` of thread `tid` (nothing yet: a fresh state).
  private func callState(tid: Int32, record: SyscallRecord) -> CallState {
    guard let call = inProgress[tid], call.record.timestamp == record.timestamp else { return CallState() }
    return call.state
  }

  /// `now` (CLOCK_MONOTONIC) decides whether a look is due after a refusal's back-off.
  package func decide(
    tid: Int32, record: SyscallRecord, blockedFor: Double, now: Double = Clock.monotonic()
  ) -> Decision {
    let call = HangResponder.effectiveCall(record)
    guard StuckPolicy.mayWaitOnAnotherProcess(call.traits, args: call.args) else { return .ignore }
    let state = callState(tid: tid, record: record)
    guard state.looks.isDue(at: now) else { return .ignore }
    let needsFix = unstickAfter.map { blockedFor >= $0 } ?? false
    // A fix is never made without the diagnosis that explains it.
    let needsDiagnosis = state.shown == nil && (blockedFor >= diagnoseAfter || needsFix)
    switch (needsDiagnosis, needsFix) {
    case (true, true): return .diagnoseAndFix
    case (true, false): return .diagnose
    case (false, true): return .fix
    case (false, false): return .ignore
    }
  }

  func respond(tracer: Tracer, pid: ProcessID, tid: ThreadID, record: SyscallRecord, blockedFor: Double,
               now: Double = Clock.monotonic()) {
    let decision = decide(tid: tid.rawValue, record: record, blockedFor: blockedFor, now: now)
    guard decision != .ignore else { return }
    var state = callState(tid: tid.rawValue, record: record)
    // Kept with the call while it is in progress (gone with it when it ends).
    defer {
      if inProgress[tid.rawValue]?.record.timestamp == record.timestamp { inProgress[tid.rawValue]?.state = state }
    }
    // No answer (the process is gone or unreadable), an idle event loop, or a call that is not
    // blocked after all (yet): no note, no fix; looked at again after the back-off.
    guard let diagnosis = diagnose(pid.rawValue, lineage), StuckPolicy.isHang(diagnosis) else {
      _ = state.looks.refused(nil, at: now)
      return
    }
    // The diagnosis is shown once, and again when a later look's verdict differs: the evidence
    // for what is then decided.
    if state.shown != diagnosis.verdict {
      state.shown = diagnosis.verdict
      diagnoses.append(diagnosis)
      let seconds = String(Int(blockedFor * 10) / 10) + "." + String(Int(blockedFor * 10) % 10)
      tracer.note(pid: pid, "pipetrace: \(HangResponder.effectiveCall(record).name) in \(tid) blocked for \(seconds) s; why \(pid):\n" + diagnosis.render())
    }
    guard decision == .fix || decision == .diagnoseAndFix else { return }
    guard diagnosis.outcome == .fix, let fix = diagnosis.fix else {
      let refusal = "pipetrace: unstick \(pid): refused (\(diagnosis.verdictCase.kind)), no proven leak: "
        + (diagnosis.noFixReason ?? "no leaked holder")
      if let line = state.looks.refused(refusal, at: now) { tracer.note(pid: pid, line) }
      return
    }
    guard state.looks.act() else { return }
    tracer.note(pid: pid, "pipetrace: unstick \(pid): acting on a proven leak: "
      + fix.closes.map { "\($0.pid) fd \($0.fds.map(String.init).joined(separator: " "))" }.joined(separator: "; "))
    for close in fix.closes { perform(close, tracer: tracer) }
  }

  /// One close of the fix. A holder this trace follows is closed through the trace itself (it stays
  /// traced, and the loop does it between stops); any other is injected into directly.
  private func perform(_ close: HangDiagnosis.Fix.Close, tracer: Tracer) {
    HangResponder.perform(close, tracer: tracer) { [self] result in
      switch result {
      case .success(let results):
        for (fd, outcome) in results {
          closes.append((close.pid, fd, outcome))
          tracer.note(pid: ProcessID(close.pid), "pipetrace: inject-close \(close.pid) fd \(fd) (\(DisplayText.escape(close.expect))): \(outcome.text)")
        }
      case .failure(let error):
        tracer.note(pid: ProcessID(close.pid), "pipetrace: inject-close \(close.pid) failed: \(error)")
      }
    }
  }

  /// Carries out one close of a fix from the trace loop (tracer thread): `report` gets the outcome
  /// of each fd, once the process runs again.
  package static func perform(_ close: HangDiagnosis.Fix.Close, tracer: Tracer,
                      report: @escaping (Result<[(fd: Int32, outcome: InjectClose.Outcome)], InjectionError>) -> Void) {
    let expect = close.expect
    guard tracer.isTracing(process: close.pid) else {
      return report(Result { () throws(InjectionError) in try InjectClose.close(pid: close.target, fds: close.fds, expect: expect) })
    }
    let plan: InjectClose.Plan
    do {
      // TracerPid names the tracing thread (this one: `run` traces from a thread of its own).
      plan = try InjectClose.plan(pid: close.target, fds: close.fds, expect: expect, tracedBy: ProcFS.currentThreadId)
    } catch {
      return report(.failure(error))
    }
    var outcomes: [(fd: Int32, outcome: InjectClose.Outcome)] = []
    tracer.request(InjectionRequest(
      pid: close.pid, tid: plan.ownTableThread?.rawValue,
      perform: { session throws(InjectionError) in
        let done = try InjectClose.performRecording(plan, in: session)
        outcomes = done.results
        return done.calls
      },
      completion: { result in report(result.map { _ in outcomes }) }))
  }
}

#if canImport(Glibc)
import Glibc
#endif
