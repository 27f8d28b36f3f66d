import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

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

    var tracerOptions = Tracer.Options()
    tracerOptions.syscalls = try syscallNames()
    tracerOptions.stringLimit = options.s
    tracerOptions.useSeccomp = !options.noSeccomp
    tracerOptions.signalAware = true
    tracerOptions.spinMicroseconds = options.spinMicroseconds
    tracerOptions.stackTraces = options.stack

    let (fd, toFile) = try openOutput()
    // Opened (an -o FIFO may wait for its reader): from here the tracer takes its signals itself.
    TracerSignals.block()
    let output = OutputBuffer(fd: fd, name: options.o ?? "stderr")
    let sink: EventSink
    let json = options.json ? JSONLinesWriter(output: output) : nil
    if let json {
      sink = json
    } else {
      sink = StraceFormatter(output: output, pidStyle: toFile ? .column : .bracketed)
    }
    let report = options.report ? ReportBuilder() : nil
    let tracer: Tracer
    do {
      tracer = try Tracer(options: tracerOptions, sinks: [sink, responder] + (report.map { [$0] } ?? []), output: output)
      if pids.isEmpty {
        json?.writeStart(command: command, attached: [], timestamp: Clock.wall())
        try tracer.launch(command)
      } else {
        try tracer.attach(pids, tree: options.tree)
        json?.writeStart(command: nil, attached: pids, timestamp: Clock.wall())
      }
    } catch {
      output.flush()
      throw CLIFailure(error.description, code: error.isLaunchError ? 127 : 1)
    }
    let outcome = tracer.run()
    TracerSignals.unblock()
    if let report {
      // After the trace, on the same output (stderr, or the -o file).
      output.write("\n" + TextReport.render(report.makeReport(), title: command.joined(separator: " ")))
    }
    let writeFailed = output.finish(closing: toFile) != nil
    if let failure = outcome.launchFailure {
      throw CLIFailure(failure.description, code: 127)
    }
    let status = pids.isEmpty ? outcome.exitStatus : 0
    // A trace that could not be written whole (reported once as it happened) is never a success.
    throw ExitCodeValue(writeFailed && status == 0 ? 1 : status)
  }

  /// strace's largest -s: UINT_MAX / 4.
  static let maxStringLimit = 1_073_741_823

  func parsePid(_ text: String) throws -> Int32 {
    guard let pid = Int32(text), pid > 0 else {
      throw CLIFailure(TraceError.invalidPid(text).description)
    }
    return pid
  }

  /// `-e trace=a,b`, `-e a,b`, `--trace a,b`; nil = the default pipe set.
  func syscallNames() throws -> [String]? {
    var names: [String] = []
    for expr in options.e {
      var value = Substring(expr)
      if let eq = value.firstIndex(of: "=") {
        let key = value[..<eq]
        guard key == "trace" || key == "t" else {
          throw CLIFailure("unsupported -e qualifier '\(key)' (only trace=NAME,... is known)")
        }
        value = value[value.index(after: eq)...]
      }
      names.append(contentsOf: value.split(separator: ",").map(String.init))
    }
    if let t = options.traceNames { names.append(contentsOf: t.split(separator: ",").map(String.init)) }
    if names.isEmpty { return options.e.isEmpty && options.traceNames == nil ? nil : [] }
    for n in names where n != "all" && SyscallTable.x86_64.number(of: n) == nil {
      throw CLIFailure(TraceError.unknownSyscall(n).description)
    }
    return names
  }

  func openOutput() throws -> (Int32, Bool) {
    guard let path = options.o else { return (2, false) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw CLIFailure("cannot write \(path): \(Errno.current.message)") }
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
