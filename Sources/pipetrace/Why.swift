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

      Exit status: 0 a fix was found (the Fix line); 2 blocked, but no safe fix (a deadlock, live \
      work, a peer that must answer); 3 not blocked (running, stopped, or an idle event loop); \
      1 no answer (no such process, a zombie or kernel thread, its state unreadable, bad input).
      """)

  @Argument(help: "The process to explain (not with --all).")
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
    if min != 5 || verbose { throw CLIFailure("--min and --verbose go with --all", code: 1) }
    guard let pid else { throw CLIFailure("why needs a pid (or --all)", code: 1) }
    guard let number = Int32(pid) else { throw CLIFailure("invalid pid '\(pid)': expected a number", code: 1) }
    let diagnosis: HangDiagnosis
    do {
      diagnosis = try diagnoseHang(pid: number)
    } catch let error as DiagnosisError {
      throw CLIFailure(error.description, code: 1)
    }
    // main parses a subcommand on its own, so --json here is always this command's.
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
    if let pid { throw CLIFailure("--all explains every blocked process: give no pid (got '\(pid)')", code: 1) }
    if stack { throw CLIFailure("--stack goes with a pid, not --all", code: 1) }
    guard min.isFinite, min >= 0 else { throw CLIFailure("invalid --min \(min): expected seconds >= 0", code: 1) }
    let survey = HangSurvey.scan(minimum: min)
    var text = json ? survey.json() : survey.render(verbose: verbose)
    text.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
    if survey.exitStatus != 0 { throw ExitCodeValue(survey.exitStatus) }
  }
}
