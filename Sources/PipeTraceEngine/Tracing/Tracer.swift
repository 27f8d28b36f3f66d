import CTrace
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The tracing loop, in two stages as strace's `next_event()` / `dispatch_event()`: `nextStop()`
/// waits for one wait status and decodes it into a `TraceStop`; `dispatch` acts on it. Launching
/// (Launcher) and attaching (Attacher) happen before the loop; syscall stops are turned into events
/// by `SyscallStopHandler`. Anything that must act on a tracee from outside a stop — an injected
/// close, a detach — is a request the loop carries out between stops; nothing waits for one
/// tracee while the others and the tracer's own signals go unserved.
///
/// Every ptrace call for a tracee must come from the thread that attached it, so a Tracer is used
/// from one OS thread only: launch/attach, then `run()`, all on the same thread.
public final class Tracer {
  package let options: Options
  let events: EventFanout
  let syscalls: SyscallStopHandler
  private var tickers: [TraceTicker] = [] {
    didSet { tickInterval = tickers.map(\.tickInterval).min() }
  }
  /// How often the tickers want to be ticked (the shortest of their intervals).
  private var tickInterval: Double?
  package let tracees = TaskTable()
  private var spin: SpinPolicy
  var childSignals = ChildSignalWait()
  private let output: OutputBuffer?

  /// Launched with a seccomp filter (the stop handler keeps the flag; it decides on exit stops).
  var useSeccomp: Bool { syscalls.useSeccomp }
  private(set) var launched: (pid: Int32, command: String)?
  var launchErrorFd: Int32 = -1
  var launchFailure: TraceError?
  var launchedStatus: TraceStop?
  private var stoppedBySignal: Int32?
  private(set) var signalPolicy = TracerSignalPolicy()
  private(set) var detaching = false
  /// Neither shown nor modelled syscalls: only process events are traced, no filter, no syscall stop.
  private let eventsOnly: Bool
  /// Children that exited before their parent's fork event was handled.
  var exitedBeforeForkEvent = Set<Int32>()
  /// Set from any thread; the tracer thread detaches from everything at its next check.
  private let detachRequested = Atomic<Bool>(false)
  let injector: InjectionScheduler
  let kills: KillPlan
  private var lastTick = 0.0
  private var lastSignalCheck = 0.0
  private var idleFlushed = true

  /// When set, takes SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pipetrace instead of the default
  /// (detach when attached, pass on to the command when launched). Runs on the tracer thread.
  public var onSignal: ((Int32) -> Void)?

  /// Called once, on the tracer thread, at the first SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to
  /// pipetrace, before anything is let go or killed, with the processes traced (`--autopsy`
  /// records what they were blocked in there).
  public var beforeFirstSignal: ((Tracer, [Int32]) -> Void)?

  /// `output`, when given, is flushed whenever the tracees go quiet, so a live reader sees a hang.
  /// Sinks that are also `TraceTicker`s are ticked while the trace runs.
  public init(options: Options, sinks: [EventSink], output: OutputBuffer? = nil) throws(TraceError) {
    self.options = options
    self.output = output
    events = EventFanout(sinks)
    let sets = SyscallSets(selection: options.selection, modelFds: options.modelFds, stackTraces: options.stackTraces)
    eventsOnly = sets.none
    syscalls = SyscallStopHandler(
      sets: sets, events: events, decoding: options.decoding, unwinder: options.stackTraces ? StackUnwinder() : nil)
    spin = SpinPolicy(microseconds: options.spinMicroseconds, cpus: Int(ct_usable_cpus()), adaptive: options.adaptiveSpin)
    tickers = sinks.compactMap { $0 as? TraceTicker }
    tickInterval = tickers.map(\.tickInterval).min()  // didSet does not run in init
    kills = KillPlan(tracees: tracees)
    injector = InjectionScheduler(tracees: tracees, events: events, holdTimeout: options.holdTimeout)
    injector.letGo = { [unowned self] t in self.restart(t, self.proceed(t)) }
  }

