import ArgumentParser
import PipeTraceKit

/// `pipetrace why PID`: explains from /proc why a process is stuck, and prints the fix.
struct Why: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Explain why a process is blocked (pipes, holders, wait chain) and how to unblock it.",
    discussion: """
      Follows pipes, FIFOs, UNIX stream sockets (to their peer, as ss -xp), pty masters (to the \
      holders of the slave) and children, through nested pipelines to the process that leaked the \
      fd. The printed fix replaces each leaked fd with /dev/null (--inject-close; --plain-close \
      frees the number instead). Processes whose fds pipetrace may not read are counted: the \
      answer may then be incomplete.

      Each holder is classified on evidence (leaked, pipeline stage, server/peer, itself or its own \
      thread, unknown); a Fix only closes proven leaks, never a live writer.

      Exit status: 0 a proven leak (the Fix line); 2 blocked, but nothing proven safe to close (a \
      deadlock, live pipeline stages, a server or peer, its own thread, a stopped or unknown \
      holder); 3 not blocked (running, stopped, or an idle event loop); 1 no answer (no such \
      process, a zombie or kernel thread, its state unreadable); 64 a usage error (a pid that is \
      not a number, an unknown option).

      Examples:
        pipetrace why 1234
        pipetrace why --json 1234 | jq -r .fix
        pipetrace why --stack $(pgrep -n make)
      """)

  @Argument(help: "The process to explain (not with --all).", completion: .pids)
  var pid: String?

  @Flag(name: .long, help: "Every process on the machine blocked at least --min seconds on another process: the stuck ones (a proven leak, a deadlock, a wait nothing can end), one line each with the Fix where `why PID` prints one; the healthy ones (pipelines, peers, idle loops) counted. Exit status 0 nothing stuck, 2 something stuck.")
  var all = false

  @Option(name: .long, help: "With --all: the shortest blocked time that counts, in seconds.")
  var min: Double = 5

  @Flag(name: .long, help: "With --all: also list the healthy waits.")
  var verbose = false

  @Flag(name: .long, help: "One JSON object instead of text.")
  var json = false

  @Flag(name: .long, help: "Also the user-space stack of every blocked thread in the wait chain (each is stopped for a moment).")
  var stack = false

  func run() throws {
    if all { return try survey() }
    if min != 5 || verbose { throw CLIFailure("--min and --verbose go with --all") }
    guard let pid else { throw CLIFailure("why needs a pid (or --all)") }
    guard let number = Int32(pid) else { throw CLIFailure("invalid pid '\(pid)': expected a number") }
    let diagnosis: HangDiagnosis
    do {
      diagnosis = try diagnoseHang(pid: number)
    } catch let error as DiagnosisError {
      throw CLIFailure(error.description, code: 1)
    }
    var text = json ? diagnosis.json() : diagnosis.render()
    if stack {
      let stacks = StackSnapshot.capture(diagnosis)
      if json, case .object(var fields) = diagnosis.jsonValue {
        fields.append(("stacks", StackSnapshot.json(stacks)))
        text = JSONValue.object(fields).text + "\n"
      } else if !json {
        text += "\n" + StackSnapshot.render(stacks)
      }
    }
    var bytes = text
    bytes.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
    let status = diagnosis.outcome.exitStatus
    if status != 0 { throw ExitCodeValue(status) }
  }

  /// `why --all`.
  private func survey() throws {
    if let pid { throw CLIFailure("--all explains every blocked process: give no pid (got '\(pid)')") }
    if stack { throw CLIFailure("--stack goes with a pid, not --all") }
    guard min.isFinite, min >= 0 else { throw CLIFailure("invalid --min \(min): expected seconds >= 0") }
    let survey = HangSurvey.scan(minimum: min)
    var text = json ? survey.json() : survey.render(verbose: verbose)
    text.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
    if survey.exitStatus != 0 { throw ExitCodeValue(survey.exitStatus) }
  }
}
