import ArgumentParser
import PipeTraceKit

/// `pipetrace run [OPTIONS] -- CMD ARGS...` / `pipetrace run -c 'shell string'`.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a command with stdout and stderr captured apart; it cannot hang on leaked pipes.",
    discussion: """
      When the command has exited but its output pipes are still held open (a daemon it started \
      with '&'), pipetrace waits --grace seconds, names the holders, and returns what was read. \
      On --timeout it kills the whole process tree, found through the tracer's fork events.
      """
  )

  @Option(help: ArgumentHelp("Kill the whole process tree after this many seconds.", valueName: "seconds"))
  var timeout: Double?

  @Option(help: ArgumentHelp("How long to wait for the output pipes to close after the command exits.", valueName: "seconds"))
  var grace: Double = 1

  @Option(help: ArgumentHelp("Standard input: a file, or - for pipetrace's own (default /dev/null).", valueName: "file"))
  var input: String?

  @Flag(help: "One JSON object on stdout instead of the output and a log line.")
  var json = false

  @Flag(help: "Also pass the output through live.")
  var tee = false

  @Option(name: .customLong("on-leak"), help: ArgumentHelp("What to do with leaked pipe holders: report, close or kill.", valueName: "action"))
  var onLeak: String = "report"

  @Option(name: .short, help: ArgumentHelp("Run this string with /bin/sh -c.", valueName: "shell string"))
  var c: String?

  @Option(help: ArgumentHelp("Characters of each stream shown in the log line.", valueName: "n"))
  var trim: Int = 200

  /// Set by main from what follows `--` (the root command's terminator argument would take it).
  @Argument(parsing: .remaining, help: "The command (after --).")
  var command: [String] = []

  func run() throws {
    var argv = command
    if let shell = c {
      guard argv.isEmpty else { throw CLIFailure("give either -c 'shell string' or a command after --, not both") }
      argv = ["/bin/sh", "-c", shell]
    }
    guard !argv.isEmpty else { throw CLIFailure("nothing to run: give a command after -- or -c 'shell string'") }
    guard let action = CommandRunner.LeakAction(rawValue: onLeak) else {
      throw CLIFailure("--on-leak takes report, close or kill, not '\(onLeak)'")
    }
    if let t = timeout, !(t > 0) { throw CLIFailure("--timeout takes a number of seconds above 0, not \(t)") }
    guard grace >= 0 else { throw CLIFailure("--grace takes a number of seconds of 0 or more, not \(grace)") }
    guard trim >= 0 else { throw CLIFailure("--trim takes a count of 0 or more, not \(trim)") }

    var config = CommandRunner.Configuration(command: argv)
    config.timeout = timeout
    config.grace = grace
    config.tee = tee && !json
    config.onLeak = action
    switch input {
    case nil: config.input = .null
    case "-": config.input = .inherit
    case let path?: config.input = .file(path)
    }
    let record: RunRecord
    do {
      record = try CommandRunner(config).run()
    } catch {
      let launch: Bool
      if case .launch(let e) = error { launch = e.isLaunchError } else { launch = false }
      throw CLIFailure(error.description, code: launch ? 127 : 2)
    }
    if json {
      var text = RunReport.json(record)
      text += "\n"
      text.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
    } else {
      if !config.tee {
        record.stdout.withUnsafeBytes { try? writeAll(1, $0) }
        record.stderr.withUnsafeBytes { try? writeAll(2, $0) }
      }
      printError(RunReport.logLine(record, trim: trim))
    }
    throw ExitCodeValue(record.status)
  }
}
