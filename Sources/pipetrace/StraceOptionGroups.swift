import ArgumentParser
import PipeTraceKit

// strace's options that pipetrace accepts with strace's meaning, one group per concern. Each group
// is an @OptionGroup of TraceOptions; TraceOutputSetup turns them into the text output's parts.

/// The columns of a text line (strace's -t/-tt/-ttt, -r, -T, -y, -a).
struct ColumnOptions: ParsableArguments {
  @Flag(name: .customShort("t"), help: "Time of day on each line: -t HH:MM:SS, -tt with microseconds, -ttt epoch seconds with microseconds. Without any of -t, -r, -T, -y or --strace-compat a line has pipetrace's columns (those of -ttt -T -y); with any of them, exactly the columns asked for.")
  var t: Int

  @Flag(name: [.customShort("r"), .customLong("relative-timestamps")], help: "Seconds since the previous line on each line.")
  var relative = false

  @Flag(name: [.customShort("T"), .customLong("syscall-times")], help: "Time spent in each syscall (entry to exit), <0.000012>.")
  var durations = false

  @Flag(name: .customShort("y"), help: "Paths of fd arguments and returned fds, 3</dev/null>, and AT_FDCWD with the working directory, AT_FDCWD</home/me>. -yy: as strace -yy, sockets with their protocol and addresses (3<UNIX-STREAM:[1234->1235]>, 4<TCP:[127.0.0.1:5432->127.0.0.1:40000]>), devices with their numbers (1</dev/null<char 1:3>>), pidfds with their process (5<pid:1234>); with --json, fds entries get socket, device or pid.")
  var y: Int

  @Option(name: [.customShort("a"), .customLong("columns")], help: ArgumentHelp("Align ' = RET' in this column (strace's default with the options above: 40).", valueName: "column"))
  var align: Int?

  @Flag(name: .customLong("strace-compat"), help: "strace's defaults, so a trace diffs against `strace -f -o FILE` up to pids and values: every syscall (unless -e trace=), only the columns asked for, ' = ' at column 40, strace's attach/detach messages on stderr.")
  var straceCompat = false

  @Flag(name: .customLong("no-timestamps"), help: "Leave the timestamp column out.")
  var noTimestamps = false

  @Flag(name: .customLong("no-durations"), help: "Leave the <duration> column out.")
  var noDurations = false

  /// Any strace column option: the line then has exactly the columns asked for.
  var asksForColumns: Bool { straceCompat || t > 0 || relative || durations || y > 0 }
}

/// strace's summary table (-c, -C, -S, -w).
struct SummaryOptions: ParsableArguments {
  @Flag(name: [.customShort("c"), .customLong("summary-only")], help: "At the end, strace's table of time, calls and errors per syscall, instead of the trace. Time is system CPU time (the thread's CPU time between entry and exit), as strace's; -w for wall-clock time.")
  var only = false

  @Flag(name: [.customShort("C"), .customLong("summary")], help: "Like -c, but the trace too.")
  var alongside = false

  @Option(name: [.customShort("S"), .customLong("summary-sort-by")], help: ArgumentHelp("Sort the table by time (default), calls, errors, name or nothing (strace's -S keys and their aliases).", valueName: "key"))
  var sortBy: SortKeyArgument?

  @Flag(name: [.customShort("w"), .customLong("summary-wall-clock")], help: "The table shows wall-clock time between entry and exit instead of system CPU time.")
  var wallClock = false

  @Flag(name: .customLong("summary-percentiles"), help: "Add p50, p99 and max columns (seconds) to the table.")
  var percentiles = false

  var enabled: Bool { only || alongside }
}

/// Which syscalls are shown, by outcome or by what they touch (strace's -z, -Z, -P and the long
/// forms of -e status=, -e signal=, -e trace-fds=).
struct FilterOptions: ParsableArguments {
  enum OutcomeOnly: EnumerableFlag {
    case successfulOnly, failedOnly

    static func name(for value: OutcomeOnly) -> NameSpecification {
      switch value {
      case .successfulOnly: return [.customShort("z"), .customLong("successful-only")]
      case .failedOnly: return [.customShort("Z"), .customLong("failed-only")]
      }
    }

    static func help(for value: OutcomeOnly) -> ArgumentHelp? {
      switch value {
      case .successfulOnly: return "Only syscalls that succeeded (-e status=successful)."
      case .failedOnly: return "Only syscalls that failed (-e status=failed)."
      }
    }
  }

  @Flag(exclusivity: .chooseLast)
  var outcomeOnly: OutcomeOnly?

  @Option(name: [.customShort("P"), .customLong("trace-path")], help: ArgumentHelp("Only syscalls that touch PATH: by a path argument or an fd pointing to it (repeatable).", valueName: "path"), completion: .file())
  var paths: [String] = []

  @Option(name: .customLong("trace-fds"), help: ArgumentHelp("Only syscalls on these fds (-e trace-fds=SET).", valueName: "set"))
  var traceFds: String?

  @Option(name: .customLong("status"), help: ArgumentHelp("Only syscalls with these outcomes: successful, failed, unfinished, unavailable, detached (-e status=SET).", valueName: "set"))
  var status: String?

  @Option(name: .customLong("signal"), help: ArgumentHelp("Only these signals' lines (-e signal=SET, e.g. none, !SIGCHLD, 1,15).", valueName: "set"))
  var signal: String?
}

/// strace's messages and process options (-q, -ff, -D).
struct ProcessOptions: ParsableArguments {
  @Flag(name: .customShort("q"), help: "No attach/detach messages (-qq: no '+++ exited' lines either; -qqq: no messages at all).")
  var q: Int

  @Flag(name: .customLong("output-separately"), help: "With -o PREFIX: one file per traced task, PREFIX.TID (as -ff).")
  var outputSeparately = false

  @Flag(name: .customShort("D"), help: "Refused (also -DD, -DDD), not needed: pipetrace stands in for the command (man pipetrace).")
  var daemonize: Int
}

/// -S's value: strace's keys, and their aliases (`shortest`, `count`, `syscall`, ...).
struct SortKeyArgument: ExpressibleByArgument, CaseIterable, CustomStringConvertible {
  var key: SyscallSummary.SortKey
  var text: String

  init?(argument: String) {
    guard let key = SyscallSummary.SortKey(strace: argument) else { return nil }
    self.key = key
    text = argument
  }

  /// The keys offered (help, completion); each alias is taken too.
  static var allCases: [SortKeyArgument] {
    ["time", "min-time", "max-time", "avg-time", "wall-total", "wall-min", "wall-max", "wall-avg", "calls", "errors", "name",
     "nothing"].compactMap(SortKeyArgument.init(argument:))
  }

  var description: String { text }
}
