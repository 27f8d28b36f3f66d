import ArgumentParser
import PipeTraceKit

/// `pipetrace --inject-close PID FD... [--dry-run] [--expect pipe:[INODE]]`, also spelled
/// `pipetrace inject-close ...` (`Pipetrace.spellingModes` turns the first into the second).
struct InjectCloseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inject-close",
    abstract: "Take fds away from another process (ptrace): /dev/null in their place, then it goes on as it was.",
    usage: """
      pipetrace --inject-close PID FD... [--dry-run] [--expect pipe:[INODE]] [--plain-close]
      pipetrace --inject-close PID -- FD...
      """,
    discussion: """
      Seizes every thread of PID and interrupts it, checks each FD again (the same device and \
      inode as when checked, the link --expect names), then in one thread puts /dev/null in its \
      place (open, dup2 over it, close the temporary: the number stays taken, so a daemon that runs \
      on never hands it to a new file or connection; --plain-close runs close(FD) instead), restores \
      every register so that an interrupted call (a read, a sleep) goes on as if nothing happened, \
      and detaches. A 32-bit process gets int $0x80 and i386 numbers. This is the fix `pipetrace \
      why PID` prints for a leaked fd. Exit status: 0 when every fd was replaced (closed; or, with \
      --dry-run, checked), 1 when one was not, 64 on bad input.

      Examples:
        pipetrace --inject-close 4242 1 2 --dry-run
        pipetrace --inject-close 4242 1 --expect 'pipe:[31337]'
        pipetrace --inject-close 4242 5 --plain-close
      """)

  @Argument(help: ArgumentHelp("The process to close the fds in.", valueName: "PID"), completion: .pids)
  var pid: String

  // Unrecognized tokens too: `-5` is a (negative) fd to refuse with its own message, not an option.
  @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The fds to close, one or more.", valueName: "FD"))
  var fds: [String] = []

  @Flag(name: .customLong("dry-run"), help: "Check and show the fds, close nothing.")
  var dryRun = false

  @Option(name: .long, help: ArgumentHelp("Refuse any fd that does not point to this object (its /proc/PID/fd link text).", valueName: "pipe:[INODE]"))
  var expect: String?

  @Flag(name: .customLong("plain-close"),
        help: "close(FD), freeing its number for the process's next open or accept, instead of putting /dev/null in its place.")
  var plainClose = false

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
      plan = try InjectClose.plan(pid: pid, fds: numbers, expect: expect, mode: plainClose ? .plainClose : .replaceWithNull)
    } catch {
      throw CLIFailure(error.description, code: 1)
    }
    let prefix = "pid \(plan.pid) (\(DisplayText.escape(plan.comm)))"
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
    if results.contains(where: { !$0.outcome.released }) {
      throw CLIFailure(plainClose ? "not every fd was closed" : "not every fd was replaced", code: 1)
    }
  }

  private func emit(_ line: String) throws { try writeOut(line + "\n") }
}
