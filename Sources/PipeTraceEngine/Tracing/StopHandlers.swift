import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// What each stop means, one handler per kind (strace's `dispatch_event` cases): a handler emits
/// the stop's events and updates the tracer's state, and returns how the task goes on; it never
/// restarts the task itself (`Tracer.dispatch` does, in one place).
extension Tracer {
  /// Acts on one stop (events emitted, tracer state updated) and says how the task goes on.
  package func handle(_ tid: Int32, _ stop: TraceStop) -> StopAction {
    guard let t = tracees[tid] else { return unknownTask(tid, stop) }
    if stop.isTermination { return taskExited(t, stop) }
    if detaching { return detach(t, at: stop) }
    if !t.started { firstStop(t) }
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
    case .other, .exited, .killed:
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

  /// A task's first stop under this tracer: an attached thread's call in progress is noted. The
  /// stop itself is then handled as any other (`handle`): usually the attach's interrupt or a new
  /// child's first stop (resumed), but a thread seized between two of its instructions may stop
  /// first at a signal's delivery (passed on, never dropped), a fork or an exec.
  private func firstStop(_ t: Tracee) {
    t.started = true
    if t.attached { syscalls.callInProgress(t) }
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
    // Its first stop comes now, as its parent goes on: likely unannounced (see ChildSignalWait).
    childSignals.expect(child)
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
    // Its parent's SIGCHLD stop comes with its exit: likely unannounced (see ChildSignalWait).
    if let p = t.parentTgid { childSignals.expect(p) }
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
}
