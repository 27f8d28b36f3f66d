import ArgumentParser
import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// The trace, `pipetrace`'s default mode: `pipetrace [OPTIONS] -- CMD` and `pipetrace [OPTIONS] -p PID`
/// (`trace` is its name in the command tree, not a word users type).
struct Trace: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: TopLevel.configuration.abstract,
    usage: TopLevel.configuration.usage,
    discussion: TopLevel.configuration.discussion,
    shouldDisplay: false)

  @OptionGroup var options: TraceOptions

  @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to launch traced (after --).", valueName: "CMD"))
  var command: [String] = []

  mutating func run() throws {
    try TraceCommand(options: options, command: command).run()
  }
}

/// Runs a live trace from the parsed options: launch (`-- CMD`) or attach (`-p PID`).
struct TraceCommand {
  var options: TraceOptions
  var command: [String]

  func run() throws {
    let pids = try options.p.map(parsePid)
    if pids.isEmpty && command.isEmpty {
      throw CLIFailure("nothing to trace: give a command after -- or a process with -p PID (see --help)")
    }
    if !pids.isEmpty && !command.isEmpty {
      throw CLIFailure("give either a command after -- or -p PID, not both")
    }
    // strace's limit (its buffers are four times -s): a larger -s is refused, never held.
    guard (0...Self.maxStringLimit).contains(options.s) else {
      throw CLIFailure("invalid -s argument: '\(options.s)' (0 to \(Self.maxStringLimit) bytes, as strace)")
    }
    guard options.stuckAfter > 0 else { throw CLIFailure("--stuck-after takes seconds above 0, not \(options.stuckAfter)") }
    if let u = options.unstickAfter, !(u > 0) { throw CLIFailure("--unstick-after takes seconds above 0, not \(u)") }
    let responder = HangResponder(diagnoseAfter: options.stuckAfter, unstickAfter: options.unstickAfter)
    let text = try TraceOutputSetup(options: options, launching: !command.isEmpty)

    var tracerOptions = Tracer.Options()
    tracerOptions.selection = try syscallSelection(text)
    tracerOptions.decoding = try decodeOptions()
    // --unstick-after: the command's leftovers (the holder it unstuck) are let go when it exits, and
    // a process with the seccomp filter cannot run untraced (its filtered calls would fail with
    // ENOSYS; PTRACE_O_SUSPEND_SECCOMP suspends the filter only while traced): no filter then.
    let detachLeftovers = options.unstickAfter != nil && options.p.isEmpty
    tracerOptions.useSeccomp = !options.noSeccomp && !detachLeftovers
    tracerOptions.detachLeftovers = detachLeftovers
    tracerOptions.followForks = text.followsForks
    tracerOptions.signalAware = true
    if let spin = options.spinMicroseconds {
      guard spin >= 0 else { throw CLIFailure("--spin-us takes microseconds of 0 or more, not \(spin)") }
      tracerOptions.spinMicroseconds = spin
      tracerOptions.adaptiveSpin = false
    }
    tracerOptions.stackTraces = options.stack

    // -ff -o PREFIX: the files are per task; what else is printed (a report) goes to stderr.
    let (fd, toFile) = text.perTaskPrefix == nil ? try openOutput() : (2, false)
    // Opened (an -o FIFO may wait for its reader): from here the tracer takes its signals itself.
    TracerSignals.block()
    let output = OutputBuffer(fd: fd, name: toFile ? options.o ?? "stderr" : "stderr")
    let sink: EventSink
    var formatter: StraceFormatter?
    let json = options.json ? JSONLinesWriter(output: output) : nil
    let perTask = text.perTaskPrefix.map { PerThreadFiles(prefix: $0, style: text.style, filter: text.filter) }
    if let json {
      sink = json
    } else if let perTask {
      sink = perTask
    } else {
      let lines = StraceFormatter(
        output: output, pidStyle: pidStyle(
          toFile: toFile, processes: max(1, pids.count), follows: text.followsForks, compat: text.straceCompat),
        style: text.style, filter: text.filter,
        summary: text.summary, printsTrace: !text.summaryOnly)
      formatter = lines
      sink = lines
    }
    let report = options.report ? ReportBuilder() : nil
    let messages = options.json ? nil : text.attachMessages(traceOnStderr: toFile ? nil : output)
    let tracer: Tracer
    do {
      var sinks: [EventSink] = [sink, responder]
      if let report { sinks.append(report) }
      if let messages { sinks.append(messages) }
      tracer = try Tracer(options: tracerOptions, sinks: sinks, output: output)
      if options.autopsy || options.autopsyStack {
        let stacks = options.autopsyStack || options.stack
        tracer.beforeFirstSignal = { tracer, pids in
          var autopsy = Autopsy.take(pids: pids, heldIn: tracer.callsInProgress())
          guard !autopsy.blockedThreads.isEmpty else { return }
          if stacks { autopsy.addStacks(through: tracer) }
          tracer.note(pid: ProcessID(pids.first ?? 0), autopsy.render(prefix: "pipetrace: autopsy: "))
        }
      }
      if pids.isEmpty {
        json?.writeStart(command: command, attached: [], timestamp: Clock.wall())
        // Byte for byte, also arguments that are not UTF-8.
        try tracer.launch(arguments: RawArguments.trailing(command))
      } else {
        formatter?.startsWith(tasks: try tracer.attach(pids, tree: options.tree))
        json?.writeStart(command: nil, attached: pids, timestamp: Clock.wall())
        for pid in pids { messages?.attached(pid: pid, threads: ProcFS.threadIds(of: pid).count) }
      }
    } catch {
      output.flush()
      throw CLIFailure(error.description, code: error.isLaunchError ? 127 : 1)
    }
    let outcome = tracer.run()
    TracerSignals.unblock()
    if let summary = text.summary {
      // strace -c/-C: the table after the trace, on the same output.
      output.write(summary.render())
    }
    if let report {
      // After the trace, on the same output (stderr, or the -o file).
      output.write("\n" + TextReport.render(report.makeReport(), title: command.joined(separator: " ")))
    }
    let perTaskFailed = perTask?.failed ?? false
    let writeFailed = output.finish(closing: toFile) != nil || perTaskFailed
    if let failure = outcome.launchFailure {
      throw CLIFailure(failure.description, code: 127)
    }
    let status = pids.isEmpty ? outcome.exitStatus : 0
    // A trace that could not be written whole (reported once as it happened) is never a success.
    throw ExitCodeValue(writeFailed && status == 0 ? 1 : status)
  }

