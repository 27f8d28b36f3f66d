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

// Bad input is one line on stderr and a non-zero exit; --help still prints the full help.
do {
  // A subcommand is parsed on its own: the root's trace options (-o, --json, ...) and its
  // post-terminator argument would otherwise take the subcommand's own.
  var arguments = Array(CommandLine.arguments.dropFirst())
  var command: ParsableCommand
  if let name = arguments.first,
    let sub = Pipetrace.configuration.subcommands.first(where: { $0._commandName == name })
  {
    arguments.removeFirst()
    var afterTerminator: [String]?
    if sub == Run.self, let terminator = arguments.firstIndex(of: "--") {
      afterTerminator = Array(arguments[(terminator + 1)...])
      arguments = Array(arguments[..<terminator])
    }
    command = try sub.parseAsRoot(arguments)
    if var run = command as? Run, let rest = afterTerminator {
      run.command += rest
      command = run
    }
  } else {
    command = try Pipetrace.parseAsRoot(arguments)
  }
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
  let code = Pipetrace.exitCode(for: error)
  if code == .success {
    print(Pipetrace.fullMessage(for: error))
    exit(0)
  }
  let message = Pipetrace.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
  printError("pipetrace: \(message)")
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

extension Pipetrace: TracesFromTheStart {
  /// `--inject-close` stops its target to close the fds.
  var tracesFromTheStart: Bool { !injectClose.isEmpty }
}