  public func add(sink: EventSink) {
    events.add(sink)
    if let t = sink as? TraceTicker { tickers.append(t) }
  }

  /// A ticker that consumes no events (it reads /proc on its ticks).
  public func add(ticker: TraceTicker) { tickers.append(ticker) }

  // MARK: Starting

  /// Starts `argv` traced; its first instruction already runs under the tracer. Returns its pid.
  @discardableResult
  public func launch(_ argv: [String], io: LaunchIO = LaunchIO()) throws(TraceError) -> Int32 {
    try launch(arguments: argv.map { Array($0.utf8) }, io: io)
  }

  /// The same with the arguments as bytes, exactly as the command is to get them (they need not be
  /// UTF-8: see `RawArguments`).
  @discardableResult
  public func launch(arguments argv: [[UInt8]], io: LaunchIO = LaunchIO()) throws(TraceError) -> Int32 {
    var filter: [ct_bpf_insn] = []
    if options.useSeccomp && options.followForks && !syscalls.sets.showAll && !eventsOnly,
      let program = SeccompFilter.program(tracing: syscalls.sets.traced)
    {
      filter = program
    }
    syscalls.useSeccomp = !filter.isEmpty
    var ptraceOptions: Ptrace.Options = [ptraceFollowOptions, .exitKill]
    if useSeccomp { ptraceOptions.insert(.traceSeccomp) }
    let child = try Launcher.start(argv, io: io, filter: filter, options: ptraceOptions)
    launched = (child.pid, argv.first.map { DisplayText.decode($0) } ?? "")
    launchErrorFd = child.errorFd
    let t = Tracee(tid: child.pid, tgid: child.pid, fds: FdTargetCache(), started: true)
    t.beforeExec = true
    tracees[child.pid] = t
    restart(t, proceed(t))
    return child.pid
  }

  /// Attaches to every thread of each pid (and with `tree`, of every existing descendant) without
  /// stopping them for longer than it takes to set the tracer up. Returns how many tasks (threads)
  /// are traced then.
  @discardableResult
  public func attach(_ pids: [Int32], tree: Bool) throws(TraceError) -> Int {
    var caches: [Int32: FdTargetCache] = [:]
    try Attacher.attach(pids, tree: tree, options: ptraceFollowOptions, seen: { pid in tracees[pid] != nil }) { thread in
      let cache = caches[thread.tgid] ?? FdTargetCache()
      caches[thread.tgid] = cache
      let t = Tracee(tid: thread.tid, tgid: thread.tgid, fds: cache, started: false)
      t.attached = true
      tracees[thread.tid] = t
    }
    return tracees.count
  }

  /// What new tasks and execs report: everything, or (not following forks) only execs.
  private var ptraceFollowOptions: Ptrace.Options {
    options.followForks ? .followAll : [.traceSysGood, .traceExec]
  }

  // MARK: Requests (any thread for detach; the tracer thread for the rest)

  /// Asks the tracer thread to detach from every tracee and return from `run()` (signal-aware
  /// mode). Safe from any thread.
  public func requestDetach() {
    detachRequested.store(true, ordering: .releasing)
  }

  /// Asks the tracer thread to send `signal` (SIGKILL by default) to the tracees in `scope`, and to
  /// every child they fork from now on (a child is traced from its birth, PTRACE_O_TRACEFORK: it
  /// gets the signal when it is first seen, so a tree that forks while it is being ended cannot
  /// outrun the signal). A later request for the same processes (SIGKILL after SIGTERM) covers the
  /// children born meanwhile too. Safe from any thread; after `.all` `run()` returns once every
  /// tracee is gone.
  public func requestKill(_ scope: KillScope, signal: Int32 = SIGKILL) {
    kills.request(scope, signal: signal)
  }

  /// Whether every process of the last `requestKill` has exited. Safe from any thread.
  public var killComplete: Bool { kills.complete }

