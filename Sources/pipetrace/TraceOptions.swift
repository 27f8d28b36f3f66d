import ArgumentParser
import PipeTraceKit

extension XlatStyle: ExpressibleByArgument, CaseIterable {
  public static var allCases: [XlatStyle] { [.raw, .abbrev, .verbose] }
}

/// Options of a live trace (`pipetrace [OPTIONS] -- CMD` and `pipetrace [OPTIONS] -p PID`).
struct TraceOptions: ParsableArguments {
  @Option(name: .short, help: ArgumentHelp("Attach to a running process (repeatable).", valueName: "pid"), completion: .pids)
  var p: [String] = []

  @Flag(name: .long, help: "With -p: also attach every existing descendant of each PID.")
  var tree = false

  @Flag(name: .short, help: "Follow forks (always on, except with --strace-compat, where only -f follows them, as in strace). -ff with -o PREFIX: one file per traced task, PREFIX.TID.")
  var f: Int

  @Option(name: .short, help: ArgumentHelp("Write the trace to FILE instead of stderr.", valueName: "file"), completion: .file())
  var o: String?

  @Option(name: .short, help: ArgumentHelp("trace=NAME,NAME... (or all): the syscalls to show; also signal=SET, status=SET, trace-fds=SET, quiet=SET (strace's sets: NAME,..., !SET, all, none).", valueName: "expr"),
          completion: .syscallNames)
  var e: [String] = []

  @Option(name: .customLong("trace"), help: ArgumentHelp("Same as -e trace=NAMES.", valueName: "names"), completion: .syscallNames)
  var traceNames: String?

  @Option(name: .short, help: ArgumentHelp("Bytes of each string to show (at most 1073741823, as strace).", valueName: "size"))
  var s: Int = 32

  @Flag(name: .short, help: "Print non-ASCII strings in hex (-xx: every string), as strace -x.")
  var x: Int

  @Option(name: .customShort("X"), help: ArgumentHelp("Named constants as raw numbers, abbrev (names, the default) or verbose (both).", valueName: "style"))
  var xlatStyle: XlatStyle?

  @Flag(name: .short, help: "Print structures in full (rusage, envp's strings, all array elements), as strace -v.")
  var v = false

  @Flag(name: [.customShort("k"), .customLong("stack")], help: "Print the user-space stack of each traced syscall (libunwind).")
  var stack = false

  @Flag(name: .customLong("report"), help: "At the end, print the post-mortem timing report (as `pipetrace report` would).")
  var report = false

  @Flag(name: .long, help: "JSON lines instead of strace-style text.")
  var json = false

  @Option(name: .customLong("spin-us"), help: ArgumentHelp("Microseconds to poll for the next stop before sleeping, whatever the machine's load (0: never). Default: 200, only while a CPU is free.", valueName: "us"))
  var spinMicroseconds: Int?

  @Option(name: .customLong("stuck-after"), help: ArgumentHelp("Print the `why` diagnosis of a read/poll on a pipe blocked this long.", valueName: "seconds"))
  var stuckAfter: Double = 5

  @Option(name: .customLong("unstick-after"), help: ArgumentHelp("Also close the write ends `why` proves leaked (its Fix; never a live writer) once blocked this long; each decision is noted.", valueName: "seconds"))
  var unstickAfter: Double?

  @Flag(name: .long, help: "On SIGINT/SIGTERM/SIGHUP/SIGQUIT to pipetrace while traced tasks are blocked, first note in the trace what every task was blocked in and why's verdicts (an account of a hang its runner killed).")
  var autopsy = false

  @Flag(name: .customLong("autopsy-stack"), help: "--autopsy with the user-space stack of every blocked thread (each process is stopped for a moment, at the signal only; -k with --autopsy does the same).")
  var autopsyStack = false

  @Flag(name: .customLong("no-seccomp"), help: "Stop on every syscall instead of installing a seccomp filter.")
  var noSeccomp = false

  // strace's options, with strace's meaning (StraceOptionGroups.swift).
  @OptionGroup(title: "Columns")
  var columns: ColumnOptions

  @OptionGroup(title: "Summary table")
  var summary: SummaryOptions

  @OptionGroup(title: "Filtering")
  var filtering: FilterOptions

  @OptionGroup(title: "Messages and processes")
  var processes: ProcessOptions
}
