import CTrace
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The command wrapper that hung in the first place, rebuilt so that it cannot hang: stdout and stderr
/// captured apart, the whole process tree known from the tracer's fork events (killed on timeout),
/// and write ends leaked to processes that outlive the command named instead of waited for.
public final class CommandRunner {
  public enum Input: Sendable, Equatable {
    /// /dev/null: a wrapped command never steals the caller's terminal input.
    case null
    case inherit
    case file(String)
  }

  public enum LeakAction: String, Sendable, CaseIterable {
    /// Name the holders and stop reading; they run on.
    case report
    /// Close the leaked write ends inside the holders (as `--inject-close` does); they run on.
    case close
    /// End the holders: SIGTERM (a daemon may remove its pid file and socket), then SIGKILL to
    /// those still alive after the grace period.
    case kill
  }

  public struct Configuration: Sendable {
    public var command: [String]
    /// The command's arguments exactly as it gets them (`command`'s UTF-8 unless set: see
    /// `RawArguments`); `command` is what the log and the record show.
    public var arguments: [[UInt8]]
    public var timeout: Double?
    public var grace: Double = 1.0
    public var input: Input = .null
    /// Also copy the command's output to our stdout/stderr as it comes.
    public var tee = false
    /// Bytes of each stream kept in memory: its first `keep / 2` and its last `keep / 2`.
    public var keep = CommandRunner.defaultKeep
    /// Write what does not fit in memory to a temporary file, so the whole stream can be printed
    /// at the end (without it, the middle is left out and counted).
    public var spill = false
    public var onLeak: LeakAction = .report
    /// A task of the tree blocked this long on a proven leak inside the command's own pipeline is
    /// named (and, with `onLeak` close or kill, unstuck or ended): `RunStuckDetector`. nil: off.
    public var stuckAfter: Double? = 5
    /// The autopsy taken before a kill is also printed on stderr (off with `--json`: it is in the object).
    public var autopsyOnStderr = true
    /// The autopsy also holds the user stacks of the tree's blocked threads (`--stack`): each
    /// process is stopped for a moment, through the tracer, before the kill.
    public var autopsyStacks = false
    public init(command: [String]) {
      self.command = command
      arguments = command.map { Array($0.utf8) }
    }
  }

  /// 8 MiB per stream: the first and the last 4 MiB.
  public static let defaultKeep = 8 << 20

  public let configuration: Configuration
  public init(_ configuration: Configuration) { self.configuration = configuration }