  /// Every process SIGKILLed by `requestKill`, in order. Safe from any thread.
  public var killedProcesses: [Int32] { kills.killed }

  /// Adds a line to the trace output (a diagnosis, an action taken), as process `pid`'s (a
  /// process, never a thread: `report` lists a note's pid as a process). Tracer thread only.
  public func note(pid: ProcessID, _ text: String) {
    events.emit(.note(pid: pid.rawValue, text: text, timestamp: Clock.wall()))
    output?.flush()
  }

  /// The call each task this tracer holds at a stop is in, by thread id: /proc says only "tracing
  /// stop" for them (an autopsy taken on the tracer thread sees its own tracees that way). Tracer
  /// thread only.
  public func callsInProgress() -> [Int32: String] {
    var calls: [Int32: String] = [:]
    for t in tracees.all { if let c = t.current { calls[t.tid] = c.record.name } }
    return calls
  }

  /// Whether `tgid` is traced by this tracer.
  public func isTracing(process tgid: Int32) -> Bool {
    tracees.isTracing(process: tgid)
  }

  /// Queues an injection into traced process `request.pid`. The loop stops every thread of it at a
  /// PTRACE_EVENT_STOP (serving every other stop meanwhile), runs `request.perform` with one thread
  /// adopted, shows the calls it made in the trace, lets every thread go on exactly as it was, and
  /// then calls `request.completion` — all on the tracer thread, between stops.
  package func request(_ request: InjectionRequest) {
    injector.request(request)
  }

  // MARK: The loop

  /// Runs until no tracee is left (or, attached, until told to stop). Returns how it ended.
  public func run() -> Outcome {
    lastTick = Clock.monotonic()
    if options.signalAware { _ = ct_wakeup_start(Int32(wakeInterval * 1000)) }
    defer { if options.signalAware { ct_wakeup_stop() } }
    loop: while !tracees.isEmpty {
      kills.takeRequests()
      if !kills.complete { kills.checkEnded() }
      if !detaching && detachRequested.load(ordering: .acquiring) { beginDetach() }
      if injector.canStart && !detaching { injector.startInjection() }
      switch nextStop() {
      case .stop(let tid, let stop):
        idleFlushed = false
        dispatch(tid, stop)
      case .noChildren:
        break loop
      case .nothing, .failed:
        break
      }
      tickIfDue()
    }
    finishAll()
    kills.markComplete()
    var exit: Int32 = 0
    if let s = launchedStatus?.shellStatus { exit = s }
    if launchFailure != nil { exit = 127 }
    return Outcome(exitStatus: exit, launchFailure: launchFailure, stoppedBySignal: stoppedBySignal)
  }

  /// The next wait status, or `.nothing` after an idle wait (during which the tracer's own signals
  /// are taken and the output is flushed).
  private func nextStop() -> WaitResult {
    guard options.signalAware else { return WaitResult.wait(block: true) }
    // Thousands of tracees: each waitpid(-1) would walk them all (see `ChildSignalWait`).
    if childSignals.applies(tracees: tracees.count) {
      switch childSignals.next(timeout: wakeInterval) {
      case .wait(let r):
        return r
      case .tracerSignal(let sig, let code):
        lastSignalCheck = Clock.monotonic()
        tracerSignal(sig, code: code)
        return .nothing
      case .idle:
        return idle()
      }
    }
    childSignals.forget()
    // Polling for a short while beats sleeping when a CPU is free: a tracee that makes syscalls
    // back to back stops again within microseconds, and waking an idle vCPU costs more than that.
    // Without it no poll comes first: the blocking waitpid returns at once when a stop is ready,
    // and every waitpid(-1) walks the kernel's list of all tracees (thousands in a fork chain).
    if spin.shouldSpin(tracees: tracees.count) {
      let first = WaitResult.wait(block: false)
      guard case .nothing = first else { return first }
      let deadline = Clock.monotonic() + spin.window
      repeat {
        let r = WaitResult.wait(block: false)
        guard case .nothing = r else { return r }
      } while Clock.monotonic() < deadline
    }
    // Sleep in waitpid, as strace does: one system call per stop. The wake-up timer interrupts it at
    // least every `wakeInterval` so that the tracer's signals, ticks and detach requests are served
    // and the output of a quiet trace reaches its reader.
    let r = WaitResult.wait(block: true, retryOnInterrupt: false)
    guard case .failed(.EINTR) = r else { return r }
    return idle()
  }

