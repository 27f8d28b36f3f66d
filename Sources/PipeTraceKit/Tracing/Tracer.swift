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
  public struct Options {
    /// The calls to show as `-e trace=` selected them; nil = the pipe set.
    public var selection: SyscallSet?
    /// How arguments are decoded (-s, -X, -v).
    public var decoding = DecodeOptions()
    /// Launch mode: install a seccomp filter so untraced syscalls never stop the tracee.
    public var useSeccomp = true
    /// Trace every task the tracees create (strace's -f). Without it only the launched or attached
    /// processes are traced, and no seccomp filter is installed (children that inherit it untraced
    /// would see their filtered calls fail with ENOSYS).
    public var followForks = true
    /// Wait for tracee events and the tracer's own SIGINT/SIGTERM/SIGHUP with sigtimedwait, and
    /// tick the stuck detector while idle. Needs those signals and SIGCHLD blocked in every thread
    /// (the caller blocks them, `TracerSignals.block()`, before it launches or attaches). Without
    /// it the loop blocks in waitpid.
    public var signalAware = false
    /// How long the tracer polls for the next stop before it sleeps (signal-aware mode), while the
    /// machine has a CPU to spare (see `SpinPolicy`). 0: never.
    public var spinMicroseconds: Int = 200
    /// Poll only while the machine has a CPU to spare (see `SpinPolicy`); false: always.
    public var adaptiveSpin = true
    /// Capture the user-space stack at the entry of every shown syscall (strace's -k).
    public var stackTraces = false
    /// Keep fd targets right across close/dup2/execve (costs a stop per such call). Off when no
    /// syscall is shown and only the process tree matters (`pipetrace run`).
    public var modelFds = true
    /// Signal-aware mode: the longest sleep between checks of `requestDetach()`, in milliseconds.
    public var stopCheckMilliseconds: Int32 = 100
    /// How long an injection may wait for every thread of its target to stop.
    public var holdTimeout: Double = 3
    /// Launch mode: when the launched command exits, detach from what it left behind (a daemon)
    /// and end the trace, instead of following it to its end. Needs `useSeccomp` off: a process
    /// carrying the filter cannot run untraced (`--unstick-after`).
    public var detachLeftovers = false
    public init() {}
  }

  /// How the traced command ended.
  public struct Outcome: Sendable {
    /// Shell-style status of the launched command: its exit code, or 128+N when killed by signal N.
    public var exitStatus: Int32
    /// Set when the command could not be executed at all.
    public var launchFailure: TraceError?
    /// Set when the trace ended because the tracer was told to stop (attach mode: it detached).
    public var stoppedBySignal: Int32?
  }

  /// Where a launched command's standard streams go (-1: inherited) and what else it gets.
  public struct LaunchIO: Sendable {
    public var stdin: Int32 = -1
    public var stdout: Int32 = -1
    public var stderr: Int32 = -1
    /// Close every other fd at exec, so nothing of the caller's leaks into the command.
    public var closeOtherFds = false
    public init(stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, closeOtherFds: Bool = false) {
      self.stdin = stdin
      self.stdout = stdout
      self.stderr = stderr
      self.closeOtherFds = closeOtherFds
    }
  }

  let options: Options
  private let events: EventFanout
  private let syscalls: SyscallStopHandler
  private var tickers: [TraceTicker] = [] {
    didSet { tickInterval = tickers.map(\.tickInterval).min() }
  }
  /// How often the tickers want to be ticked (the shortest of their intervals).
  private var tickInterval: Double?
  private var tracees: [Int32: Tracee] = [:]
  private var spin: SpinPolicy
  private let output: OutputBuffer?

  /// Launched with a seccomp filter (the stop handler keeps the flag; it decides on exit stops).
  private var useSeccomp: Bool { syscalls.useSeccomp }
  private var launched: (pid: Int32, command: String)?
  private var launchErrorFd: Int32 = -1
  private var launchFailure: TraceError?
  private var launchedStatus: TraceStop?
  private var stoppedBySignal: Int32?
  private var detaching = false
  /// Neither shown nor modelled syscalls: only process events are traced, no filter, no syscall stop.
  private let eventsOnly: Bool
  /// Children that exited before their parent's fork event was handled.
  private var exitedBeforeForkEvent = Set<Int32>()
  /// Set from any thread; the tracer thread detaches from everything at its next check.
  private let detachRequested = Atomic<Bool>(false)
  private var injections: [InjectionRequest] = []
  private var activeInjection: InjectionRequest?
  private var lastTick = 0.0
  /// Set from any thread: the ends asked for, taken by the loop in order.
  private let endRequests = Mutex<[(scope: KillScope, signal: Int32)]>([])
  /// What the loop is ending, and with which signal: every tracee, or these processes and every
  /// child they create from then on. New children in scope get the signal at their first sight.
  private var ending: (scope: KillScope, signal: Int32)?
  private let killedPids = Mutex<[Int32]>([])
  /// False from a `requestKill` until the loop has sent its signal and no process in its scope is
  /// left traced (all of them have exited).
  private let endComplete = Atomic<Bool>(true)
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
    resume(t)
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

  /// Which processes a kill ends.
  public enum KillScope: Sendable {
    /// Every tracee and every task they create from now on: the loop ends when none is left.
    case all
    /// These processes and every process they (or the children killed with them) create.
    case processes(Set<Int32>)
  }

  /// Asks the tracer thread to send `signal` (SIGKILL by default) to the tracees in `scope`, and to
  /// every child they fork from now on (a child is traced from its birth, PTRACE_O_TRACEFORK: it
  /// gets the signal when it is first seen, so a tree that forks while it is being ended cannot
  /// outrun the signal). A later request for the same processes (SIGKILL after SIGTERM) covers the
  /// children born meanwhile too. Safe from any thread; after `.all` `run()` returns once every
  /// tracee is gone.
  public func requestKill(_ scope: KillScope, signal: Int32 = SIGKILL) {
    endRequests.withLock {
      $0.append((scope, signal))
      endComplete.store(false, ordering: .releasing)
    }
  }

  /// Whether every process of the last `requestKill` has exited. Safe from any thread.
  public var killComplete: Bool { endComplete.load(ordering: .acquiring) }

  /// Every process SIGKILLed by `requestKill`, in order. Safe from any thread.
  public var killedProcesses: [Int32] { killedPids.withLock { $0 } }

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
    for (tid, t) in tracees { if let c = t.current { calls[tid] = c.record.name } }
    return calls
  }

  /// Whether `tgid` is traced by this tracer.
  public func isTracing(process tgid: Int32) -> Bool {
    tracees.values.contains { $0.tgid == tgid }
  }

  /// Queues an injection into traced process `request.pid`. The loop stops every thread of it at a
  /// PTRACE_EVENT_STOP (serving every other stop meanwhile), runs `request.perform` with one thread
  /// adopted, shows the calls it made in the trace, lets every thread go on exactly as it was, and
  /// then calls `request.completion` — all on the tracer thread, between stops.
  func request(_ request: InjectionRequest) {
    injections.append(request)
  }

  // MARK: The loop

  /// Runs until no tracee is left (or, attached, until told to stop). Returns how it ended.
  public func run() -> Outcome {
    lastTick = Clock.monotonic()
    if options.signalAware { _ = ct_wakeup_start(Int32(wakeInterval * 1000)) }
    defer { if options.signalAware { ct_wakeup_stop() } }
    loop: while !tracees.isEmpty {
      for r in endRequests.withLock({ r in defer { r.removeAll() }; return r }) { beginKill(r.scope, signal: r.signal) }
      if !endComplete.load(ordering: .acquiring) { checkEnded() }
      if !detaching && detachRequested.load(ordering: .acquiring) { beginDetach() }
      if activeInjection == nil && !injections.isEmpty && !detaching { startInjection() }
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
    endComplete.store(true, ordering: .releasing)
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
    if let a = activeInjection, now > a.deadline { abortInjection("its threads did not all stop within \(Int(options.holdTimeout)) s") }
    guard let interval = tickInterval, now - lastTick >= interval else { return }
    lastTick = now
    for t in tickers { t.tick(now: now, tracer: self) }
  }

  private func finishAll() {
    for t in tracees.values { reportUnfinished(t) }
    events.finish()
    if launchErrorFd >= 0 {
      close(launchErrorFd)
      launchErrorFd = -1
    }
  }

  // MARK: Dispatch

  private func dispatch(_ tid: Int32, _ stop: TraceStop) {
    guard let t = tracees[tid] else { return unknownTask(tid, stop) }
    if stop.isTermination { return taskExited(t, stop) }
    if detaching { return detach(t, at: stop) }
    if !t.started { firstStop(t) }
    if case .groupStop = stop {} else { t.inGroupStop = false }
    switch stop {
    case .syscall:
      syscallStop(t)
    case .seccomp:
      guard let info = try? Ptrace.syscallInfo(t.tid) else { return resume(t) }
      syscalls.entry(t, auditArch: info.arch, number: info.nr, args: info.args)
      if let data = try? Ptrace.eventMessage(t.tid), data != UInt(SeccompFilter.tag) {
        // The tracee's own filter sent this call to a tracer: untraced, the kernel would skip it
        // with ENOSYS (nobody asked for its seccomp stops), so the result is the same traced.
        try? Ptrace.skipSyscall(t.tid, failingWith: ENOSYS)
      }
      resume(t)
    case .newTask(let event):
      newTask(of: t, event)
    case .exec:
      exec(t)
    case .groupStop(let sig):
      groupStop(t, sig)
    case .signal(let sig):
      signalStop(t, sig)
    case .interrupt:
      if t.holdRequested { return hold(t) }
      resume(t)
    case .vforkDone, .exiting, .other, .exited, .killed:
      resume(t)
    }
  }

  /// Resumes a tracee the way its state asks: only until the next event when no syscall stop is
  /// wanted (seccomp mode between calls, or no syscalls at all), else to the next syscall stop.
  private func resume(_ t: Tracee, signal: Int32 = 0) {
    // Any ptrace stop consumes a pending PTRACE_INTERRUPT: ask again for a thread to be held.
    if t.holdRequested { try? Ptrace.interrupt(t.tid) }
    let how: Ptrace.Resume = eventsOnly || (useSeccomp && !t.inSyscall) ? .cont : .syscall
    // ESRCH: it was killed meanwhile; its exit comes through waitpid.
    try? Ptrace.resume(t.tid, how, signal: signal)
  }

  private func syscallStop(_ t: Tracee) {
    // An exit stop of a call nobody needs: no request at all.
    if t.inSyscall && t.current == nil {
      t.inSyscall = false
      return resume(t)
    }
    guard let info = try? Ptrace.syscallInfo(t.tid) else { return resume(t) }
    switch Int32(info.op) {
    case Int32(CT_SYSCALL_INFO_ENTRY), Int32(CT_SYSCALL_INFO_SECCOMP):
      syscalls.entry(t, auditArch: info.arch, number: info.nr, args: info.args)
    case Int32(CT_SYSCALL_INFO_EXIT):
      syscalls.exit(t, rval: info.rval, isError: info.is_error != 0)
    default:
      break
    }
    resume(t)
  }

  /// A task's first stop under this tracer: an attached thread's call in progress is noted. The
  /// stop itself is then handled as any other (`dispatch`): usually the attach's interrupt or a new
  /// child's first stop (resumed), but a thread seized between two of its instructions may stop
  /// first at a signal's delivery (passed on, never dropped), a fork or an exec.
  private func firstStop(_ t: Tracee) {
    t.started = true
    if t.attached { syscalls.callInProgress(t) }
  }

  /// A stop from a task not seen before: a new child whose first stop beat its parent's fork event.
  private func unknownTask(_ tid: Int32, _ stop: TraceStop) {
    if stop.isTermination { return }
    if detaching {
      try? Ptrace.detach(tid)
      return
    }
    let tgid = ProcStatus(pid: tid)?.tgid ?? tid
    let t = Tracee(tid: tid, tgid: tgid, fds: FdTargetCache(), started: true)
    // A new thread shares its process's fd table (the fork event sets it right in any case). Looked
    // up by the leader, not by a scan of every tracee: a deep fork chain has thousands of them.
    if tgid != tid, let leader = tracees[tgid] ?? tracees.values.first(where: { $0.tgid == tgid && $0.tid != tid }) {
      t.fds = leader.fds
    }
    t.awaitingForkEvent = true
    tracees[tid] = t
    // Its parent may have been killed before its fork event: the kernel then reports none.
    if inKillScope(parent: ProcStatus(pid: tid)?.ppid ?? 0, tgid: tgid) { endProcess(tgid) }
    resume(t)
  }

  private func newTask(of t: Tracee, _ event: TraceStop.ForkEvent) {
    guard let msg = try? Ptrace.eventMessage(t.tid) else { return resume(t) }
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
      c.tgid = tgid
      c.fds = fds
      c.awaitingForkEvent = false
      c.arch = t.arch
    } else if exitedBeforeForkEvent.remove(child) != nil {
      // Born, run and gone before its parent's fork stop was taken: nothing left to trace.
    } else {
      let c = Tracee(tid: child, tgid: tgid, fds: fds, started: false)
      c.arch = t.arch  // a child runs in its parent's ABI: no mode note for it (as strace)
      // A thread of a process being held for an injection must be held too.
      if kind == .thread, activeInjection?.pid == tgid { c.holdRequested = true }
      if kind != .thread { c.parentTgid = t.tgid }
      tracees[child] = c
    }
    events.emit(.fork(pid: t.tgid, tid: t.tid, child: child, kind: kind, timestamp: Clock.wall()))
    if kind != .thread, inKillScope(parent: t.tgid, tgid: child) { endProcess(child) }
    resume(t)
  }

  private func exec(_ t0: Tracee) {
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
    resume(t)
  }

  /// Group-stop of a seized tracee: keep it stopped (job control) but keep watching it.
  private func groupStop(_ t: Tracee, _ sig: Int32) {
    t.inGroupStop = true
    if t.holdRequested || t.held, let a = activeInjection, a.pid == t.tgid {
      abortInjection("process \(a.pid) was stopped by \(Signals.name(sig)) (job control): continue it first")
    }
    do { try Ptrace.resume(t.tid, .listen) } catch { resume(t) }
  }

  private func signalStop(_ t: Tracee, _ sig: Int32) {
    // No siginfo for a stop that is not a signal delivery: nothing to pass on.
    guard let info = SignalInfo(tracee: t.tid) else { return resume(t) }
    if !t.beforeExec {
      // -k: strace prints the stack where the signal arrived.
      let stack = syscalls.unwinder?.capture(tid: t.tid, tgid: t.tgid)
      events.emit(.signal(SignalRecord(pid: t.tgid, tid: t.tid, info: info, stack: stack, timestamp: Clock.wall())))
    }
    resume(t, signal: sig)
  }

  private func taskExited(_ t: Tracee, _ stop: TraceStop) {
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
      if launchedSignals > 0 && !tracees.isEmpty { endLaunchedTrace() }
      // What it left runs on, untraced (it carries no filter: see `Options.detachLeftovers`).
      if options.detachLeftovers && !useSeccomp && !detaching && !tracees.isEmpty { beginDetach() }
    }
    if let a = activeInjection, a.pid == t.tgid { checkHeld() }
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
      first(self, Set(tracees.values.map(\.tgid)).sorted())
    }
    if let onSignal {
      onSignal(sig)
      return
    }
    guard let l = launched else {
      // Attached: let go of everything; the targets run on as if never traced.
      stoppedBySignal = sig
      beginDetach()
      return
    }
    launchedSignals += 1
    if launchedStatus != nil || launchedSignals > 1 {
      // The command is gone (or this is the second request): what it left behind (a daemon that
      // ignores SIGINT) must not keep pipetrace waiting.
      stoppedBySignal = sig
      return endLaunchedTrace()
    }
    // Launched: a terminal signal already reached the command's process group; one sent to
    // pipetrace alone (si_code <= 0) is passed on, so `kill PIPETRACE` ends the traced command.
    guard code <= 0 else { return }
    if tracees[l.pid] != nil {
      kill(l.pid, sig)
    } else {
      for tgid in Set(tracees.values.map(\.tgid)) { kill(tgid, sig) }
    }
  }

  /// Tracer signals received in launch mode.
  private var launchedSignals = 0

  /// Ends a launched trace early. Tracees that carry pipetrace's seccomp filter cannot run on
  /// untraced (their filtered calls would fail with ENOSYS): they are killed, as PTRACE_O_EXITKILL
  /// would kill them when pipetrace exits (strace --seccomp-bpf does the same). The others are
  /// detached and go on.
  private func endLaunchedTrace() {
    guard useSeccomp else { return beginDetach() }
    for tgid in Set(tracees.values.map(\.tgid)) { kill(tgid, SIGKILL) }
  }

  // MARK: Killing

  private func beginKill(_ scope: KillScope, signal: Int32) {
    let traced = Set(tracees.values.map(\.tgid))
    var targets: Set<Int32>
    switch (ending?.scope, scope) {
    case (.all?, _), (_, .all):
      ending = (.all, signal)
      targets = traced
    case (.processes(let before)?, .processes(let pids)):
      // The same processes again (SIGKILL after SIGTERM): with the children born since.
      targets = withDescendants(before.union(pids))
      ending = (.processes(targets), signal)
    case (nil, .processes(let pids)):
      targets = withDescendants(pids)
      ending = (.processes(targets), signal)
    }
    // Only tracees: a traced pid cannot be reused before this tracer has reaped it.
    for p in targets.intersection(traced).sorted() { endProcess(p) }
  }

  private func checkEnded() {
    guard let e = ending else { return }
    let left: Bool
    switch e.scope {
    case .all: left = !tracees.isEmpty
    case .processes(let pids): left = tracees.values.contains { pids.contains($0.tgid) }
    }
    if left { return }
    endRequests.withLock { if $0.isEmpty { endComplete.store(true, ordering: .releasing) } }
  }

  /// `pids` and every traced process they forked (and those forked), as the fork events showed.
  private func withDescendants(_ pids: Set<Int32>) -> Set<Int32> {
    var all = pids
    var children: [Int32: [Int32]] = [:]
    for t in tracees.values where t.tid == t.tgid {
      if let p = t.parentTgid { children[p, default: []].append(t.tgid) }
    }
    var queue = Array(pids)
    while let p = queue.popLast() {
      for c in children[p] ?? [] where all.insert(c).inserted { queue.append(c) }
    }
    return all
  }

  /// Whether a new process `tgid`, child of `parent`, is to be ended with those being ended.
  private func inKillScope(parent: Int32, tgid: Int32) -> Bool {
    switch ending?.scope {
    case nil: return false
    case .all?: return true
    case .processes(let pids)?: return pids.contains(parent) || pids.contains(tgid)
    }
  }

  private func endProcess(_ tgid: Int32) {
    guard let e = ending else { return }
    if case .processes(let pids) = e.scope, !pids.contains(tgid) { ending = (.processes(pids.union([tgid])), e.signal) }
    // ESRCH: already gone. A traced process dies of SIGKILL even while it is stopped.
    guard kill(tgid, e.signal) == 0, e.signal == SIGKILL else { return }
    killedPids.withLock { if !$0.contains(tgid) { $0.append(tgid) } }
  }

  // MARK: Detaching

  /// Stops every tracee once more; `dispatch` detaches each at that stop, passing on any signal it
  /// was about to receive, so nothing is left stopped, traced or missing a signal.
  private func beginDetach() {
    if let a = activeInjection { abortInjection("the tracer is detaching", request: a) }
    for r in injections { r.completion(.failure(InjectionError("the tracer is detaching"))) }
    injections.removeAll()
    detaching = true
    for t in tracees.values {
      if t.held {
        // Already in a PTRACE_EVENT_STOP: let go of it here.
        detach(t, at: .interrupt)
      } else {
        try? Ptrace.interrupt(t.tid)
      }
    }
  }

  private func detach(_ t: Tracee, at stop: TraceStop) {
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
  }

  // MARK: Injections into tracees

  private func startInjection() {
    let r = injections.removeFirst()
    let threads = tracees.values.filter { $0.tgid == r.pid }
    guard !threads.isEmpty else {
      return r.completion(.failure(InjectionError("process \(r.pid) is not traced by this tracer")))
    }
    if threads.contains(where: \.inGroupStop) {
      return r.completion(.failure(InjectionError("process \(r.pid) is stopped (job control): continue it first")))
    }
    var active = r
    active.deadline = Clock.monotonic() + options.holdTimeout
    activeInjection = active
    for t in threads {
      t.holdRequested = true
      try? Ptrace.interrupt(t.tid)
    }
  }

  /// A thread of the target reached its PTRACE_EVENT_STOP: keep it there.
  private func hold(_ t: Tracee) {
    t.holdRequested = false
    t.held = true
    checkHeld()
  }

  /// Once every live thread of the target is held, runs the injection and lets them all go.
  private func checkHeld() {
    guard let a = activeInjection else { return }
    let threads = tracees.values.filter { $0.tgid == a.pid }
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
      resume(t)
    }
    a.completion(result)
  }

  private func abortInjection(_ reason: String, request: InjectionRequest? = nil) {
    guard let a = request ?? activeInjection else { return }
    activeInjection = nil
    for t in tracees.values where t.tgid == a.pid {
      t.holdRequested = false
      if t.held {
        t.held = false
        resume(t)
      }
    }
    a.completion(.failure(InjectionError("cannot inject into \(a.pid): \(reason)")))
  }
}

/// Syscalls to run inside a traced process, with every thread of it held at a known stop.
struct InjectionRequest {
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
}

/// A consumer that acts while the trace runs (the stuck detector): the loop calls `tick` from its
/// own thread about every `tickInterval` seconds, between stops.
public protocol TraceTicker: AnyObject {
  var tickInterval: Double { get }
  func tick(now: Double, tracer: Tracer)
}
