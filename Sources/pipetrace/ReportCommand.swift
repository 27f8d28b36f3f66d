import ArgumentParser
import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

extension ReportFormat: ExpressibleByArgument {}

/// `pipetrace report FILE...`: the post-mortem timing report of saved traces.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Report on saved traces (pipetrace --json or strace logs; several files for strace -ff).",
    discussion: """
      A FILE of - is the standard input.

      Examples:
        pipetrace report trace.jsonl
        pipetrace report --format html -o report.html trace.jsonl
        zcat trace.jsonl.gz | pipetrace report --min-block 1s -
      """)

  @Option(help: "Output format: text, json, chrome (Perfetto / chrome://tracing) or html.")
  var format: ReportFormat = .text

  @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the report to FILE instead of stdout.", valueName: "file"), completion: .file())
  var o: String?


  @Option(name: .customLong("min-block"), help: ArgumentHelp("List calls at least this long (100ms, 1s, 250us, 0.5).", valueName: "time"))
  var minBlock: String = "100ms"

  @Argument(help: "Trace files (- for the standard input).", completion: .file())
  var files: [String] = []

  func run() throws {
    guard !files.isEmpty else { throw CLIFailure("report: no trace file given") }
    guard let threshold = Self.seconds(minBlock) else {
      throw CLIFailure("report: --min-block \(minBlock): expected a duration like 100ms, 1s, 250us")
    }
    let reader: TraceReader
    do {
      reader = try TraceInput.open(paths: files.map { $0 == "-" ? "/dev/stdin" : $0 }, keepData: false, prefetch: true)
    } catch let failure as ReadFailure {
      throw CLIFailure(failure.message, code: 1)
    }
    let builder = ReportBuilder(options: .init(minBlock: threshold, keepCalls: format == .chrome))
    let report = builder.consume(reader)
    try write(format.render(report, title: files.joined(separator: " ")))
    if report.badLines.count > 0, let first = report.badLines.samples.first {
      printError("pipetrace: warning: \(report.badLines.count) unreadable line(s); first at \(first.file):\(first.line): \(first.reason)")
    }
  }

  private func write(_ text: String) throws {
    guard let o else { return try writeOut(text) }
    let fd = try openForWriting(o)
    do {
      try writeOut(text, to: fd, name: o)
    } catch {
      close(fd)
      throw error
    }
    try closeWritten(fd, name: o)
  }

  /// `100ms`, `1s`, `250us`, `2m`, or plain seconds.
  static func seconds(_ text: String) -> Double? {
    let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000001), ("µs", 0.000001), ("ns", 1e-9), ("s", 1), ("m", 60)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
      return Double(text.dropLast(suffix.count)).map { $0 * scale }.flatMap { $0 >= 0 ? $0 : nil }
    }
    return Double(text).flatMap { $0 >= 0 ? $0 : nil }
  }
}
