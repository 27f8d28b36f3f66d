/// One decoded syscall argument. Text output renders it in strace's syntax, JSON as a value.
public enum ArgValue: Sendable {
  case int(Int64)
  case uint(UInt64)
  /// A pointer or mask shown in hex.
  case hex(UInt64)
  case null
  case fd(Int32, FdTarget?)
  /// Bytes read from the tracee; `truncated` when more were there than `-s` allows.
  case string([UInt8], truncated: Bool)
  /// A named constant or a flag set: `O_CLOEXEC`, `SIGTERM`, `WNOHANG|__WALL`.
  case symbol(String)
  case array([ArgValue], truncated: Bool)
  /// `{fd=3, events=POLLIN}`.
  case structure([Field])
  /// Already in strace's syntax: `0x7ffc0 /* 23 vars */`, `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
  case raw(String)
  /// A set of fds or bits, printed `[3 4]` (select's fd_set).
  case bitset([ArgValue])
  /// An argument the kernel changed: `entry => exit` (clone3's `{…} => {parent_tid=[1234]}`).
  indirect case changed(ArgValue, ArgValue)
  /// AT_FDCWD as the options print it (`.symbol`, `.int` or `.raw`) with the working directory it
  /// stands for, read at the call as strace -y reads it: `AT_FDCWD</home/me>` (a path shown as
  /// readlink gave it, ` (deleted)` inside the brackets). JSON writes the value alone.
  indirect case workingDirectory(ArgValue, path: String)

  public struct Field: Sendable {
    public var name: String
    public var value: ArgValue
    public init(_ name: String, _ value: ArgValue) {
      self.name = name
      self.value = value
    }
  }
}

/// A syscall as the tracer saw it: entry and (unless it never returned) exit.
public struct SyscallRecord: Sendable {
  /// Thread group id (the process) and thread id.
  public var pid: Int32
  public var tid: Int32
  /// The call, as the catalogue knows it: its traits, fd-effect rule and name come from it.
  /// `unknown` for a name the catalogue does not have (kept as is, so it prints and round-trips).
  public var call: SyscallID {
    didSet { traits = call.traits }
  }
  /// The call's traits (none for a name the catalogue lacks), copied from the catalogue when the
  /// call is set: every consumer of a report asks them of every record.
  public private(set) var traits: SyscallTraits
  /// The ABI the call was made in; nil where the source does not say (a strace log, a version 1
  /// JSON trace).
  public var abi: SyscallArch?
  /// The number in `abi`'s table; -1 where the source does not say.
  public var number: Int
  public var args: [ArgValue]
  /// Return value; nil when the call never returned (process killed, trace ended).
  public var ret: Int64?
  /// Set when the call failed (`ret` is then -1).
  public var errno: Errno?
  /// The call's name, rendered from `call` (or the name a source gave that the catalogue lacks).
  /// Setting it resolves the name in the catalogue.
  public var name: String {
    get { call.isKnown ? call.name : extras?.value.otherName ?? "" }
    set {
      let id = SyscallID(named: newValue) ?? .unknown
      call = id
      updateExtras { $0.otherName = id.isKnown ? nil : newValue }
    }
  }

  /// A record of the call of `row` in `abi` (the tracer's: no name lookup).
  public init(pid: Int32, tid: Int32, row: SyscallRow, abi: SyscallArch, args: [ArgValue], timestamp: Double) {
    self.init(pid: pid, tid: tid, call: .unknown, number: row.number, abi: abi, args: args, timestamp: timestamp)
    identify(row, abi: abi)
  }

  /// Makes this the record of a call of `row` in `abi` (the tracer's: no name lookup).
  public mutating func identify(_ row: SyscallRow, abi: SyscallArch) {
    call = row.id
    self.abi = abi
    number = row.number
    if !row.id.isKnown || extras?.value.otherName != nil {
      updateExtras { $0.otherName = row.id.isKnown ? nil : row.name }
    }
  }


  /// What strace prints after the return value, e.g. `(in [3])` for select: the out part of a result.
  public var retDetail: String? {
    get { extras?.value.retDetail }
    set { updateExtras { $0.retDetail = newValue } }
  }
  /// The target of a returned fd (dup, dup2, fcntl F_DUPFD...), printed as strace -y does.
  public var retTarget: FdTarget? {
    get { extras?.value.retTarget }
    set { updateExtras { $0.retTarget = newValue } }
  }
  /// The user-space stack at entry (`-k`), innermost frame first.
  public var stack: [StackFrame]? {
    get { extras?.value.stack }
    set { updateExtras { $0.stack = newValue } }
  }
  /// For restart_syscall: the call the kernel resumes (a poll or sleep interrupted by a stop or a
  /// signal), as far as the tracer knows it.
  public var resumes: ResumedCall? {
    get { extras?.value.resumes }
    set { updateExtras { $0.resumes = newValue } }
  }
  /// At entry: some arguments are only known at exit (strace then ends the unfinished part with ",").
  public var moreArgsAtExit: Bool = false
  /// The return value is an address (mmap, brk).
  public var retIsHex: Bool = false
  /// CLOCK_REALTIME at entry, epoch seconds.
  public var timestamp: Double
  /// CLOCK_MONOTONIC exit minus entry, seconds.
  public var duration: Double?

