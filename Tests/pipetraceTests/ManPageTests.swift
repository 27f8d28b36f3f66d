import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// pipetrace.1 renders without a warning and names every mode and every option --help shows.
final class ManPageTests: XCTestCase {
  var page: String { InstallTests.repository + "/pipetrace.1" }

  func testRendersWithoutWarnings() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") else {
      throw XCTSkip("groff is not installed (bash .ci/setup installs it)")
    }
    let r = try runProgram("/usr/bin/groff", ["-ww", "-man", "-Tutf8", page])
    XCTAssertEqual(r.status, 0)
    XCTAssertEqual(r.stderr, "", "groff warnings")
    XCTAssertTrue(r.stdout.contains("PIPETRACE(1)"))
  }

  func testNamesEveryModeAndOption() throws {
    let roff = try String(contentsOfFile: page, encoding: .utf8)
    // In roff a '-' of an option is written \-.
    let text = roff.replacingOccurrences(of: "\\-", with: "-")
    for mode in ["why", "inject-close", "report", "run", "demo"] {
      XCTAssertTrue(text.contains("pipetrace \(mode)") || text.contains("pipetrace --\(mode)"), "mode \(mode)")
    }
    for args in [["--help"], ["why", "--help"], ["--inject-close", "--help"], ["report", "--help"], ["run", "--help"], ["demo", "--help"]] {
      let help = try CLI.run(args).stdout
      guard let options = help.range(of: "\nOPTIONS:\n") else { XCTFail("no OPTIONS in \(args)"); continue }
      // Every option section: OPTIONS and the titled groups (the trace's strace options) before it.
      let sections = help.range(of: "\nARGUMENTS:\n").map { help[$0.upperBound...] } ?? help[options.upperBound...]
      for line in sections.split(separator: "\n") where line.hasPrefix("  -") {
        let words = line.split(separator: " ")
        guard let first = words.first, first.hasPrefix("-") else { continue }
        for word in words.prefix(2) where word.hasPrefix("-") {
          let option = String(word.trimmingCharacters(in: CharacterSet(charactersIn: ",")))
          if option == "-h" || option == "--help" || option == "--version" { continue }
          XCTAssertNotNil(text.range(of: option + #"(?![a-z-])"#, options: .regularExpression), "\(args.first!): \(option) is not in pipetrace.1")
        }
      }
    }
  }
}
