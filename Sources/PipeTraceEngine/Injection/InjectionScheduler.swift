/// Injections into traced processes, one at a time, carried out by the tracing loop between stops:
/// every thread of the target is stopped at a PTRACE_EVENT_STOP (the loop serves every other stop
/// meanwhile), the calls run with one thread adopted and are shown in the trace, every thread goes
/// on exactly as it was, and then the request's completion is called. Tracer thread only.
final class InjectionScheduler {
  private let tracees: TaskTable
  private let events: EventFanout
  /// How long an injection may wait for every thread of its target to stop.
  private let holdTimeout: Double
  /// Lets a held thread go on (the tracer's one restart).
  var letGo: (Tracee) -> Void = { _ in }
  private var injections: [InjectionRequest] = []
  private var activeInjection: InjectionRequest?

  init(tracees: TaskTable, events: EventFanout, holdTimeout: Double) {
    self.tracees = tracees
    self.events = events
    self.holdTimeout = holdTimeout
  }

  func request(_ request: InjectionRequest) {
    injections.append(request)
  }

  /// A request waits and none runs.
  var canStart: Bool { activeInjection == nil && !injections.isEmpty }

  /// Whether the injection under way is into process `tgid`.
  func isInjecting(into tgid: Int32) -> Bool { activeInjection?.pid == tgid }

  /// Gives up the injection under way when its threads did not all stop in time.
  func checkDeadline(now: Double) {
    if let a = activeInjection, now > a.deadline { abortInjection("its threads did not all stop within \(Int(holdTimeout)) s") }
  }

  /// Fails the injection under way and every waiting one.
  func cancelAll(_ reason: String) {
    if let a = activeInjection { abortInjection(reason, request: a) }
    for r in injections { r.completion(.failure(InjectionError(reason))) }
    injections.removeAll()
  }

  func startInjection() {
    let r = injections.removeFirst()
    let threads = tracees.threads(of: r.pid)
    guard !threads.isEmpty else {
      return r.completion(.failure(InjectionError("process \(r.pid) is not traced by this tracer")))
    }
    if threads.contains(where: \.inGroupStop) {
      return r.completion(.failure(InjectionError("process \(r.pid) is stopped (job control): continue it first")))
    }
    var active = r
    active.deadline = Clock.monotonic() + holdTimeout
    activeInjection = active
    for t in threads {
      t.holdRequested = true
      try? Ptrace.interrupt(t.tid)
    }
  }

  /// A thread of the target reached its PTRACE_EVENT_STOP: keep it there.
  func hold(_ t: Tracee) -> StopAction {
    t.holdRequested = false
    t.held = true
    checkHeld()
    return .hold
  }

  /// Once every live thread of the target is held, runs the injection and lets them all go.
  func checkHeld() {
    guard let a = activeInjection else { return }
    let threads = tracees.threads(of: a.pid)
    if threads.isEmpty {
      activeInjection = nil
      return a.completion(.failure(InjectionError("process \(a.pid) exited before it could be stopped")))
    }
    guard threads.allSatisfy(\.held) else { return }
    activeInjection = nil
    guard let executor = threads.first(where: { $0.tid == (a.tid ?? a.pid) }) ?? (a.tid == nil ? threads[0] : nil) else {
      return a.completion(.failure(InjectionError("thread \(a.tid!) of \(a.pid) is not traced by this tracer")))
    }
    let result: Result<[SyscallRecord], InjectionError>
    do {
      let session = try RemoteSyscallSession(adopting: executor.tid, of: a.pid)
      defer { session.detach() }
      let started = Clock.wall(), mono = Clock.monotonic()
      var calls = try a.perform(session)
      // What ran in the tracee is part of the trace (and of the fd caches) like any other call.
      let duration = (Clock.monotonic() - mono) / Double(max(1, calls.count))
      for i in calls.indices {
        calls[i].pid = a.pid
        calls[i].tid = executor.tid
        calls[i].timestamp = started
        calls[i].duration = duration
      }
      result = .success(calls)
    } catch {
      result = .failure(error)
    }
    if case .success(let calls) = result {
      for c in calls {
        for effect in FdEffect.of(c) { executor.fds.apply(effect) }
        events.emit(.syscall(c))
      }
    }
    for t in threads where tracees[t.tid] === t {
      t.held = false
      letGo(t)
    }
    a.completion(result)
  }

  func abortInjection(_ reason: String, request: InjectionRequest? = nil) {
    guard let a = request ?? activeInjection else { return }
    activeInjection = nil
    for t in tracees.threads(of: a.pid) {
      t.holdRequested = false
      if t.held {
        t.held = false
        letGo(t)
      }
    }
    a.completion(.failure(InjectionError("cannot inject into \(a.pid): \(reason)")))
  }
}


/// Syscalls to run inside a traced process, with every thread of it held at a known stop.
package struct InjectionRequest {
  /// The traced process (thread group id).
  var pid: Int32
  /// The thread that must run the calls (one with an fd table of its own); nil: any, the main one first.
  var tid: Int32? = nil
  /// Runs the calls through the adopted session; returns them as records for the trace (pid,
  /// tid, time and duration are filled in by the tracer).
  var perform: (RemoteSyscallSession) throws(InjectionError) -> [SyscallRecord]
  /// Called on the tracer thread once the process runs again.
  var completion: (Result<[SyscallRecord], InjectionError>) -> Void
  /// CLOCK_MONOTONIC by which every thread must be held (set when it starts).
  var deadline: Double = .infinity

  package init(
    pid: Int32, tid: Int32? = nil,
    perform: @escaping (RemoteSyscallSession) throws(InjectionError) -> [SyscallRecord],
    completion: @escaping (Result<[SyscallRecord], InjectionError>) -> Void
  ) {
    self.pid = pid
    self.tid = tid
    self.perform = perform
    self.completion = completion
  }
}
