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
  let options = arguments.firstIndex(of: "--").map { arguments[..<$0] } ?? arguments[...]
  var sub: ParsableCommand.Type?
  if let name = arguments.first, let named = Pipetrace.configuration.subcommands.first(where: { $0._commandName == name }) {
    arguments.removeFirst()
    sub = named
  } else if let flag = options.firstIndex(of: "--inject-close") {
    // `pipetrace --inject-close PID FD...`, the documented form, is the inject-close command.
    arguments.remove(at: flag)
    sub = InjectCloseCommand.self
  }
  var command: ParsableCommand
  if let sub {
    let own = arguments.firstIndex(of: "--").map { arguments[..<$0] } ?? arguments[...]
    if own.contains("--version") {
      print(PipetraceVersion.current)
      exit(0)
    }
    if own.contains("--help") || own.contains("-h") {
      // Its help as a mode of pipetrace (`USAGE: pipetrace run ...`), not as a program of its own.
      print(Pipetrace.helpMessage(for: sub))
      exit(0)
    }
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

extension InjectCloseCommand: TracesFromTheStart {
  /// It stops its target to close the fds.
  var tracesFromTheStart: Bool { true }
}