  /// After an idle wait: the output is flushed and the tracer's own signals are taken.
  private func idle() -> WaitResult {
    if !idleFlushed {
      output?.flush()
      idleFlushed = true
    }
    takeTracerSignal(now: Clock.monotonic())
    return .nothing
  }

  /// Takes a signal sent to pipetrace itself (SIGINT, SIGTERM, SIGHUP, SIGQUIT), if one is pending.
  private func takeTracerSignal(now: Double) {
    lastSignalCheck = now
    var code: Int32 = 0
    let sig = ct_wait_tracer_signal(0, &code)
    if sig == SIGCHLD { childSignals.took(now: now) }
    if sig > 0 && sig != SIGCHLD { tracerSignal(sig, code: code) }
  }

  /// How often an idle wait is interrupted: the detach check, and the tickers' interval.
  private var wakeInterval: Double {
    var limit = min(0.05, Double(options.stopCheckMilliseconds) / 1000)
    if let interval = tickInterval { limit = min(limit, interval) }
    return max(0.001, limit)
  }

  private func tickIfDue() {
    let now = Clock.monotonic()
    if options.signalAware && now - lastSignalCheck >= 0.05 {
      // Tracees that stop back to back keep the loop from ever waiting idle (where the tracer's
      // signals are taken): look for them every 50 ms anyway.
      takeTracerSignal(now: now)
    }
    injector.checkDeadline(now: now)
    guard let interval = tickInterval, now - lastTick >= interval else { return }
    lastTick = now
    for t in tickers { t.tick(now: now, tracer: self) }
  }

  private func finishAll() {
    for t in tracees.all { reportUnfinished(t) }
    events.finish()
    if launchErrorFd >= 0 {
      close(launchErrorFd)
      launchErrorFd = -1
    }
  }

  // MARK: Dispatch

  /// Handles one stop, then lets the task (the one now under that tid: an exec may have replaced
  /// it) go on as the handler said.
  private func dispatch(_ tid: Int32, _ stop: TraceStop) {
    let action = handle(tid, stop)
    if let t = tracees[tid] { restart(t, action) }
  }

  /// The one place the loop lets a stopped tracee go on.
  package func restart(_ t: Tracee, _ action: StopAction) {
    switch action {
    case .syscall(let signal), .cont(let signal):
      // Any ptrace stop consumes a pending PTRACE_INTERRUPT: ask again for a thread to be held.
      if t.holdRequested { try? Ptrace.interrupt(t.tid) }
      // ESRCH: it was killed meanwhile; its exit comes through waitpid.
      try? Ptrace.resume(t.tid, action == .cont(signal) ? .cont : .syscall, signal: signal)
    case .listen:
      do { try Ptrace.resume(t.tid, .listen) } catch { restart(t, proceed(t)) }
    case .hold, .gone:
      break
    }
  }

  /// Resumes a tracee the way its state asks: only until the next event when no syscall stop is
  /// wanted (seccomp mode between calls, or no syscalls at all), else to the next syscall stop.
  func proceed(_ t: Tracee, signal: Int32 = 0) -> StopAction {
    eventsOnly || (useSeccomp && !t.inSyscall) ? .cont(signal) : .syscall(signal)
  }

  func reportUnfinished(_ t: Tracee) {
    guard let c = t.current else { return }
    t.current = nil
    if c.shown { events.emit(.syscall(c.record)) }
  }

  // MARK: Signals to pipetrace