  /// strace's pid column: with -f (pipetrace's own output always follows forks), `1234  ` in a file
  /// and `[pid  1234] ` on stderr; without -f (--strace-compat) none for a single process. On
  /// stderr strace prints `[pid  1234] ` only while it traces more than one task (--strace-compat
  /// does too); pipetrace's own columns keep it on every line.
  func pidStyle(toFile: Bool, processes: Int, follows: Bool, compat: Bool) -> StraceFormatter.PidStyle {
    if !follows && processes == 1 { return .none }
    if toFile { return .column }
    return compat ? .bracketedWhileSeveral : .bracketed
  }

  /// strace's largest -s: UINT_MAX / 4.
  static let maxStringLimit = 1_073_741_823

  func parsePid(_ text: String) throws -> Int32 {
    guard let pid = Int32(text), pid > 0 else {
      throw CLIFailure(TraceError.invalidPid(text).description)
    }
    return pid
  }

  /// `-e trace=SET`, `-e SET`, `--trace SET` in strace's syntax (classes, `!`, `/regex`, `?name`,
  /// `none`, `all`); the last one counts, as in strace. nil = the default pipe set (every syscall
  /// with --strace-compat). The other -e qualifiers are TraceOutputSetup's.
  func syscallSelection(_ text: TraceOutputSetup) throws -> SyscallSet? {
    var expression = text.expressions.trace.last
    if let t = options.traceNames { expression = t }
    guard let expression else { return text.straceCompat ? .all : nil }
    do {
      return try SyscallSelection.parse(expression)
    } catch {
      throw CLIFailure(error.description)
    }
  }

  /// -s, -x/-xx, -X, -v, -yy.
  func decodeOptions() throws -> DecodeOptions {
    // strace takes -yyy and more as -yy.
    var d = DecodeOptions(stringLimit: options.s, verbose: options.v, fdDetails: options.columns.y >= 2,
                          workingDirectories: options.columns.y >= 1)
    if let x = options.xlatStyle { d.xlatStyle = x }
    StraceEscape.hexStrings = options.x >= 2 ? .all : options.x == 1 ? .nonASCII : .none
    return d
  }

  func openOutput() throws -> (Int32, Bool) {
    guard let path = options.o else { return (2, false) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw CLIFailure("cannot write \(path): \(Errno.current.message)", code: 1) }
    return (fd, true)
  }
}

/// Exit with this status without printing anything.
struct ExitCodeValue: Error {
  var code: Int32
  init(_ code: Int32) { self.code = code }
}

extension TraceError {
  var isLaunchError: Bool {
    switch self {
    case .commandNotFound, .notExecutable: return true
    default: return false
    }
  }
}
