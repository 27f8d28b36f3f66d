import CTrace
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The tracing loop. Every ptrace call for a tracee must come from the thread that attached it, so a
/// Tracer is used from one OS thread only: launch/attach, then `run()`, all on the same thread.
public final class Tracer {
  public struct Options {
    /// Syscall names to show; nil = the pipe set (`SyscallTable.pipeSet`); `["all"]` = every call.
    public var syscalls: [String]?
    /// The calls to show as `-e trace=` selected them (wins over `syscalls`).
    public var selection: SyscallSet?
    /// How arguments are decoded (-s, -X, -v).
    public var decoding = DecodeOptions()
    /// Bytes of each string shown (strace's -s).
    public var stringLimit: Int {
      get { decoding.stringLimit }
      set { decoding.stringLimit = newValue }
    }
    /// Launch mode: install a seccomp filter so untraced syscalls never stop the tracee.
    public var useSeccomp = true
    /// Wait for tracee events and the tracer's own SIGINT/SIGTERM/SIGHUP with sigtimedwait. Needs
    /// those signals and SIGCHLD blocked in every thread (the CLI does it first thing in main).
    public var signalAware = false
    /// How long a traced call may block before `onStuck` is asked about it.
    public var stuckAfter: Double?
    /// How long the tracer polls for the next stop before it sleeps (signal-aware mode). Measured
    /// here: 20000 traced read/write calls take 9.7 s with 0 and 1.5 s with 200 µs, because waking
    /// an idle vCPU costs more than the stop itself. Never spins with a single usable CPU.
    public var spinMicroseconds: Int = 200
    /// Capture the user-space stack at the entry of every shown syscall (strace's -k).
    public var stackTraces = false
    /// Keep fd targets right across close/dup2/execve (costs a stop per such call). Off when no
    /// syscall is shown and only the process tree matters (`pipetrace run`).
    public var modelFds = true
    /// Signal-aware mode: the longest sleep between checks of `requestDetach()`, in milliseconds.
    public var stopCheckMilliseconds: Int32 = 100
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

  let options: Options
  let decoder: SyscallDecoder
  var sinks: [EventSink] = []
  let wantsEntries: Bool
  /// Shown, and needed by the fd model (or the unwinder), in every ABI.
  private var shown: SyscallSet
  private var modelled: SyscallSet
  private let showAll: Bool

  private var tracees: [Int32: Tracee] = [:]
  private var useSeccomp = false
  private var launchedPid: Int32?
  private var launchedCommand = ""
  private var launchErrorFd: Int32 = -1
  private var launchFailure: TraceError?
  private var launchedStatus: Int32?
  private var stoppedBySignal: Int32?
  private var detaching = false
  private let output: OutputBuffer?
  private let spinSeconds: Double
  private var unwinder: StackUnwinder?
  /// Neither shown nor modelled syscalls: only process events are traced, no filter, no syscall stop.
  private var eventsOnly: Bool { !showAll && shown.isEmpty && modelled.isEmpty }
  /// Children that exited before their parent's fork event was handled.
  private var exitedBeforeForkEvent = Set<Int32>()
  /// Set from any thread; the tracer thread detaches from everything at its next check.
  private let detachRequested = Atomic<Bool>(false)
  /// When set, takes SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pipetrace instead of the default
  /// (detach when attached, pass on to the command when launched). Runs on the tracer thread.
  public var onSignal: ((Int32) -> Void)?
  /// Called on the tracer thread with (pid, tid, the call so far, seconds blocked) while a shown
  /// call has been blocked longer than `stuckAfter`, again at every later check.
  public var onStuck: ((Int32, Int32, SyscallRecord, Double) -> Void)?

