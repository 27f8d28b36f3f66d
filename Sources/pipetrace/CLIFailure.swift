/// A refusal the user caused: printed as one line `pipetrace: MESSAGE`, exit `code`.
struct CLIFailure: Error {
  var message: String
  var code: Int32 = 2
  init(_ message: String, code: Int32 = 2) {
    self.message = message
    self.code = code
  }
}