  /// Runs the command to its end (or to the timeout, or until only leaked holders keep the pipes
  /// open) and returns what happened.
  public func run() throws(RunError) -> RunRecord {
    let started = Clock.monotonic()
    let out = try Pipe2(), err = try Pipe2()
    let stdinFd = try openInput()
    defer { if stdinFd >= 0 { close(stdinFd) } }

    // The input is open (a FIFO may have waited for its writer): the tracer thread takes its
    // signals from now on, and inherits the mask from this thread, which must not take them either.
    TracerSignals.block()
    defer { TracerSignals.unblock() }
    let session = TracerThread(arguments: configuration.arguments,
                               io: Tracer.LaunchIO(stdin: stdinFd, stdout: out.write, stderr: err.write, closeOtherFds: true))
    session.takesWork = configuration.autopsyStacks
    if let after = configuration.stuckAfter {
      let (action, grace, found) = (configuration.onLeak, configuration.grace, session.stuck)
      session.detector = { tree in
        RunStuckDetector(stuckAfter: after, action: action, grace: grace, tree: tree, found: found, say: { printError($0) })
      }
    }
    switch session.start() {
    case .success: break
    case .failure(let e):
      out.closeBoth()
      err.closeBoth()
      throw .launch(e)
    }
    out.closeWrite()
    err.closeWrite()

    var record = RunRecord(command: configuration.command)
    let keep = max(0, configuration.keep)
    let stdoutCapture = OutputCapture(name: "stdout", keep: keep, spill: configuration.spill, teeFd: configuration.tee ? 1 : nil)
    let stderrCapture = OutputCapture(name: "stderr", keep: keep, spill: configuration.spill, teeFd: configuration.tee ? 2 : nil)
    var open: [Stream] = [Stream(fd: out.read, capture: stdoutCapture), Stream(fd: err.read, capture: stderrCapture)]
    let deadline = configuration.timeout.map { started + $0 }
    var rootExitSeen: Double?
    var buffer = [UInt8](repeating: 0, count: 65536)

    while !open.isEmpty {
      if let sig = session.takeSignal() {
        record.interruptedBy = sig
        if session.tree.rootExit != nil {
          // During --grace only what CMD left behind runs: the signal ends the wait, and the
          // holders get what --on-leak says, as at the end of the grace (report: they run on).
          handleLeak(&record, pipes: [out.inode, err.inode], session: session, open: &open, buffer: &buffer)
        } else {
          takeAutopsy(&record, session)
          record.killed = killTree(session)
        }
        break
      }
      let now = Clock.monotonic()
      if let d = deadline, now >= d {
        record.timedOut = true
        takeAutopsy(&record, session)
        record.killed = killTree(session)
        // Their write ends close as they die; read what is left, briefly.
        drain(&open, &buffer, seconds: 0.5)
        break
      }
      if session.tree.rootExit != nil {
        if rootExitSeen == nil { rootExitSeen = now }
        if now - rootExitSeen! >= configuration.grace {
          handleLeak(&record, pipes: [out.inode, err.inode], session: session, open: &open, buffer: &buffer)
          if configuration.onLeak != .report {
            drain(&open, &buffer, seconds: 0.5)
          }
          break
        }
      }
      var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
      let waitMs = Int32(20)
      let n = poll(&fds, nfds_t(fds.count), waitMs)
      if n <= 0 { continue }
      var stillOpen: [Stream] = []
      for (i, entry) in open.enumerated() {
        if fds[i].revents == 0 {
          stillOpen.append(entry)
          continue
        }
        if readSome(entry, &buffer) { stillOpen.append(entry) }
      }
      open = stillOpen
    }
    out.closeRead()
    err.closeRead()
    // What remains traced no longer holds our pipes: let it go on untraced.
    session.finish()
    record.wall = Clock.monotonic() - started
    if let exit = session.tree.rootExit {
      record.exitCode = exit.code
      record.signal = exit.signal
    }
    record.stdout = stdoutCapture.finish()
    record.stderr = stderrCapture.finish()
    record.teeFailed = stdoutCapture.teeError != nil || stderrCapture.teeError != nil
    record.stuck = session.stuckFindings
    return record
  }

  private func openInput() throws(RunError) -> Int32 {
    switch configuration.input {
    case .inherit: return -1
    case .null: return open("/dev/null", O_RDONLY | O_CLOEXEC)
    case .file(let path):
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      if fd < 0 { throw .input(path, Errno.current) }
      return fd
    }
  }

  /// The read end of one of the command's output pipes and what takes its bytes.
  private struct Stream {
    let fd: Int32
    let capture: OutputCapture
  }