  /// `output`, when given, is flushed whenever the tracees go quiet, so a live reader sees a hang.
  public init(options: Options, sinks: [EventSink], output: OutputBuffer? = nil) throws(TraceError) {
    self.options = options
    self.sinks = sinks
    self.output = output
    spinSeconds = Tracer.usableCPUs() > 1 ? Double(max(0, options.spinMicroseconds)) * 1e-6 : 0
    wantsEntries = sinks.contains { $0 is StraceFormatter }
    decoder = SyscallDecoder(options: options.decoding)
    if let selection = options.selection {
      shown = selection
    } else if let names = options.syscalls {
      if names.contains("all") {
        shown = .all
      } else {
        for name in names where !SyscallTable.isKnown(name) { throw .unknownSyscall(name) }
        let wanted = Set(names)
        shown = SyscallSet { wanted.contains($0.name) }
      }
    } else {
      shown = SyscallSelection.defaultSet
    }
    showAll = shown.everythingElse
    let model = options.modelFds
    let stacks = options.stackTraces
    modelled = SyscallSet { (model && $0.keepsFdModel) || (stacks && $0.traits.contains(.mapsCode)) }
    unwinder = options.stackTraces ? StackUnwinder() : nil
  }

  public func add(sink: EventSink) { sinks.append(sink) }

  @inline(__always) private func emit(_ e: Event) {
    for s in sinks { s.handle(e) }
  }

  // MARK: Launch

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

  /// Asks the tracer thread to detach from every tracee and return from `run()` (signal-aware
  /// mode). Safe from any thread.
  public func requestDetach() {
    detachRequested.store(true, ordering: .releasing)
  }

  /// Starts `argv` traced; its first instruction already runs under the tracer. Returns its pid.
  @discardableResult
  public func launch(_ argv: [String], io: LaunchIO = LaunchIO()) throws(TraceError) -> Int32 {
    guard let first = argv.first else { throw .commandNotFound("") }
    let path = try Tracer.resolveExecutable(first)
    useSeccomp = options.useSeccomp && !showAll && !eventsOnly
    var filter: [ct_bpf_insn] = []
    if useSeccomp {
      if let program = SeccompFilter.program(tracing: shown.union(modelled)) { filter = program } else { useSeccomp = false }
    }
    var pid: Int32 = 0
    var errorFd: Int32 = -1
    var failure = ct_spawn_failure()
    let rc = withCStrings(argv) { cArgv in
      path.withCString { cPath in
        filter.withUnsafeBufferPointer { f in
          var rq = ct_spawn_request()
          rq.path = cPath
          rq.argv = cArgv
          rq.envp = nil
          rq.flags = Int32(CT_SPAWN_TRACED | (io.closeOtherFds ? CT_SPAWN_CLOSE_FDS : 0))
          rq.stdin_fd = io.stdin
          rq.stdout_fd = io.stdout
          rq.stderr_fd = io.stderr
          rq.filter = f.isEmpty ? nil : f.baseAddress
          rq.filter_len = UInt16(f.count)
          return ct_spawn(&rq, &pid, &errorFd, &failure)
        }
      }
    }
    if rc < 0 {
      if failure.stage == Int32(CT_STAGE_EXEC) { throw .notExecutable(first, Errno(failure.error)) }
      throw .spawnFailed(first, Errno(-rc))
    }
    var opts = UInt(CT_O_TRACESYSGOOD | CT_O_TRACEFORK | CT_O_TRACEVFORK)
    opts |= UInt(CT_O_TRACECLONE | CT_O_TRACEEXEC | CT_O_EXITKILL)
    if useSeccomp { opts |= UInt(CT_O_TRACESECCOMP) }
    // Seized while in its own group-stop: it re-traps at once with PTRACE_EVENT_STOP; SIGCONT then
    // ends the group-stop (its delivery is a pre-exec stop that is not shown).
    var st: Int32 = 0
    if ct_seize(pid, opts) < 0 || ct_waitpid(pid, &st, 0, 1) != pid || ct_wifstopped(st) == 0 {
      let e = Errno.current
      kill(pid, SIGKILL)
      _ = ct_waitpid(pid, &st, 0, 1)
      throw .spawnFailed(first, e)
    }
    kill(pid, SIGCONT)
    launchedPid = pid
    launchedCommand = first
    launchErrorFd = errorFd
    let t = Tracee(tid: pid, tgid: pid, fdTable: FdTable(), started: true)
    t.beforeExec = true
    tracees[pid] = t
    resume(t, signal: 0)
    return pid
  }

  static func usableCPUs() -> Int { Int(ct_usable_cpus()) }

