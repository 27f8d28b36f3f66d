import ArgumentParser
import PipeTraceKit

/// The root command: `pipetrace [OPTIONS] -- CMD ARGS...`, `pipetrace [OPTIONS] -p PID`, and the
/// subcommands. Subcommand names still work because the command is taken after `--` only.
struct Pipetrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipetrace",
    abstract: "Trace a process tree's pipes, fds and waits; explain and fix hangs.",
    subcommands: [ReportCommand.self],
    helpNames: [.long, .customShort("h")]
  )

  @OptionGroup var trace: TraceOptions

  @Argument(parsing: .postTerminator, help: "The command to launch traced (after --).")
  var command: [String] = []

  mutating func run() throws {
    try TraceCommand(options: trace, command: command).run()
  }
}
