import ArgumentParser
import CTrace
import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

// Before any other thread exists: the tracer takes SIGCHLD/SIGINT/SIGTERM/SIGHUP with sigtimedwait,
// so they must stay blocked in every thread the runtime starts later.
_ = ct_block_tracer_signals()

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
  if let plain = command as? TracesNothing, plain.tracesNothing { _ = ct_unblock_tracer_signals() }
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

/// A command that stops no process: Ctrl-C, SIGTERM and SIGHUP end it as they end any program
/// (a report over a large trace stays interruptible); the others take them with the tracer.
protocol TracesNothing {
  var tracesNothing: Bool { get }
}

extension ReportCommand: TracesNothing {
  var tracesNothing: Bool { true }
}

extension Why: TracesNothing {
  /// `--stack` stops each blocked thread for a moment; without it `why` only reads /proc.
  var tracesNothing: Bool { !stack }
}