  /// PATH lookup as execvp does it, so a missing command is a clear error before anything starts.
  static func resolveExecutable(_ name: String) throws(TraceError) -> String {
    func check(_ p: String) -> Errno? {
      var st = stat()
      if stat(p, &st) != 0 { return Errno.current }
      if (st.st_mode & S_IFMT) == S_IFDIR { return Errno(EACCES) }
      return access(p, X_OK) == 0 ? nil : Errno.current
    }
    if name.contains("/") {
      if let e = check(name) {
        if e == .ENOENT { throw .commandNotFound(name) }
        throw .notExecutable(name, e)
      }
      return name
    }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    var denied: Errno?
    for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
      if let e = check(candidate) {
        if e == .EACCES { denied = e }
        continue
      }
      return candidate
    }
    if let e = denied { throw .notExecutable(name, e) }
    throw .commandNotFound(name)
  }

  // MARK: Attach

  /// Attaches to every thread of each pid (and with `tree`, of every existing descendant) without
  /// stopping them for longer than it takes to set the tracer up.
  public func attach(_ pids: [Int32], tree: Bool) throws(TraceError) {
    var all: [Int32] = []
    for pid in pids {
      try Tracer.checkAttachable(pid)
      all.append(pid)
      if tree { all.append(contentsOf: ProcStatus.descendants(of: pid)) }
    }
    var seen = Set<Int32>()
    for (i, pid) in all.enumerated() where !seen.contains(pid) {
      seen.insert(pid)
      do {
        try attachProcess(pid)
      } catch {
        // A descendant that vanished meanwhile is not an error; a named pid is.
        if i < pids.count || pids.contains(pid) { throw error }
      }
    }
  }

  static func checkAttachable(_ pid: Int32) throws(TraceError) {
    guard pid > 0 else { throw .invalidPid(String(pid)) }
    if pid == getpid() { throw .isSelf(pid) }
    guard let s = ProcStatus(pid: pid) else { throw .noSuchProcess(pid) }
    if s.tgid != pid {
      // A thread id: attach its process instead would surprise; refuse clearly.
      throw .attachFailed(pid, Errno(ESRCH))
    }
    if s.isKernelThread { throw .kernelThread(pid, name: s.name) }
    if s.state == "Z" || s.state == "X" { throw .zombie(pid, name: s.name) }
    if s.tracerPid != 0 {
      throw .alreadyTraced(pid, tracer: s.tracerPid, tracerName: ProcStatus(pid: s.tracerPid)?.name ?? "?")
    }
  }

  private func attachProcess(_ pid: Int32) throws(TraceError) {
    let opts = UInt(CT_O_TRACESYSGOOD | CT_O_TRACEFORK | CT_O_TRACEVFORK
      | CT_O_TRACECLONE | CT_O_TRACEEXEC)
    let table = FdTable()
    var attached = Set<Int32>()
    // Threads may be created while we attach: read the task list until it holds nothing new.
    while true {
      let fresh = ProcStatus.threads(of: pid).filter { !attached.contains($0) }
      if fresh.isEmpty { break }
      for tid in fresh {
        attached.insert(tid)
        if ct_seize(tid, opts) < 0 {
          let e = Errno.current
          if tid != pid && e == .ESRCH { continue }
          if tid == pid {
            if e == .ESRCH { throw .noSuchProcess(pid) }
            if let s = ProcStatus(pid: pid), s.tracerPid != 0 {
              throw .alreadyTraced(pid, tracer: s.tracerPid, tracerName: ProcStatus(pid: s.tracerPid)?.name ?? "?")
            }
            if e == .EPERM || e == .EACCES { throw .permissionDenied(pid, e) }
            throw .attachFailed(pid, e)
          }
          continue
        }
        tracees[tid] = Tracee(tid: tid, tgid: pid, fdTable: table, started: false)
        _ = ct_interrupt(tid)
      }
    }
  }

  // MARK: The loop

