import ArgumentParser
import PipeTraceKit

/// The root command: `pipetrace [OPTIONS] -- CMD ARGS...`, `pipetrace [OPTIONS] -p PID`, and the
/// subcommands. Subcommand names still work because the command is taken after `--` only.
struct Pipetrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipetrace",
    abstract: "Trace a process tree's pipes, fds and waits; explain and fix hangs.",
    usage: """
      pipetrace [OPTIONS] -- CMD ARGS...  trace CMD and all it starts
      pipetrace [OPTIONS] -p PID...       trace running processes
      pipetrace why PID                   why PID is blocked, and the fix
      pipetrace --inject-close PID FD...  /dev/null in place of FDs in PID
      pipetrace report FILE...            timing report of saved traces
      pipetrace run [OPTIONS] -- CMD      run CMD; leaked pipes cannot hang it
      pipetrace demo                      the leaked-pipe hang, solved
      """,
    discussion: """
      Each mode has its own help: pipetrace help why|inject-close|report|run|demo \
      (or pipetrace MODE --help). The options below are those of a trace.
      """,
    version: PipetraceVersion.current,
    subcommands: [Demo.self, Why.self, Run.self, ReportCommand.self, InjectCloseCommand.self],
    helpNames: [.long, .customShort("h")]
  )

  @OptionGroup var trace: TraceOptions

  @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to launch traced (after --).", valueName: "CMD"))
  var command: [String] = []

  mutating func run() throws {
    try TraceCommand(options: trace, command: command).run()
  }
}
