import ArgumentParser
import PipeTraceKit

/// `pipetrace --inject-close PID FD... [--dry-run] [--expect pipe:[INODE]]`. main maps that form
/// (and `pipetrace inject-close ...`) to this command, so that it has its own help page.
struct InjectCloseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inject-close",
    abstract: "Close fds inside another process (ptrace), then let it go on as it was.",
    usage: """
      pipetrace --inject-close PID FD... [--dry-run] [--expect pipe:[INODE]]
      pipetrace --inject-close PID -- FD...
      """,
    discussion: """
      Seizes one thread of PID, interrupts it, runs close(FD) for each FD inside it, restores every \
      register so that an interrupted call (a read, a sleep) goes on as if nothing happened, and \
      detaches. Nothing else of the process changes. This is the fix `pipetrace why PID` prints \
      for a leaked write end. Exit status: 0 when every fd was closed (or, with --dry-run, \
      checked), 1 when one was not, 2 on bad input.
      """,
    shouldDisplay: false)

  @Argument(help: ArgumentHelp("The process to close the fds in.", valueName: "PID"))
  var pid: String

  // Unrecognized tokens too: `-5` is a (negative) fd to refuse with its own message, not an option.
  @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The fds to close, one or more.", valueName: "FD"))
  var fds: [String] = []

  @Flag(name: .customLong("dry-run"), help: "Check and show the fds, close nothing.")
  var dryRun = false

  @Option(name: .long, help: ArgumentHelp("Refuse any fd that does not point to this object (its /proc/PID/fd link text).", valueName: "pipe:[INODE]"))
  var expect: String?

  func run() throws {
    guard let pid = Int32(self.pid) else { throw CLIFailure("invalid pid '\(self.pid)': expected a number") }
    var numbers: [Int32] = []
    for text in fds where text != "--" {
      guard let fd = Int32(text) else { throw CLIFailure("invalid fd '\(text)': expected a number") }
      guard fd >= 0 else { throw CLIFailure("invalid fd \(fd): an fd is a number of 0 or more") }
      numbers.append(fd)
    }
    guard !numbers.isEmpty else { throw CLIFailure("no fd given: \(SelfCommand.name) --inject-close PID FD [FD...]") }
    let plan: InjectClose.Plan
    do {
      plan = try InjectClose.plan(pid: pid, fds: numbers, expect: expect)
    } catch {
      throw CLIFailure(error.description, code: 1)
    }
    let prefix = "pid \(plan.pid) (\(plan.comm))"
    for line in plan.descriptions { try emit("\(prefix): \(line)") }
    if dryRun {
      try emit("\(prefix): dry run, nothing closed")
      return
    }
    let results: [(fd: Int32, outcome: InjectClose.Outcome)]
    do {
      results = try InjectClose.perform(plan)
    } catch {
      throw CLIFailure(error.description, code: 1)
    }
    for r in results { try emit("\(prefix): fd \(r.fd) \(r.outcome.text)") }
    if results.contains(where: { $0.outcome != .closed }) { throw CLIFailure("not every fd was closed", code: 1) }
  }

  private func emit(_ line: String) throws { try writeOut(line + "\n") }
}