  /// Runs until no tracee is left (or, attached, until told to stop). Returns how it ended.
  public func run() -> Outcome {
    var status: Int32 = 0
    var idleFlushed = true
    while !tracees.isEmpty {
      if detachRequested.load(ordering: .acquiring) {
        detachAll()
        break
      }
      let r: Int32
      if options.signalAware {
        r = pollForStop(&status)
        if r == 0 {
          // Nothing ready. Give busy tracees 50 ms before flushing, so output leaves in big writes
          // but a hang is on screen at once.
          var code: Int32 = 0
          var sig: Int32 = 0
          if !idleFlushed {
            sig = ct_wait_tracer_signal(50, &code)
            if sig == 0 {
              output?.flush()
              idleFlushed = true
            }
          }
          if sig == 0 {
            let stuck = stuckPollMilliseconds()
            let limit = stuck < 0 ? options.stopCheckMilliseconds : min(stuck, options.stopCheckMilliseconds)
            sig = ct_wait_tracer_signal(limit, &code)
          }
          if sig > 0 && sig != SIGCHLD { tracerSignal(sig, code: code) }
          if sig == 0 { checkStuck() }
          continue
        }
      } else {
        r = ct_waitpid(-1, &status, 0, 1)
      }
      if r < 0 {
        if errno == ECHILD { break }
        continue
      }
      idleFlushed = false
      handleStop(r, status)
    }
    finishAll()
    var exit: Int32 = 0
    if let s = launchedStatus {
      exit = ct_wifexited(s) != 0 ? ct_wexitstatus(s) : 128 + ct_wtermsig(s)
    }
    if launchFailure != nil { exit = 127 }
    return Outcome(exitStatus: exit, launchFailure: launchFailure, stoppedBySignal: stoppedBySignal)
  }

  /// waitpid(WNOHANG), repeated for a short while before giving up. A blocked tracer lets its CPU
  /// go idle, and waking an idle CPU costs far more than a ptrace stop in a VM; a tracee that makes
  /// syscalls back to back stops again within microseconds.
  private func pollForStop(_ status: inout Int32) -> Int32 {
    let r = ct_waitpid(-1, &status, Int32(CT_WNOHANG), 1)
    if r != 0 || spinSeconds <= 0 { return r }
    let deadline = Clock.monotonic() + spinSeconds
    while Clock.monotonic() < deadline {
      let r = ct_waitpid(-1, &status, Int32(CT_WNOHANG), 1)
      if r != 0 { return r }
    }
    return 0
  }

  private func finishAll() {
    for t in tracees.values { reportUnfinished(t) }
    for s in sinks { s.finish() }
    if launchErrorFd >= 0 {
      close(launchErrorFd)
      launchErrorFd = -1
    }
  }

  private func stuckPollMilliseconds() -> Int32 {
    guard let limit = options.stuckAfter, onStuck != nil else { return -1 }
    return Int32(max(10, min(1000, limit * 250)))
  }

  /// Hands every shown call blocked longer than `stuckAfter` to `onStuck`, at each check (the
  /// handler decides what to do once).
  private func checkStuck() {
    guard let limit = options.stuckAfter, let onStuck else { return }
    let now = Clock.monotonic()
    let blocked = tracees.values.compactMap { t -> (Int32, Int32, SyscallRecord, Double)? in
      guard let c = t.current, c.shown, now - c.monoStart >= limit else { return nil }
      return (t.tgid, t.tid, c.record, now - c.monoStart)
    }
    for (pid, tid, record, seconds) in blocked { onStuck(pid, tid, record, seconds) }
  }

  /// SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pipetrace.
  private func tracerSignal(_ sig: Int32, code: Int32) {
    if let onSignal {
      onSignal(sig)
      return
    }
    if launchedPid == nil {
      // Attached: let go of everything; the targets run on as if never traced.
      stoppedBySignal = sig
      detachAll()
      return
    }
    // Launched: a terminal signal already reached the command's process group; one sent to
    // pipetrace alone (si_code <= 0) is passed on, so `kill PIPETRACE` ends the traced command.
    guard code <= 0 else { return }
    if let pid = launchedPid, let t = tracees[pid] {
      kill(t.tgid, sig)
    } else {
      for tgid in Set(tracees.values.map(\.tgid)) { kill(tgid, sig) }
    }
  }

