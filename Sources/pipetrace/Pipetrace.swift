import ArgumentParser
import PipeTraceKit

/// The root command: `pipetrace [OPTIONS] -- CMD ARGS...`, `pipetrace [OPTIONS] -p PID`, and the
/// subcommands. Subcommand names still work because the command is taken after `--` only.
struct Pipetrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipetrace",
    abstract: "Trace a process tree's pipes, fds and waits; explain and fix hangs.",
    subcommands: [Demo.self, Why.self, Run.self, ReportCommand.self],
    helpNames: [.long, .customShort("h")]
  )

  @OptionGroup var trace: TraceOptions

  @Argument(parsing: .postTerminator, help: "The command to launch traced (after --).")
  var command: [String] = []

  @Option(name: .customLong("inject-close"), parsing: .upToNextOption,
          help: ArgumentHelp("Close FDs inside process PID (ptrace), then exit.", valueName: "pid fd"))
  var injectClose: [String] = []

  @Flag(name: .customLong("dry-run"), help: "With --inject-close: check and show the fds, close nothing.")
  var dryRun = false

  @Option(name: .long, help: ArgumentHelp("With --inject-close: refuse fds not pointing to this.", valueName: "pipe:[inode]"))
  var expect: String?

  @Flag(name: .customLong("plain-close"),
        help: "With --inject-close: close(fd), freeing its number, instead of replacing it by /dev/null.")
  var plainClose = false

  mutating func run() throws {
    if !injectClose.isEmpty {
      return try InjectCloseCommand(arguments: injectClose, dryRun: dryRun, expect: expect,
                                    mode: plainClose ? .plainClose : .replaceWithNull).run()
    }
    if plainClose { throw CLIFailure("--plain-close goes with --inject-close PID FD...") }
    try TraceCommand(options: trace, command: command).run()
  }
}
