import ArgumentParser
import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

// The tracer's signals (SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGCHLD, taken with sigtimedwait) are blocked
// only once something is traced: until then Ctrl-C ends pipetrace as any program, also while it
// waits in open() of an `-o FIFO` that nobody reads. The trace command blocks them after opening
// its output, `run` before it starts its tracer thread; the commands below stop processes from
// their first step and block them here, before any thread exists.

// Bad input is one line on stderr and exit status 64 (EX_USAGE, swift-argument-parser's) in every
// mode; --help still prints the full help.
let arguments = Pipetrace.spellingModes(Array(CommandLine.arguments.dropFirst()))
let root: ParsableCommand.Type = TopLevel.answers(arguments) ? TopLevel.self : Pipetrace.self
do {
  var command = try root.parseAsRoot(arguments)
  if let tracing = command as? TracesFromTheStart, tracing.tracesFromTheStart { TracerSignals.block() }
  try command.run()
} catch let failure as CLIFailure {
  printError("pipetrace: \(failure.message)")
  exit(failure.code)
} catch let done as ExitCodeValue {
  exit(done.code)
} catch let code as ExitCode {
  exit(code.rawValue)
} catch {
  let code = root.exitCode(for: error)
  if code == .success {
    print(root.fullMessage(for: error))
    exit(0)
  }
  printError("pipetrace: \(oneLine(root.message(for: error)))")
  exit(code.rawValue)
}

/// A command that stops processes from its first step and opens nothing that can block before:
/// the tracer's signals are blocked for all of its run (a Ctrl-C waits until the targets are let go).
/// Every other command leaves them to their default action (`report` and plain `why` trace nothing;
/// the trace command and `run` block them themselves once their inputs and outputs are open).
protocol TracesFromTheStart {
  var tracesFromTheStart: Bool { get }
}

extension Demo: TracesFromTheStart {
  var tracesFromTheStart: Bool { true }
}

extension Why: TracesFromTheStart {
  /// `--stack` stops each blocked thread for a moment; without it `why` only reads /proc.
  var tracesFromTheStart: Bool { stack }
}

extension InjectCloseCommand: TracesFromTheStart {
  /// It stops its target to close the fds.
  var tracesFromTheStart: Bool { true }
}

/// The parser's message as one line: its first, with a list of values it puts on the lines below
/// (`Please provide one of the following:` then `  - time`...) joined into it.
func oneLine(_ message: String) -> String {
  let lines = message.split(separator: "\n")
  guard let first = lines.first else { return message }
  let values = lines.dropFirst().prefix { $0.hasPrefix("  - ") }.map { "'\($0.dropFirst(4))'" }
  return values.isEmpty ? String(first) : first + " " + values.joined(separator: ", ")
}
