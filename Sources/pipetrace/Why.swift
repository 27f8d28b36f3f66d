import ArgumentParser
import PipeTraceKit

/// `pipetrace why PID`: explains from /proc why a process is stuck, and prints the fix.
struct Why: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Explain why a process is blocked (pipes, holders, wait chain) and how to unblock it.")

  @Argument(help: "The process to explain.")
  var pid: String

  @Flag(name: .long, help: "One JSON object instead of text.")
  var json = false

  @Flag(name: .long, help: "Also the user-space stack of every blocked thread in the wait chain (each is stopped for a moment).")
  var stack = false

  func run() throws {
    guard let number = Int32(pid) else { throw CLIFailure("invalid pid '\(pid)': expected a number") }
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
  }
}
