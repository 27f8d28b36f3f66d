import PipeTraceKit

/// `pipetrace --inject-close PID FD [FD...] [--dry-run] [--expect pipe:[INODE]]`.
struct InjectCloseCommand {
  /// PID then the fds, as given on the command line.
  var arguments: [String]
  var dryRun: Bool
  var expect: String?
  var mode: InjectClose.Mode = .replaceWithNull

  func run() throws {
    guard let pidText = arguments.first else { throw CLIFailure("--inject-close needs PID FD [FD...]") }
    guard let pid = Int32(pidText) else { throw CLIFailure("invalid pid '\(pidText)': expected a number") }
    var fds: [Int32] = []
    for text in arguments.dropFirst() {
      guard let fd = Int32(text) else { throw CLIFailure("invalid fd '\(text)': expected a number") }
      fds.append(fd)
    }
    let plan: InjectClose.Plan
    do {
      plan = try InjectClose.plan(pid: pid, fds: fds, expect: expect, mode: mode)
    } catch {
      throw CLIFailure(error.description, code: 1)
    }
    let prefix = "pid \(plan.pid) (\(DisplayText.escape(plan.comm)))"
    for line in plan.descriptions { emit("\(prefix): \(line)") }
    if dryRun {
      emit("\(prefix): dry run, nothing closed")
      return
    }
    let results: [(fd: Int32, outcome: InjectClose.Outcome)]
    do {
      results = try InjectClose.perform(plan)
    } catch {
      throw CLIFailure(error.description, code: 1)
    }
    for r in results { emit("\(prefix): fd \(r.fd) \(r.outcome.text)") }
    if results.contains(where: { !$0.outcome.released }) {
      throw CLIFailure(mode == .plainClose ? "not every fd was closed" : "not every fd was replaced", code: 1)
    }
  }

  private func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
  }
}
