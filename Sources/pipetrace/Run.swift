import ArgumentParser
import PipeTraceKit

extension CommandRunner.LeakAction: ExpressibleByArgument {}

/// `pipetrace run [OPTIONS] -- CMD ARGS...` / `pipetrace run -c 'shell string'`.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a command with stdout and stderr captured apart; it cannot hang on leaked pipes.",
    discussion: """
      When the command has exited but its output pipes are still held open (a daemon it started \
      with '&'), pipetrace waits --grace seconds, names the holders, and returns what was read. \
      On --timeout it kills the whole process tree (SIGKILL), found through the tracer's fork events, \
      also the children it forks while it is killed. A SIGTERM or SIGINT to run does the same while \
      the command runs; once it has exited (during --grace) it only ends the wait, and the holders \
      get what --on-leak says.

      A leak inside the command's own pipeline ('{ sleep 300 & echo hi; } | wc -l') never reaches \
      run's pipes: with --stuck-after S (default 5), a task of the tree blocked S seconds on a leak \
      that 'why' proves is named on stderr, and --on-leak close or kill unsticks it or ends its \
      holders.

      What happens to the holders (--on-leak): 'report' leaves them running, writing into a pipe \
      whose reader is gone: their next write fails with EPIPE, or SIGPIPE ends them. 'close' puts \
      /dev/null in place of the leaked fds inside them (as --inject-close does) and they run on. \
      'kill' sends SIGTERM to them and what they start, \
      then SIGKILL after another --grace seconds to those still alive.

      Output: each stream keeps at most --keep bytes in memory (its first and last halves). Without \
      --tee and --json the rest waits in an unlinked file in $TMPDIR (default /tmp), so both streams \
      are printed whole when the command is done; --json leaves it out and counts it \
      (stdout_omitted, stdout_tail). A write error on pipetrace's own stdout/stderr is reported once \
      and the exit status is then 1 when the command succeeded.

      The command runs traced (ptrace), and the kernel lets a traced exec gain privileges only when \
      the tracer has CAP_SYS_PTRACE: run by any user but root, a set-user-ID or set-group-ID \
      program (or one with file capabilities) loses its privileges under pipetrace run and runs \
      with the caller's own ids. Run such a program outside pipetrace.

      Examples:
        pipetrace run --timeout 60 -- make test
        pipetrace run -q --on-leak=kill -c './start-daemon.sh'
        pipetrace run --json -- ./build.sh > result.json
      """
  )

  @Option(help: ArgumentHelp("Kill the whole process tree after this many seconds.", valueName: "seconds"))
  var timeout: Double?

  @Option(help: ArgumentHelp("How long to wait for the output pipes to close after the command exits (and, with --on-leak=kill, for the holders to end after SIGTERM).", valueName: "seconds"))
  var grace: Double = 1

  @Option(help: ArgumentHelp("Standard input: a file, or - for pipetrace's own (default /dev/null).", valueName: "file"),
          completion: .file())
  var input: String?

  @Flag(help: "One JSON object on stdout instead of the output and a log line.")
  var json = false

  @Flag(help: "Also pass the output through live.")
  var tee = false

  @Flag(name: .short, help: "No log line when the command succeeds and no pipe was leaked.")
  var q = false

  @Option(name: .customLong("on-leak"), help: ArgumentHelp(
    "What to do with leaked pipe holders: report (leave them running; their next write gets EPIPE or SIGPIPE), close (/dev/null in place of their leaked fds), kill (SIGTERM, then SIGKILL after --grace).",
    valueName: "action"))
  var onLeak: CommandRunner.LeakAction = .report

  @Option(name: .customLong("stuck-after"), help: ArgumentHelp(
    "Name a task of the tree blocked this long on a proven leaked pipe inside the command (and, with --on-leak close or kill, unstick it); 0: off.",
    valueName: "seconds"))
  var stuckAfter: Double = 5

  @Flag(name: .long, help: "With --timeout (or a signal that ends the command): also the user-space stack of every blocked thread in the autopsy (each process is stopped for a moment before the kill).")
  var stack = false

  @Option(name: .short, help: ArgumentHelp("Run this string with /bin/sh -c.", valueName: "shell string"))
  var c: String?

  @Option(help: ArgumentHelp("Characters of each stream shown in the log line (newlines as ⏎, … when cut).", valueName: "n"))
  var trim: Int = 200

  @Option(help: ArgumentHelp(
    "Bytes of each stream kept in memory: its first and last halves (K, M, G suffixes; default 8M). The rest is passed on live with --tee, written to a temporary file in $TMPDIR and printed at the end without it, left out of --json (counted in stdout_omitted).",
    valueName: "size"))
  var keep: String = "8M"

  @Argument(parsing: .remaining, help: "The command (after --).")
  var command: [String] = []

  func run() throws {
    var argv = command
    if let shell = c {
      guard argv.isEmpty else { throw CLIFailure("give either -c 'shell string' or a command after --, not both") }
      argv = ["/bin/sh", "-c", shell]
    }
    guard !argv.isEmpty else { throw CLIFailure("nothing to run: give a command after -- or -c 'shell string'") }
    if let t = timeout, !(t > 0) { throw CLIFailure("--timeout takes a number of seconds above 0, not \(t)") }
    guard stuckAfter >= 0 else { throw CLIFailure("--stuck-after takes a number of seconds of 0 or more, not \(stuckAfter)") }
    guard grace >= 0 else { throw CLIFailure("--grace takes a number of seconds of 0 or more, not \(grace)") }
    guard trim >= 0 else { throw CLIFailure("--trim takes a count of 0 or more, not \(trim)") }
    guard let keepBytes = Self.byteCount(keep), keepBytes >= 2 else {
      throw CLIFailure("--keep takes a size of 2 bytes or more like 512K, 8M, 1G, not '\(keep)'")
    }

    var config = CommandRunner.Configuration(command: argv)
    // A command after `--` gets its arguments byte for byte, also those that are not UTF-8.
    if c == nil { config.arguments = RawArguments.trailing(argv) }
    config.timeout = timeout
    config.grace = grace
    config.tee = tee && !json
    config.keep = keepBytes
    // Printed whole at the end: what does not fit in memory waits in a temporary file.
    config.spill = !json && !config.tee
    config.onLeak = onLeak
    config.stuckAfter = stuckAfter > 0 ? stuckAfter : nil
    config.autopsyOnStderr = !json
    config.autopsyStacks = stack
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
    // An output that could not be written whole (each reported once) is never a success.
    var failed = record.teeFailed
    func attempt(_ write: () throws -> Void) {
      do { try write() } catch let failure as CLIFailure {
        printError("pipetrace: \(failure.message)")
        failed = true
      } catch {
        failed = true
      }
    }
    if json {
      attempt { try writeOut(RunReport.json(record) + "\n") }
    } else {
      if !config.tee {
        for (name, fd, stream) in [("stdout", Int32(1), record.stdout), ("stderr", Int32(2), record.stderr)] {
          attempt {
            do { try stream.write(to: fd) } catch let error as Errno { throw CLIFailure("\(name): \(error.message)", code: 1) }
          }
          if let why = stream.spillError, stream.lost > 0 {
            printError("pipetrace: \(name): \(stream.lost) bytes left out of the middle: \(why)")
            failed = true
          }
        }
      }
      if !(q && record.status == 0 && record.holders.isEmpty) {
        attempt { try writeOut(RunReport.logLine(record, trim: trim) + "\n", to: 2, name: "stderr") }
      }
    }
    if failed && record.status == 0 { throw ExitCodeValue(1) }
    throw ExitCodeValue(record.status)
  }

  /// `4096`, `512K`, `8M`, `1G` (binary multiples).
  static func byteCount(_ text: String) -> Int? {
    let scales: [Character: Int] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
    var digits = Substring(text)
    var scale = 1
    if let last = digits.last, let s = scales[last] {
      scale = s
      digits = digits.dropLast()
    }
    guard let n = Int(digits), n >= 0, n <= Int.max / scale else { return nil }
    return n * scale
  }
}