  /// Reads what is there; false at EOF.
  private func readSome(_ entry: Stream, _ buffer: inout [UInt8]) -> Bool {
    let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
    if n < 0 { return errno == EINTR || errno == EAGAIN }
    if n == 0 { return false }
    buffer.withUnsafeBytes { entry.capture.take(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    return true
  }

  /// Reads until EOF on every pipe or for `seconds` at most.
  private func drain(_ open: inout [Stream], _ buffer: inout [UInt8], seconds: Double) {
    let until = Clock.monotonic() + seconds
    while !open.isEmpty && Clock.monotonic() < until {
      var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
      if poll(&fds, nfds_t(fds.count), 20) <= 0 { continue }
      open = open.enumerated().filter { i, e in fds[i].revents == 0 || readSome(e, &buffer) }.map(\.element)
    }
  }

  /// SIGKILL to every process of the tree, also those it forks while it is being killed (the
  /// tracer kills each new child at its first sight), until no traced process is left. Returns
  /// their pids.
  /// What every task of the tree was blocked in, and why's verdicts, before the tree is killed
  /// (the timeout, or a signal to pipetrace while CMD runs): on stderr unless `--json`, and in the record.
  private func takeAutopsy(_ record: inout RunRecord, _ session: TracerThread) {
    var autopsy = Autopsy.take(pids: session.tree.livePids)
    if configuration.autopsyStacks { autopsy.stacks = session.stacks(of: autopsy.blockedThreads) }
    record.autopsy = autopsy
    if configuration.autopsyOnStderr { printError(autopsy.render(prefix: "pipetrace: autopsy: ")) }
  }

  private func killTree(_ session: TracerThread) -> [Int32] {
    session.kill(.all, wait: 10)
  }

  private func handleLeak(_ record: inout RunRecord, pipes: [UInt64], session: TracerThread,
                          open: inout [Stream], buffer: inout [UInt8]) {
    let holders = LeakedPipeHolders.find(writingTo: pipes, excluding: getpid())
    record.holders = holders
    guard !holders.isEmpty else { return }
    switch configuration.onLeak {
    case .report:
      break
    case .kill:
      // Each holder as it was when found (its start time), so that a pid reused meanwhile is never hit.
      let targets = Set(holders.map(\.pid)).sorted().compactMap { ProcStat.read($0) }.filter { !$0.isZombie }
      // Through the tracer: the holders and every process they started, also those they start
      // while they shut down (each gets SIGTERM when it is first seen).
      session.kill(.processes(Set(targets.map(\.pid))), signal: SIGTERM, wait: 0)
      record.killed = targets.map(\.pid)
      func alive() -> [Int32] {
        targets.filter { t in ProcStat.read(t.pid).map { !$0.isZombie && $0.startTime == t.startTime } ?? false }.map(\.pid)
      }
      // Their output still comes while they shut down: keep reading it.
      let until = Clock.monotonic() + configuration.grace
      while !alive().isEmpty && Clock.monotonic() < until {
        if open.isEmpty { usleep(10_000) } else { drain(&open, &buffer, seconds: 0.01) }
      }
      // Those still alive, and whatever holds the pipes now (a holder may have forked since it was
      // found): SIGKILL, through the tracer, with every child they fork meanwhile.
      let remaining = Set(alive()).union(LeakedPipeHolders.find(writingTo: pipes, excluding: getpid()).map(\.pid))
      guard !remaining.isEmpty else { return }
      session.kill(.processes(remaining), wait: 10)
      record.sigkilled = session.killedSoFar
    case .close:
      // The holders are our tracees: let go of them first, a process has one tracer.
      session.finish()
      record.closed = LeakedPipeHolders.close(holders)
    }
  }
}

/// What `pipetrace run` reports.
public struct RunRecord: Sendable {
  public struct Holder: Sendable, Equatable {
    public var pid: Int32
    public var fd: Int32
    public var comm: String
    /// `pipe:[INODE]`: which of the captured pipes.
    public var pipe: String
    public init(pid: Int32, fd: Int32, comm: String, pipe: String) {
      self.pid = pid
      self.fd = fd
      self.comm = comm
      self.pipe = pipe
    }
  }
  public var command: [String]
  public var exitCode: Int32?
  public var signal: Int32?
  public var wall: Double = 0
  public var stdout = CapturedOutput()
  public var stderr = CapturedOutput()
  /// Passing the output on (`tee`) failed; reported once when it happened.
  public var teeFailed = false
  /// Processes that still held a write end of stdout/stderr after the command exited.
  public var holders: [Holder] = []
  /// Pids ended by the timeout, a signal to pipetrace (SIGKILL), or `--on-leak=kill` (SIGTERM).
  public var killed: [Int32] = []
  /// With `--on-leak=kill`: the holders still alive after the grace period, then sent SIGKILL.
  public var sigkilled: [Int32] = []
  /// A blocked task of the tree, its proven leak, and what was done (`--stuck-after`).
  public struct Stuck: Sendable {
    public struct Holder: Sendable {
      public var pid: Int32
      public var fds: [Int32]

      package init(pid: Int32, fds: [Int32]) {
        self.pid = pid
        self.fds = fds
      }
    }
    public var pid: Int32
    public var tid: Int32
    public var comm: String
    public var syscall: String
    public var blockedFor: Double
    public var verdict: String
    /// The command that closes the leaked fds (`why`'s Fix line).
    public var fix: String
    public var holders: [Holder]
    /// report (named only), close or kill.
    public var action: CommandRunner.LeakAction

    package init(
      pid: Int32, tid: Int32, comm: String, syscall: String, blockedFor: Double, verdict: String, fix: String,
      holders: [Holder], action: CommandRunner.LeakAction
    ) {
      self.pid = pid
      self.tid = tid
      self.comm = comm
      self.syscall = syscall
      self.blockedFor = blockedFor
      self.verdict = verdict
      self.fix = fix
      self.holders = holders
      self.action = action
    }
  }
  /// Leaks found inside the command's own pipeline while it ran (`--stuck-after`).
  public var stuck: [Stuck] = []
  /// What the tree was blocked in when the timeout (or a signal to pipetrace) ended it.
  public var autopsy: Autopsy?
  /// Holders whose leaked fds were closed (`--on-leak=close`).
  public var closed: [Holder] = []
  public var timedOut = false
  public var interruptedBy: Int32?

  public init(command: [String]) { self.command = command }

  /// Shell-style status: the exit code, 128+N when killed by signal N, 124 on timeout.
  public var status: Int32 {
    if timedOut { return 124 }
    if let s = signal { return 128 + s }
    if let i = interruptedBy { return 128 + i }
    return exitCode ?? 1
  }
}

public enum RunError: Error, CustomStringConvertible {
  case launch(TraceError)
  case pipe(Errno)
  case input(String, Errno)

  public var description: String {
    switch self {
    case .launch(let e): return e.description
    case .pipe(let e): return "cannot create a pipe: \(e.message)"
    case .input(let p, let e): return "cannot read input file \(p): \(e.message)"
    }
  }
}

/// A pipe whose read end stays here (close-on-exec) and whose write end goes to the command.
struct Pipe2 {
  let read: Int32
  let write: Int32
  let inode: UInt64

  init() throws(RunError) {
    var fds: [Int32] = [0, 0]
    // pipe2 is not visible from Swift; nothing forks in this process between these two calls.
    guard pipe(&fds) == 0 else { throw .pipe(Errno.current) }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    read = fds[0]
    write = fds[1]
    var st = stat()
    fstat(fds[0], &st)
    inode = UInt64(st.st_ino)
  }

  func closeWrite() { close(write) }
  func closeRead() { close(read) }
  func closeBoth() {
    close(read)
    close(write)
  }
}

/// The tracer of a `run`, on its own OS thread (ptrace ties tracees to the thread that attached).
final class TracerThread: @unchecked Sendable {
  let arguments: [[UInt8]]
  let io: Tracer.LaunchIO
  private(set) var tree = ProcessTree(root: 0)
  /// Makes the stuck detector for the tree, once the command runs (set before `start()`).
  var detector: ((ProcessTree) -> RunStuckDetector)?
  /// Other threads may ask for work on the tracer thread (`stacks(of:)`); set before `start()`.
  var takesWork = false
  /// Set by the tracer thread before `start()` returns, when `takesWork`.
  private var mailbox: TracerMailbox?
  let stuck = RunStuckDetector.Findings()
  private let started = DispatchSemaphore(value: 0)
  private let done = DispatchSemaphore(value: 0)
  private let launchResult = Mutex<Result<Int32, TraceError>?>(nil)
  private let pendingSignal = Mutex<Int32?>(nil)
  /// Only `requestDetach()` is called through it from another thread; it is made for that.
  private struct DetachHandle: @unchecked Sendable { let tracer: Tracer }
  private let tracerBox = Mutex<DetachHandle?>(nil)
  private var finished = false

  init(arguments: [[UInt8]], io: Tracer.LaunchIO) {
    self.arguments = arguments
    self.io = io
  }

  func start() -> Result<Int32, TraceError> {
    if let e = OSThread.start({ [self] in body() }) {
      return .failure(.spawnFailed("the tracer thread", e))
    }
    started.wait()
    return launchResult.withLock { $0! }
  }

  private func body() {
    var options = Tracer.Options()
    options.selection = SyscallSet()
    options.modelFds = false
    options.signalAware = true
    options.stopCheckMilliseconds = 20
    do {
      let tracer = try Tracer(options: options, sinks: [])
      tracer.onSignal = { [self] sig in pendingSignal.withLock { $0 = sig } }
      let pid = try tracer.launch(arguments: arguments, io: io)
      tree = ProcessTree(root: pid)
      tracer.add(sink: tree)
      let tickers: [TraceTicker] = detector.map { [$0(tree)] } ?? []
      if takesWork {
        let box = TracerMailbox(wrapping: tickers)
        mailbox = box
        tracer.add(ticker: box)
      } else {
        for t in tickers { tracer.add(ticker: t) }
      }
      let handle = DetachHandle(tracer: tracer)
      tracerBox.withLock { $0 = handle }
      launchResult.withLock { $0 = .success(pid) }
      started.signal()
      _ = tracer.run()
      mailbox?.close()
      // Break the cycle tracer -> onSignal -> self -> tracerBox -> tracer (the box stays: what the
      // tracer killed is read from it after its end).
      tracer.onSignal = nil
    } catch {
      launchResult.withLock { $0 = .failure(error) }
      started.signal()
    }
    done.signal()
  }

  /// What the stuck detector found (and did).
  var stuckFindings: [RunRecord.Stuck] { stuck.all }

  func takeSignal() -> Int32? {
    pendingSignal.withLock { s in
      defer { s = nil }
      return s
    }
  }

  /// SIGKILLs the processes in `scope` and every child they fork meanwhile (see
  /// `Tracer.requestKill`). With `.all` it waits (at most `seconds`) until no tracee is left and
  /// the tracer thread has ended. Returns every pid killed so far.
  @discardableResult
  func kill(_ scope: Tracer.KillScope, signal: Int32 = SIGKILL, wait seconds: Double) -> [Int32] {
    guard !finished else { return [] }
    let tracer = tracerBox.withLock { $0?.tracer }
    tracer?.requestKill(scope, signal: signal)
    if case .all = scope {
      if done.wait(timeout: .now() + seconds) == .success { finished = true }
    } else if let tracer {
      // Every process in scope has exited (the tracer has seen its end), or the time is up.
      let until = Clock.monotonic() + seconds
      while !tracer.killComplete && Clock.monotonic() < until { usleep(2_000) }
    }
    return tracer?.killedProcesses ?? []
  }

  /// The user stacks of `threads` (tasks of the tree), taken on the tracer thread (a task has one
  /// tracer, and only its thread may unwind it): see `StackSnapshot.capture(_:through:deadline:done:)`.
  /// Needs `takesWork`. Returns once each is unwound and running again as before, or after about
  /// twice the tracer's hold timeout (the missing ones then say so).
  func stacks(of threads: [(pid: Int32, tid: Int32)]) -> [StackSnapshot.ThreadStack] {
    guard let mailbox, !threads.isEmpty else { return [] }
    final class Answer: Sendable {
      let stacks = Mutex<[StackSnapshot.ThreadStack]?>(nil)
      let ready = DispatchSemaphore(value: 0)
      func give(_ s: [StackSnapshot.ThreadStack]) {
        stacks.withLock { $0 = s }
        ready.signal()
      }
    }
    let answer = Answer(), limit = Tracer.Options().holdTimeout
    mailbox.post { tracer in
      guard let tracer else {
        return answer.give(StackSnapshot.unavailable(threads, "the trace has ended"))
      }
      StackSnapshot.capture(threads, through: tracer, deadline: Clock.monotonic() + limit) { answer.give($0) }
    }
    _ = answer.ready.wait(timeout: .now() + 2 * limit + 1)
    return answer.stacks.withLock { $0 } ?? StackSnapshot.unavailable(threads, "not stopped in time")
  }

  /// Every pid `kill` has ended so far (children killed at their birth included).
  var killedSoFar: [Int32] { tracerBox.withLock { $0?.tracer.killedProcesses } ?? [] }

  /// Detaches from whatever is still traced and waits for the tracer thread to end.
  func finish() {
    if finished { return }
    finished = true
    tracerBox.withLock { $0?.tracer.requestDetach() }
    done.wait()
  }
}