  /// Stops every tracee once more and detaches it at that stop, passing on any signal it was
  /// about to receive, so nothing is left stopped, traced or missing a signal.
  public func detachAll() {
    detaching = true
    for t in tracees.values { _ = ct_interrupt(t.tid) }
    var status: Int32 = 0
    while !tracees.isEmpty {
      let r = ct_waitpid(-1, &status, 0, 1)
      if r < 0 {
        if errno == ECHILD { break }
        continue
      }
      guard let t = tracees[r] else {
        // A child created just before the interrupt: let it go at its first stop.
        if ct_wifstopped(status) != 0 { _ = ct_detach(r, 0) }
        continue
      }
      if ct_wifexited(status) != 0 || ct_wifsignaled(status) != 0 {
        taskExited(t, status)
        continue
      }
      let sig = ct_wstopsig(status)
      let event = ct_wstopevent(status)
      // A signal-delivery stop (GETSIGINFO fails for a group-stop): the signal goes with the detach.
      var deliver: Int32 = 0
      if event == 0 && sig != (SIGTRAP | 0x80) && t.started {
        var info = ct_siginfo()
        if ct_getsiginfo(t.tid, &info) == 0 { deliver = sig }
      }
      if event == Int32(CT_EVENT_FORK) || event == Int32(CT_EVENT_VFORK) || event == Int32(CT_EVENT_CLONE) {
        var msg: UInt = 0
        if ct_geteventmsg(t.tid, &msg) == 0 {
          let child = Int32(truncatingIfNeeded: msg)
          if tracees[child] == nil {
            tracees[child] = Tracee(tid: child, tgid: child, fdTable: FdTable(), started: false)
          }
        }
      }
      reportUnfinished(t)
      _ = ct_detach(t.tid, deliver)
      tracees[t.tid] = nil
      emit(.detached(pid: t.tgid, tid: t.tid, timestamp: Clock.wall()))
    }
  }

  /// Closes `fds` inside traced process `tgid` without letting go of it: interrupts one of its
  /// threads, runs close() in it, restores it and resumes it under this tracer. (Detaching a process
  /// that carries pipetrace's seccomp filter would leave its filtered calls failing with ENOSYS.)
  /// Call from the tracer thread. Other tracees' stops met meanwhile are handled as usual.
  public func injectClose(process tgid: Int32, fds: [Int32], expect: String?) throws(InjectionError)
    -> [(fd: Int32, outcome: InjectClose.Outcome)]
  {
    guard let t = tracees[tgid] ?? tracees.values.first(where: { $0.tgid == tgid }) else {
      throw InjectionError("process \(tgid) is not traced by this tracer")
    }
    let plan = try InjectClose.plan(pid: tgid, fds: fds, expect: expect, tracedBy: getpid())
    guard ct_interrupt(t.tid) == 0 else { throw InjectionError("cannot stop \(t.tid): \(Errno.current)") }
    var status: Int32 = 0
    while true {
      // Only this thread's stops: the others queue up until the loop takes them.
      guard ct_waitpid(t.tid, &status, 0, 1) == t.tid else { throw InjectionError("waiting for \(t.tid): \(Errno.current)") }
      if ct_wifexited(status) != 0 || ct_wifsignaled(status) != 0 {
        taskExited(t, status)
        throw InjectionError("process \(tgid) exited before it could be stopped")
      }
      let sig = ct_wstopsig(status)
      if ct_wstopevent(status) == Int32(CT_EVENT_STOP) && (sig == SIGTRAP || !t.started) { break }
      // A syscall exit, a signal or an event came first: handle it as usual; the interrupt stays
      // pending and comes next.
      handleStop(t.tid, status)
      guard tracees[t.tid] === t else { throw InjectionError("process \(tgid) went away") }
    }
    defer { resume(t, signal: 0) }
    let session = try RemoteSyscallSession(adopting: t.tid, of: tgid)
    defer { session.detach() }
    let started = Clock.wall(), mono = Clock.monotonic()
    let results = try InjectClose.perform(plan, in: session)
    let duration = Clock.monotonic() - mono
    // The close ran in the tracee: it is part of the trace (and of the fd model) like any other.
    for (fd, outcome) in results where outcome == .closed {
      let target = plan.fds.first { $0.fd == fd }?.target
      let close = SyscallTable.x86_64.number(of: "close") ?? -1
      emit(.syscall(SyscallRecord(pid: tgid, tid: t.tid, name: "close", number: close, args: [.fd(fd, target)], ret: 0,
                                  timestamp: started, duration: duration)))
      t.fdTable.closed(fd)
    }
    return results
  }

