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
  let options: Options
  private let events: EventFanout
  private let syscalls: SyscallStopHandler
  private var tickers: [TraceTicker] = [] {
    didSet { tickInterval = tickers.map(\.tickInterval).min() }
  }
  /// How often the tickers want to be ticked (the shortest of their intervals).
  private var tickInterval: Double?
  private let tracees = TaskTable()
  private var spin: SpinPolicy
  private let output: OutputBuffer?

  /// Launched with a seccomp filter (the stop handler keeps the flag; it decides on exit stops).
  private var useSeccomp: Bool { syscalls.useSeccomp }
  private var launched: (pid: Int32, command: String)?
  private var launchErrorFd: Int32 = -1
  private var launchFailure: TraceError?
  private var launchedStatus: TraceStop?
  private var stoppedBySignal: Int32?
  private var signalPolicy = TracerSignalPolicy()
  private var detaching = false
  /// Neither shown nor modelled syscalls: only process events are traced, no filter, no syscall stop.
  private let eventsOnly: Bool
  /// Children that exited before their parent's fork event was handled.
  private var exitedBeforeForkEvent = Set<Int32>()
  /// Set from any thread; the tracer thread detaches from everything at its next check.
  private let detachRequested = Atomic<Bool>(false)
  private let injector: InjectionScheduler
  private let kills: KillPlan
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
  func add(ticker: TraceTicker) { tickers.append(ticker) }

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

  /// Adds a line to the trace output (a diagnosis, an action taken). Tracer thread only.
  public func note(pid: Int32, _ text: String) {
    events.emit(.note(pid: pid, text: text, timestamp: Clock.wall()))
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
  func request(_ request: InjectionRequest) {
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
  private func restart(_ t: Tracee, _ action: StopAction) {
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
  private func proceed(_ t: Tracee, signal: Int32 = 0) -> StopAction {
    eventsOnly || (useSeccomp && !t.inSyscall) ? .cont(signal) : .syscall(signal)
  }

  /// Acts on one stop (events emitted, tracer state updated) and says how the task goes on.
  private func handle(_ tid: Int32, _ stop: TraceStop) -> StopAction {
    guard let t = tracees[tid] else { return unknownTask(tid, stop) }
    if stop.isTermination { return taskExited(t, stop) }
    if detaching { return detach(t, at: stop) }
    if !t.started { return firstStop(t, stop) }
    if case .groupStop = stop {} else { t.inGroupStop = false }
    switch stop {
    case .syscall:
      return syscallStop(t)
    case .seccomp:
      guard let info = try? Ptrace.syscallInfo(t.tid) else { return proceed(t) }
      syscalls.entry(t, auditArch: info.arch, number: info.nr, args: info.args)
      if let data = try? Ptrace.eventMessage(t.tid), data != UInt(SeccompFilter.tag) {
        // The tracee's own filter sent this call to a tracer: untraced, the kernel would skip it
        // with ENOSYS (nobody asked for its seccomp stops), so the result is the same traced.
        try? Ptrace.skipSyscall(t.tid, failingWith: ENOSYS)
      }
      return proceed(t)
    case .newTask(let event):
      return newTask(of: t, event)
    case .exec:
      return exec(t)
    case .groupStop(let sig):
      return groupStop(t, sig)
    case .signal(let sig):
      return signalStop(t, sig)
    case .interrupt:
      if t.holdRequested { return injector.hold(t) }
      return proceed(t)
    case .vforkDone, .exiting, .other, .exited, .killed:
      return proceed(t)
    }
  }

  private func syscallStop(_ t: Tracee) -> StopAction {
    // An exit stop of a call nobody needs: no request at all.
    if t.inSyscall && t.current == nil {
      t.inSyscall = false
      return proceed(t)
    }
    guard let info = try? Ptrace.syscallInfo(t.tid) else { return proceed(t) }
    switch Int32(info.op) {
    case Int32(CT_SYSCALL_INFO_ENTRY), Int32(CT_SYSCALL_INFO_SECCOMP):
      syscalls.entry(t, auditArch: info.arch, number: info.nr, args: info.args)
    case Int32(CT_SYSCALL_INFO_EXIT):
      syscalls.exit(t, rval: info.rval, isError: info.is_error != 0)
    default:
      break
    }
    return proceed(t)
  }

  /// The attach stop, or a new child's first stop: nothing to report.
  private func firstStop(_ t: Tracee, _ stop: TraceStop) -> StopAction {
    t.started = true
    if t.attached { syscalls.callInProgress(t) }
    if case .groupStop(let sig) = stop { return groupStop(t, sig) }
    if t.holdRequested, case .interrupt = stop { return injector.hold(t) }
    return proceed(t)
  }

  /// A stop from a task not seen before: a new child whose first stop beat its parent's fork event.
  private func unknownTask(_ tid: Int32, _ stop: TraceStop) -> StopAction {
    if stop.isTermination { return .gone }
    if detaching {
      try? Ptrace.detach(tid)
      return .gone
    }
    let tgid = ProcStatus(pid: tid)?.tgid ?? tid
    let t = Tracee(tid: tid, tgid: tgid, fds: FdTargetCache(), started: true)
    // A new thread shares its process's fd table (the fork event sets it right in any case). Looked
    // up by the leader, not by a scan of every tracee: a deep fork chain has thousands of them.
    if tgid != tid, let leader = tracees[tgid] ?? tracees.threads(of: tgid).first(where: { $0.tid != tid }) {
      t.fds = leader.fds
    }
    t.awaitingForkEvent = true
    tracees[tid] = t
    // Its parent may have been killed before its fork event: the kernel then reports none.
    if kills.inKillScope(parent: ProcStatus(pid: tid)?.ppid ?? 0, tgid: tgid) { kills.endProcess(tgid) }
    return proceed(t)
  }

  private func newTask(of t: Tracee, _ event: TraceStop.ForkEvent) -> StopAction {
    guard let msg = try? Ptrace.eventMessage(t.tid) else { return proceed(t) }
    let child = Int32(truncatingIfNeeded: msg)
    var kind: ForkKind = event == .fork ? .fork : event == .vfork ? .vfork : .clone
    // clone(2) with SIGCHLD is a fork event and may still share the fd table (CLONE_FILES): the
    // flags of the clone/clone3 entry decide, whatever the event.
    let cloneThread = UInt64(CT_CLONE_THREAD), cloneFiles = UInt64(CT_CLONE_FILES)
    let flags = t.lastCloneFlags
      ?? (event == .clone && ProcStatus(pid: child)?.tgid == t.tgid ? cloneThread | cloneFiles : 0)
    t.lastCloneFlags = nil
    if flags & cloneThread != 0 { kind = .thread }
    let tgid = kind == .thread ? t.tgid : child
    let fds = flags & cloneFiles != 0 ? t.fds : t.fds.copy()
    if let c = tracees[child] {
      if kind != .thread { c.parentTgid = t.tgid }
      tracees.move(c, toProcess: tgid)
      c.fds = fds
      c.awaitingForkEvent = false
      c.arch = t.arch
    } else if exitedBeforeForkEvent.remove(child) != nil {
      // Born, run and gone before its parent's fork stop was taken: nothing left to trace.
    } else {
      let c = Tracee(tid: child, tgid: tgid, fds: fds, started: false)
      c.arch = t.arch  // a child runs in its parent's ABI: no mode note for it (as strace)
      // A thread of a process being held for an injection must be held too.
      if kind == .thread, injector.isInjecting(into: tgid) { c.holdRequested = true }
      if kind != .thread { c.parentTgid = t.tgid }
      tracees[child] = c
    }
    events.emit(.fork(pid: t.tgid, tid: t.tid, child: child, kind: kind, timestamp: Clock.wall()))
    if kind != .thread, kills.inKillScope(parent: t.tgid, tgid: child) { kills.endProcess(child) }
    return proceed(t)
  }

  private func exec(_ t0: Tracee) -> StopAction {
    var t = t0
    if let msg = try? Ptrace.eventMessage(t.tid) {
      let former = Int32(truncatingIfNeeded: msg)
      if former != t.tid, let execer = tracees[former] {
        // A non-leader thread exec'd: it takes over the leader's tid; the old leader is gone.
        reportUnfinished(t)
        tracees[former] = nil
        execer.tid = t.tid
        execer.started = true
        tracees[t.tid] = execer
        t = execer
      }
    }
    // The new image has a private fd table without the close-on-exec fds.
    t.fds = FdTargetCache()
    syscalls.unwinder?.imageReplaced(tgid: t.tgid)
    // The path as the call named it (captured at entry); an empty one (execveat's AT_EMPTY_PATH)
    // or none seen: the file the kernel ran.
    var path = t.current?.execPath.map { DisplayText.decode($0) } ?? ""
    let argv = ProcFS.arguments(t.tid)
    if path.isEmpty { path = ProcFS.readLink("/proc/\(t.tid)/exe") ?? argv.first ?? "?" }
    if t.beforeExec {
      t.beforeExec = false
      if launchErrorFd >= 0 {
        close(launchErrorFd)
        launchErrorFd = -1
      }
    }
    events.emit(.exec(pid: t.tgid, tid: t.tid, path: path, argv: argv, timestamp: Clock.wall()))
    return proceed(t)
  }

  /// Group-stop of a seized tracee: keep it stopped (job control) but keep watching it.
  private func groupStop(_ t: Tracee, _ sig: Int32) -> StopAction {
    t.inGroupStop = true
    if t.holdRequested || t.held, injector.isInjecting(into: t.tgid) {
      injector.abortInjection("process \(t.tgid) was stopped by \(Signals.name(sig)) (job control): continue it first")
    }
    return .listen
  }

  private func signalStop(_ t: Tracee, _ sig: Int32) -> StopAction {
    // No siginfo for a stop that is not a signal delivery: nothing to pass on.
    guard let info = SignalInfo(tracee: t.tid) else { return proceed(t) }
    if !t.beforeExec {
      // -k: strace prints the stack where the signal arrived.
      let stack = syscalls.unwinder?.capture(tid: t.tid, tgid: t.tgid)
      events.emit(.signal(SignalRecord(pid: t.tgid, tid: t.tid, info: info, stack: stack, timestamp: Clock.wall())))
    }
    return proceed(t, signal: sig)
  }

  private func taskExited(_ t: Tracee, _ stop: TraceStop) -> StopAction {
    tracees[t.tid] = nil
    if t.awaitingForkEvent { exitedBeforeForkEvent.insert(t.tid) }
    reportUnfinished(t)
    syscalls.unwinder?.threadGone(tid: t.tid)
    if t.tid == t.tgid { syscalls.unwinder?.processGone(tgid: t.tgid) }
    var code: Int32?
    var signal: Int32?
    var core = false
    switch stop {
    case .exited(let c): code = c
    case .killed(let s, let c): signal = s; core = c
    default: break
    }
    events.emit(.exit(pid: t.tgid, tid: t.tid, code: code, signal: signal, coreDumped: core, timestamp: Clock.wall()))
    if let l = launched, t.tid == l.pid {
      launchedStatus = stop
      if t.beforeExec, launchErrorFd >= 0 {
        launchFailure = Launcher.execFailure(errorFd: launchErrorFd, command: l.command)
      }
      // A signal to pipetrace went to the command (or reached it from the terminal) and it is gone
      // now: what it left behind must not keep the trace going, as strace does not wait for it.
      if signalPolicy.launchedSignals > 0 && !tracees.isEmpty { endLaunchedTrace() }
      // What it left runs on, untraced (it carries no filter: see `Options.detachLeftovers`).
      if options.detachLeftovers && !useSeccomp && !detaching && !tracees.isEmpty { beginDetach() }
    }
    if injector.isInjecting(into: t.tgid) { injector.checkHeld() }
    return .gone
  }

  private func reportUnfinished(_ t: Tracee) {
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
  private func endLaunchedTrace() {
    guard useSeccomp else { return beginDetach() }
    for tgid in tracees.processes { kill(tgid, SIGKILL) }
  }

  // MARK: Detaching

  /// Stops every tracee once more; `dispatch` detaches each at that stop, passing on any signal it
  /// was about to receive, so nothing is left stopped, traced or missing a signal.
  private func beginDetach() {
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
  private func detach(_ t: Tracee, at stop: TraceStop) -> StopAction {
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
