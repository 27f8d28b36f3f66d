extension Tracer {
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
}