  /// Adds a line to the trace output (a diagnosis, an action taken).
  public func note(pid: Int32, _ text: String) {
    emit(.note(pid: pid, text: text, timestamp: Clock.wall()))
    output?.flush()
  }

  /// Whether `tgid` is traced by this tracer.
  public func isTracing(process tgid: Int32) -> Bool {
    tracees.values.contains { $0.tgid == tgid }
  }

  private func reportUnfinished(_ t: Tracee) {
    guard let c = t.current else { return }
    t.current = nil
    if c.shown { emit(.syscall(c.record)) }
  }

  // MARK: Stops

  private func handleStop(_ tid: Int32, _ status: Int32) {
    guard let t = tracees[tid] else {
      newTask(tid, status)
      return
    }
    if ct_wifexited(status) != 0 || ct_wifsignaled(status) != 0 {
      taskExited(t, status)
      return
    }
    guard ct_wifstopped(status) != 0 else { return }
    let sig = ct_wstopsig(status)
    let event = ct_wstopevent(status)
    if !t.started {
      // The attach stop, or a new child's first stop: nothing to report.
      t.started = true
      resume(t, signal: 0)
      return
    }
    if sig == (SIGTRAP | 0x80) {
      syscallStop(t)
      return
    }
    switch event {
    case Int32(CT_EVENT_SECCOMP):
      var info = ct_syscall_info()
      guard ct_get_syscall_info(t.tid, &info) == 0 else { return resume(t, signal: 0) }
      syscallEntry(t, info.arch, info.nr, info.args)
    case Int32(CT_EVENT_FORK), Int32(CT_EVENT_VFORK), Int32(CT_EVENT_CLONE):
      forkEvent(t, event)
    case Int32(CT_EVENT_EXEC):
      execEvent(t)
    case Int32(CT_EVENT_STOP):
      if sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU {
        // Group-stop of a seized tracee: keep it stopped (job control) but keep watching it.
        if ct_listen(t.tid) < 0 { resume(t, signal: 0) }
      } else {
        resume(t, signal: 0)
      }
    case 0:
      var info = ct_siginfo()
      if ct_getsiginfo(t.tid, &info) < 0 {
        // No siginfo for a stop that is not a signal delivery: nothing to pass on.
        resume(t, signal: 0)
        return
      }
      if !t.beforeExec, let full = SignalInfo(tracee: t.tid) {
        // -k: strace prints the stack where the signal arrived.
        let stack = unwinder?.capture(tid: t.tid, tgid: t.tgid)
        emit(.signal(SignalRecord(pid: t.tgid, tid: t.tid, info: full, stack: stack, timestamp: Clock.wall())))
      }
      resume(t, signal: sig)
    default:
      resume(t, signal: 0)
    }
  }

  /// A stop from a task not seen before: a new child whose first stop beat its parent's fork event.
  private func newTask(_ tid: Int32, _ status: Int32) {
    guard ct_wifstopped(status) != 0 else { return }
    if detaching {
      _ = ct_detach(tid, 0)
      return
    }
    let tgid = ProcStatus(pid: tid)?.tgid ?? tid
    let t = Tracee(tid: tid, tgid: tgid, fdTable: FdTable(), started: true)
    if let parent = tracees.values.first(where: { $0.tgid == tgid && $0.tid != tid }) {
      t.fdTable = parent.fdTable
    }
    t.awaitingForkEvent = true
    tracees[tid] = t
    resume(t, signal: 0)
  }

  private func resume(_ t: Tracee, signal: Int32) {
    // No syscall wanted at all (`pipetrace run`): fork/exec/exit events come without syscall stops.
    if eventsOnly || (useSeccomp && !t.inSyscall) {
      _ = ct_cont(t.tid, signal)
    } else {
      _ = ct_syscall(t.tid, signal)
    }
  }

