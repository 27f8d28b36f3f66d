import ArgumentParser
import PipeTraceKit

/// The command tree every command line is parsed with: the modes are subcommands, and the trace
/// (`pipetrace [OPTIONS] -- CMD`, `pipetrace [OPTIONS] -p PID`) is the default one, so a line that
/// does not start with a mode's name is a trace. The root has no options of its own: a parent's
/// options are taken from anywhere on the line, also from a mode's (`run -c`, `report -o`).
struct Pipetrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipetrace",
    abstract: TopLevel.configuration.abstract,
    usage: TopLevel.configuration.usage,
    discussion: TopLevel.configuration.discussion,
    version: PipetraceVersion.current,
    subcommands: [Trace.self] + modes,
    defaultSubcommand: Trace.self,
    helpNames: [.long, .customShort("h")]
  )

  /// The modes besides the trace, in the order of the usage lines.
  static let modes: [ParsableCommand.Type] = [Why.self, InjectCloseCommand.self, ReportCommand.self, Run.self, Demo.self]

  /// `pipetrace --inject-close PID FD...`, the documented form, is the inject-close mode: the flag
  /// (anywhere before `--`, so `--dry-run --inject-close PID FD` too) becomes the mode's name.
  static func spellingModes(_ arguments: [String]) -> [String] {
    let options = arguments.firstIndex(of: "--").map { arguments[..<$0] } ?? arguments[...]
    guard let first = arguments.first, !configuration.subcommands.contains(where: { $0._commandName == first }),
          let flag = options.firstIndex(of: "--inject-close")
    else { return arguments }
    var rewritten = arguments
    rewritten.remove(at: flag)
    return [InjectCloseCommand._commandName] + rewritten
  }
}

/// pipetrace as its top level shows itself: `pipetrace --help` (the usage line of each mode, the
/// trace's options, the modes) and the completion scripts (`--generate-completion-script`), which
/// then offer the trace's options, values and pids at the top and each mode's own after its name.
/// Lines are parsed by `Pipetrace`, where the trace's options belong to its default subcommand.
struct TopLevel: ParsableCommand {
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
      Each mode has its own help: pipetrace help MODE (or pipetrace MODE --help). The options \
      below are those of a trace. A usage error in any mode exits with 64.

      Examples:
        pipetrace -o trace.txt -- make -j2
        pipetrace -p 1234 -e trace=read,write,close
        pipetrace why 1234
      """,
    version: PipetraceVersion.current,
    subcommands: Pipetrace.modes,
    helpNames: [.long, .customShort("h")]
  )

  @OptionGroup var trace: TraceOptions

  @Option(name: .customLong("inject-close"),
          help: ArgumentHelp("pipetrace --inject-close PID FD...: the inject-close mode (/dev/null in place of FDs in PID).", valueName: "pid"),
          completion: .pids)
  var injectClose: String?

  /// Lines that this type, not `Pipetrace`, answers: the top level's help, the completion scripts
  /// and the calls they make back for pids and syscall names (`---completion`).
  static func answers(_ arguments: [String]) -> Bool {
    guard let first = arguments.first else { return false }
    if arguments.count == 1 && ["--help", "-h", "help"].contains(first) { return true }
    return first == "--generate-completion-script" || first == "---completion"
  }
}