  /// SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pipetrace.
  private func tracerSignal(_ sig: Int32, code: Int32) {
    if let first = beforeFirstSignal {
      beforeFirstSignal = nil
      first(self, tracees.processes.sorted())
    }
    if let onSignal {
      onSignal(sig)
      return
    }
    switch signalPolicy.respond(code: code, launched: launched != nil, commandGone: launchedStatus != nil) {
    case .detach:
      stoppedBySignal = sig
      beginDetach()
    case .endTrace:
      stoppedBySignal = sig
      endLaunchedTrace()
    case .passOn:
      if let l = launched, tracees[l.pid] != nil {
        kill(l.pid, sig)
      } else {
        for tgid in tracees.processes { kill(tgid, sig) }
      }
    case .none:
      break
    }
  }

  /// Ends a launched trace early. Tracees that carry pipetrace's seccomp filter cannot run on
  /// untraced (their filtered calls would fail with ENOSYS): they are killed, as PTRACE_O_EXITKILL
  /// would kill them when pipetrace exits (strace --seccomp-bpf does the same). The others are
  /// detached and go on.
  func endLaunchedTrace() {
    guard useSeccomp else { return beginDetach() }
    for tgid in tracees.processes { kill(tgid, SIGKILL) }
  }

  // MARK: Detaching

  /// Stops every tracee once more; `dispatch` detaches each at that stop, passing on any signal it
  /// was about to receive, so nothing is left stopped, traced or missing a signal.
  func beginDetach() {
    injector.cancelAll("the tracer is detaching")
    detaching = true
    for t in tracees.all {
      if t.held {
        // Already in a PTRACE_EVENT_STOP: let go of it here.
        detach(t, at: .interrupt)
      } else {
        try? Ptrace.interrupt(t.tid)
      }
    }
  }

  @discardableResult
  func detach(_ t: Tracee, at stop: TraceStop) -> StopAction {
    // A signal-delivery stop (GETSIGINFO fails for a group-stop): the signal goes with the detach.
    var deliver: Int32 = 0
    if case .signal(let sig) = stop, SignalInfo(tracee: t.tid) != nil { deliver = sig }
    if case .newTask = stop, let msg = try? Ptrace.eventMessage(t.tid) {
      // A child created just before the interrupt: let it go at its first stop.
      let child = Int32(truncatingIfNeeded: msg)
      if tracees[child] == nil { tracees[child] = Tracee(tid: child, tgid: child, fds: FdTargetCache(), started: false) }
    }
    reportUnfinished(t)
    try? Ptrace.detach(t.tid, signal: deliver)
    tracees[t.tid] = nil
    events.emit(.detached(pid: t.tgid, tid: t.tid, timestamp: Clock.wall()))
    return .gone
  }
}

/// A consumer that acts while the trace runs (the stuck detector): the loop calls `tick` from its
/// own thread about every `tickInterval` seconds, between stops.
public protocol TraceTicker: AnyObject {
  var tickInterval: Double { get }
  func tick(now: Double, tracer: Tracer)
}

extension Tracer {
  /// Serves stops (and the queued `request`s) until `done()` holds, the trace is ending, or
  /// `seconds` have passed: for a callback already on the tracer thread (`beforeFirstSignal`) that
  /// needs its requests carried out before it returns. Signal-aware mode only (the wake-up timer
  /// bounds each wait); the tracer's own signals wait for the loop.
  package func serveRequests(until done: () -> Bool, seconds: Double) {
    guard options.signalAware else { return }
    let deadline = Clock.monotonic() + seconds
    while !done() && !detaching && !tracees.isEmpty && Clock.monotonic() < deadline {
      if injector.canStart { injector.startInjection() }
      injector.checkDeadline(now: Clock.monotonic())
      switch WaitResult.wait(block: true, retryOnInterrupt: false) {
      case .stop(let tid, let stop): dispatch(tid, stop)
      case .noChildren: return
      case .nothing, .failed: break
      }
    }
  }
}