  private func syscallStop(_ t: Tracee) {
    // An exit stop of a call nobody needs: no register read at all.
    if t.inSyscall && t.current == nil {
      t.inSyscall = false
      return resume(t, signal: 0)
    }
    var info = ct_syscall_info()
    guard ct_get_syscall_info(t.tid, &info) == 0 else { return resume(t, signal: 0) }
    switch Int32(info.op) {
    case Int32(CT_SYSCALL_INFO_ENTRY), Int32(CT_SYSCALL_INFO_SECCOMP):
      syscallEntry(t, info.arch, info.nr, info.args)
    case Int32(CT_SYSCALL_INFO_EXIT):
      syscallExit(t, rval: info.rval, isError: info.is_error != 0)
    default:
      resume(t, signal: 0)
    }
  }

  private func syscallEntry(_ t: Tracee, _ auditArch: UInt32, _ number: Int64,
                            _ args: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) {
    t.inSyscall = true
    let (arch, nr) = SyscallArch.of(auditArch: auditArch, number: number)
    if arch != t.arch {
      // strace's `[ Process PID=N runs in 32 bit mode. ]`, at the first stop in the new ABI.
      t.arch = arch
      if !t.beforeExec { emit(.personality(pid: t.tgid, tid: t.tid, arch: arch, timestamp: Clock.wall())) }
    }
    var show = shown.contains(arch, nr)
    let model = modelled.contains(arch, nr)
    guard show || model else {
      t.current = nil
      // Full mode must come back for the exit stop (to stay in step); seccomp mode need not.
      t.inSyscall = !useSeccomp
      return resume(t, signal: 0)
    }
    var call = decoder.begin(auditArch: auditArch, number: number, args: [args.0, args.1, args.2, args.3, args.4, args.5])
    if t.beforeExec && !call.row.isExec { show = false }
    let wall = Clock.wall()
    var record = SyscallRecord(pid: t.tgid, tid: t.tid, name: call.name, number: nr, args: [], timestamp: wall)
    let memory = TraceeMemory(tid: t.tid)
    if show { decoder.decodeEntry(&call, into: &record, memory: memory, fds: t.fdTable) }
    switch call.row.cloneFlagsArgument {
    case .register(let i)?: t.lastCloneFlags = call.raw[i]
    case .cloneArgsPointer(let i)?: t.lastCloneFlags = memory.word(at: call.raw[i])
    case nil: break
    }
    if show, let unwinder { record.stack = unwinder.capture(tid: t.tid, tgid: t.tgid) }
    if show && call.row.returns == .none {
      // exit/exit_group never return: the line is complete now (`exit_group(0) = ?`).
      emit(.syscall(record))
      show = false
    } else if show && wantsEntries {
      emit(.syscallEntry(record))
    }
    t.current = PendingCall(call: call, record: record, monoStart: Clock.monotonic(), shown: show)
    _ = ct_syscall(t.tid, 0)
  }

  private func syscallExit(_ t: Tracee, rval: Int64, isError: Bool) {
    let monoEnd = Clock.monotonic()
    t.inSyscall = false
    guard var c = t.current else { return resume(t, signal: 0) }
    t.current = nil
    if c.shown {
      var r = c.record
      // Also brings the fd cache up to date (before the result's own fd target is read).
      decoder.decodeExit(c.call, into: &r, rval: rval, isError: isError, memory: TraceeMemory(tid: t.tid), fds: t.fdTable)
      r.duration = monoEnd - c.monoStart
      c.record = r
      emit(.syscall(r))
    } else {
      decoder.applyFdEffect(c.call, rval: rval, isError: isError, fds: t.fdTable, tid: t.tid)
    }
    // Cached unwind info stays right only while the code mappings stay the same.
    if !(isError && rval < 0), c.call.mayChangeCode { unwinder?.codeChanged(tgid: t.tgid) }
    resume(t, signal: 0)
  }

