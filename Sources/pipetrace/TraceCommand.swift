import PipeTraceKit

/// Runs a live trace from the parsed options.
struct TraceCommand {
  var options: TraceOptions
  var command: [String]

  func run() throws {
    throw CLIFailure("tracing: under construction")
  }
}
