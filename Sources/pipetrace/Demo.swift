import ArgumentParser
import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace demo`: the seed's hang, reproduced with /bin/sh, traced, explained, fixed.
struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Reproduce the leaked-pipe hang with /bin/sh and solve it, end to end.",
    discussion: """
      Examples:
        pipetrace demo
        pipetrace demo --after 0.5
      """
  )

  @Option(help: ArgumentHelp("How long the reader blocks before pipetrace diagnoses and fixes it.", valueName: "seconds"))
  var after: Double = 1.5

  static let script = #"out=$(sh -c 'sleep 300 & echo start ok'); echo "reader got: $out""#

  func run() throws {
    guard after > 0 else { throw CLIFailure("--after takes seconds above 0, not \(after)") }
    let out = OutputBuffer(fd: 1)
    func say(_ text: String) {
      out.flush()
      printLine(text)
    }
    say("""
      == The hang ==
      A reader runs: sh -c '\(Demo.script)'
      The inner shell prints and exits at once, but `sleep 300 &` inherited the write end of the
      command-substitution pipe as its stdout. The reader waits for EOF, which comes only when every
      write end is closed: in 300 s. (Python's communicate() on such a script hangs the same way.)

      == Traced: \(SelfCommand.name) --stuck-after \(after) --unstick-after \(after) -- sh -c '...' ==
      """)

    // The command's stdout comes to us through a pipe, to check what the reader printed.
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw CLIFailure("cannot create a pipe: \(Errno.current.message)", code: 1) }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)

    var options = Tracer.Options()
    options.signalAware = true
    let responder = HangResponder(diagnoseAfter: after, unstickAfter: after)
    let report = ReportBuilder(options: .init(minBlock: 0.1))
    let cleanup = DemoCleanup()
    let tracer = try Tracer(
      options: options, sinks: [StraceFormatter(output: out, pidStyle: .bracketed), responder, report, cleanup], output: out)
    let root: Int32
    do {
      root = try tracer.launch(["/bin/sh", "-c", Demo.script], io: .init(stdout: fds[1]))
    } catch {
      throw CLIFailure(error.description, code: 1)
    }
    close(fds[1])
    cleanup.tree = ProcessTree(root: root)
    let started = Clock.monotonic()
    let outcome = tracer.run()
    let elapsed = Clock.monotonic() - started
    var printed: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
      if n <= 0 { break }
      printed.append(contentsOf: chunk[0..<n])
    }
    close(fds[0])
    let text = String(decoding: printed, as: UTF8.self)

    let closed = responder.closes.filter { $0.outcome.released }
    let unblocked = outcome.exitStatus == 0 && text.contains("reader got: start ok") && !closed.isEmpty
    say("""

      == Result ==
      The reader printed: \(text.trimmingCharacters(in: "\n"))
      It exited with status \(outcome.exitStatus) after \(NumberText.fixed(elapsed, places: 3)) s instead of 300 s.
      Replaced by /dev/null in the leaked holder: \(closed.map { "pid \($0.pid) fd \($0.fd)" }.joined(separator: ", "))
      Cleaned up: \(cleanup.killed.isEmpty ? "nothing left" : "killed " + cleanup.killed.map(String.init).joined(separator: " ") + " (started by this demo)")
      \(unblocked ? "The reader was unblocked." : "The reader was NOT unblocked.")

      == Timing report (pipetrace report) ==
      """)
    report.finish()
    say(TextReport.render(report.makeReport(), title: "demo"))
    throw ExitCodeValue(unblocked ? 0 : 1)
  }
}

/// Ends what the demo started and left behind (the sleeper) once the reader has exited: the
/// command's process tree from the trace's fork and exit events, killed by pid.
final class DemoCleanup: EventSink {
  var tree: ProcessTree?
  private(set) var killed: [Int32] = []

  func handle(_ event: Event) {
    guard let tree else { return }
    tree.handle(event)
    if case .exit(let pid, let tid, _, _, _, _) = event, pid == tid, pid == tree.root {
      for p in tree.livePids.sorted() {
        kill(p, SIGKILL)
        killed.append(p)
      }
    }
  }

  func finish() {}
}

/// One line (or several) on stdout, unbuffered.
func printLine(_ text: String) {
  var t = text + "\n"
  t.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
}

extension String {
  func trimmingCharacters(in c: Character) -> String {
    var s = Substring(self)
    while s.first == c { s = s.dropFirst() }
    while s.last == c { s = s.dropLast() }
    return String(s)
  }
}