  /// A record of a call known by name (a saved trace, a test): the name is resolved here, once.
  public init(
    pid: Int32, tid: Int32, name: String, number: Int, abi: SyscallArch? = nil, args: [ArgValue], ret: Int64? = nil,
    errno: Errno? = nil, retDetail: String? = nil, timestamp: Double, duration: Double? = nil
  ) {
    let id = SyscallID(named: name) ?? .unknown
    self.init(pid: pid, tid: tid, call: id, number: number, abi: abi, args: args, ret: ret, errno: errno,
              retDetail: retDetail, timestamp: timestamp, duration: duration)
    if !id.isKnown { updateExtras { $0.otherName = name } }
  }

  /// A record of a call known by ID (the tracer, from its ABI's table row).
  public init(
    pid: Int32, tid: Int32, call: SyscallID, number: Int, abi: SyscallArch?, args: [ArgValue], ret: Int64? = nil,
    errno: Errno? = nil, retDetail: String? = nil, timestamp: Double, duration: Double? = nil
  ) {
    self.pid = pid
    self.tid = tid
    self.call = call
    self.traits = call.traits
    self.abi = abi
    self.number = number
    self.args = args
    self.ret = ret
    self.errno = errno
    self.timestamp = timestamp
    self.duration = duration
    if let retDetail { self.retDetail = retDetail }
  }

  /// Fields most calls leave empty, out of line: a record is copied and destroyed for every event
  /// (a report reads millions), and these would make it half again as big.
  private struct Extras: Sendable {
    var retDetail: String?
    var retTarget: FdTarget?
    var stack: [StackFrame]?
    var resumes: ResumedCall?
    /// The name of a call the catalogue does not have (`call` is then `unknown`).
    var otherName: String?
    var isEmpty: Bool { retDetail == nil && retTarget == nil && stack == nil && resumes == nil && otherName == nil }
  }

  /// Immutable, so records that share one stay values: a change makes a new box.
  private final class ExtrasBox: Sendable {
    let value: Extras
    init(_ value: Extras) { self.value = value }
  }

  private var extras: ExtrasBox?

  private mutating func updateExtras(_ change: (inout Extras) -> Void) {
    var e = extras?.value ?? Extras()
    change(&e)
    extras = e.isEmpty ? nil : ExtrasBox(e)
  }
}

/// The call a restart_syscall continues: its name and its arguments as decoded when it began.
public struct ResumedCall: Sendable {
  public var name: String
  /// The call in the catalogue (`unknown` for a name it lacks).
  public var call: SyscallID
  public var args: [ArgValue]
  /// CLOCK_REALTIME when it began; nil when it was already in progress as the trace attached.
  public var started: Double?
  public init(name: String, args: [ArgValue], started: Double?) {
    self.init(call: SyscallID(named: name) ?? .unknown, name: name, args: args, started: started)
  }

  public init(call: SyscallID, name: String, args: [ArgValue], started: Double?) {
    self.name = name
    self.call = call
    self.args = args
    self.started = started
  }
}

/// A signal delivered to a task (its signal-delivery stop), as strace prints it: `--- SIGCHLD {…} ---`.
public struct SignalRecord: Sendable {
  public var pid: Int32
  public var tid: Int32
  public var info: SignalInfo
  /// The user-space stack where the signal arrived (`-k`), innermost frame first.
  public var stack: [StackFrame]?
  public var timestamp: Double

  public init(pid: Int32, tid: Int32, info: SignalInfo, stack: [StackFrame]? = nil, timestamp: Double) {
    self.pid = pid
    self.tid = tid
    self.info = info
    self.stack = stack
    self.timestamp = timestamp
  }

  public var signo: Int32 { info.signo }
  public var code: Int32 { info.code }
  /// si_pid: the sender (kill) or the child (SIGCHLD).
  public var senderPid: Int32 { info.pid }
}

/// How a new task came to be.
public enum ForkKind: String, Sendable {
  case fork, vfork, clone, thread
}

/// The one stream every consumer reads: live output, the process/pipe model, the report.
public enum Event: Sendable {
  /// A syscall has started. Only the args known at entry are set. Used for `<unfinished ...>` lines.
  case syscallEntry(SyscallRecord)
  /// A syscall has finished, or will never finish (`ret == nil`).
  case syscall(SyscallRecord)
  case fork(pid: Int32, tid: Int32, child: Int32, kind: ForkKind, timestamp: Double)
  /// `tid` is the thread that called execve (it becomes `pid` when the exec succeeds).
  case exec(pid: Int32, tid: Int32, path: String, argv: [String], timestamp: Double)
  /// A task ended: `code` for exit(), `signal` when killed.
  case exit(pid: Int32, tid: Int32, code: Int32?, signal: Int32?, coreDumped: Bool, timestamp: Double)
  /// A signal was delivered to the task.
  case signal(SignalRecord)
  /// The task's syscalls now come in another ABI (strace's `[ Process PID=N runs in 32 bit mode. ]`).
  case personality(pid: Int32, tid: Int32, arch: SyscallArch, timestamp: Double)
  /// The tracer let go of a task that goes on running.
  case detached(pid: Int32, tid: Int32, timestamp: Double)
  /// A note from the tracer itself (a diagnosis, an injected close), printed as a comment line.
  case note(pid: Int32, text: String, timestamp: Double)
}

/// Anything that consumes the event stream.
public protocol EventSink: AnyObject {
  func handle(_ event: Event)
  /// The stream is over: flush what is buffered.
  func finish()
  /// Wants `.syscallEntry` events (the tracer makes them only when some sink does).
  var wantsEntries: Bool { get }
}

extension EventSink {
  public var wantsEntries: Bool { false }
}
