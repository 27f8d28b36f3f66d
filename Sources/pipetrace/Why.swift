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

  // The root's trace options also define --json and win the parse; read it from there too.
  @ParentCommand var root: Pipetrace

  func run() throws {
    guard let number = Int32(pid) else { throw CLIFailure("invalid pid '\(pid)': expected a number") }
    let diagnosis: HangDiagnosis
    do {
      diagnosis = try diagnoseHang(pid: number)
    } catch let error as DiagnosisError {
      throw CLIFailure(error.description, code: 1)
    }
    let text = json || root.trace.json ? diagnosis.json() : diagnosis.render()
    var bytes = text
    bytes.withUTF8 { try? writeAll(1, UnsafeRawBufferPointer($0)) }
  }
}
