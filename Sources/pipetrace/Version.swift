/// pipetrace's version, the one place it is written (`pipetrace --version`, the man page's footer
/// through the install step). The `version` of a JSON trace's `start` line is the schema's version,
/// kept apart in JSONLinesWriter.
enum PipetraceVersion {
  static let current = "0.2.0"
}