  private func forkEvent(_ t: Tracee, _ event: Int32) {
    var msg: UInt = 0
    guard ct_geteventmsg(t.tid, &msg) == 0 else { return resume(t, signal: 0) }
    let child = Int32(truncatingIfNeeded: msg)
    var kind: ForkKind = event == Int32(CT_EVENT_FORK) ? .fork : event == Int32(CT_EVENT_VFORK) ? .vfork : .clone
    // clone(2) with SIGCHLD is a fork event and may still share the fd table (CLONE_FILES): the
    // flags of the clone/clone3 entry decide, whatever the event.
    let flags = t.lastCloneFlags
      ?? (event == Int32(CT_EVENT_CLONE) && ProcStatus(pid: child)?.tgid == t.tgid
        ? UInt64(CT_CLONE_THREAD | CT_CLONE_FILES) : 0)
    t.lastCloneFlags = nil
    if flags & UInt64(CT_CLONE_THREAD) != 0 { kind = .thread }
    let shareTable = flags & UInt64(CT_CLONE_FILES) != 0
    let tgid = kind == .thread ? t.tgid : child
    let table = shareTable ? t.fdTable : t.fdTable.copy()
    if let c = tracees[child] {
      c.tgid = tgid
      c.fdTable = table
      c.awaitingForkEvent = false
      c.arch = t.arch
    } else if exitedBeforeForkEvent.remove(child) != nil {
      // Born, run and gone before its parent's fork stop was taken: nothing left to trace.
    } else {
      let c = Tracee(tid: child, tgid: tgid, fdTable: table, started: false)
      c.arch = t.arch  // a child runs in its parent's ABI: no mode note for it (as strace)
      tracees[child] = c
    }
    emit(.fork(pid: t.tgid, tid: t.tid, child: child, kind: kind, timestamp: Clock.wall()))
    resume(t, signal: 0)
  }

  private func execEvent(_ t0: Tracee) {
    var t = t0
    var msg: UInt = 0
    if ct_geteventmsg(t.tid, &msg) == 0 {
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
    t.fdTable = FdTable()
    unwinder?.imageReplaced(tgid: t.tgid)
    var path = ""
    var argv: [String] = []
    if let c = t.current, c.call.row.isExec {
      let memory = TraceeMemory(tid: t.tid)
      // The old image is gone: the strings were captured at entry when shown; re-read otherwise.
      let pathArg = c.call.row.args?.firstIndex { if case .path = $0 { return true } else { return false } } ?? 0
      if c.record.args.count > pathArg + 1, case .string(let p, _) = c.record.args[pathArg] {
        path = String(decoding: p, as: UTF8.self)
      } else {
        path = memory.cString(at: c.call.raw[pathArg], limit: 4096).map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
      }
    }
    if let cmdline = ProcFS.read("/proc/\(t.tid)/cmdline") {
      argv = cmdline.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
      if argv.last == "" { argv.removeLast() }
    }
    if path.isEmpty { path = argv.first ?? "?" }
    if t.beforeExec {
      t.beforeExec = false
      if launchErrorFd >= 0 {
        close(launchErrorFd)
        launchErrorFd = -1
      }
    }
    emit(.exec(pid: t.tgid, tid: t.tid, path: path, argv: argv, timestamp: Clock.wall()))
    resume(t, signal: 0)
  }

  private func taskExited(_ t: Tracee, _ status: Int32) {
    tracees[t.tid] = nil
    if t.awaitingForkEvent { exitedBeforeForkEvent.insert(t.tid) }
    reportUnfinished(t)
    unwinder?.threadGone(tid: t.tid)
    if t.tid == t.tgid { unwinder?.processGone(tgid: t.tgid) }
    let signaled = ct_wifsignaled(status) != 0
    emit(.exit(pid: t.tgid, tid: t.tid, code: signaled ? nil : ct_wexitstatus(status),
               signal: signaled ? ct_wtermsig(status) : nil, coreDumped: signaled && ct_wcoredump(status) != 0,
               timestamp: Clock.wall()))
    if t.tid == launchedPid {
      launchedStatus = status
      if t.beforeExec, launchErrorFd >= 0 {
        var failure = ct_spawn_failure()
        let n = read(launchErrorFd, &failure, MemoryLayout<ct_spawn_failure>.size)
        if n == MemoryLayout<ct_spawn_failure>.size {
          launchFailure = .notExecutable(launchedCommand, Errno(failure.error))
        }
      }
    }
  }
}

/// Runs `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
  let copies = strings.map { strdup($0) }
  defer { copies.forEach { free($0) } }
  return (copies + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
}
