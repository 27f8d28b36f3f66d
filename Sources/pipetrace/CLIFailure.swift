/// A refusal: printed as one line `pipetrace: MESSAGE`, exit `code` (by default `usage`: the user's
/// input was wrong).
struct CLIFailure: Error {
  var message: String
  var code: Int32
  init(_ message: String, code: Int32 = CLIFailure.usage) {
    self.message = message
    self.code = code
  }

  /// The exit status of a usage error in every mode: EX_USAGE, as swift-argument-parser's own.
  static let usage: Int32 = 64
}
