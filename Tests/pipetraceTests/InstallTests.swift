import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// scripts/install.sh puts the binary, the man page (with the version) and the bash, zsh and fish
/// completions under a prefix. The built binary is given with --binary: a `swift build` inside
/// `swift test` would wait for the build folder the test run holds.
final class InstallTests: XCTestCase {
  static var repository: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  }

  func testInstallUnderAPrefix() throws {
    let prefix = temporaryFile("prefix")
    defer { try? FileManager.default.removeItem(atPath: prefix) }
    let r = try runProgram("/bin/bash", [Self.repository + "/scripts/install.sh", "--binary", CLI.binary, "--prefix", prefix])
    XCTAssertEqual(r.status, 0, r.stderr)
    let version = try CLI.run(["--version"]).stdout

    let installed = prefix + "/bin/pipetrace"
    XCTAssertTrue(FileManager.default.isExecutableFile(atPath: installed))
    XCTAssertEqual(try runProgram(installed, ["--version"]).stdout, version)

    let man = try String(contentsOfFile: prefix + "/share/man/man1/pipetrace.1", encoding: .utf8)
    XCTAssertTrue(man.contains("\"pipetrace \(version.trimmingCharacters(in: .newlines))\""), "no version in the man page's .TH line")

    let bash = prefix + "/share/bash-completion/completions/pipetrace"
    XCTAssertNotNil(try String(contentsOfFile: bash, encoding: .utf8).range(of: #"\ncomplete .*-F _pipetrace pipetrace\n"#, options: .regularExpression))
    XCTAssertEqual(try runProgram("/bin/bash", ["-n", bash]).status, 0, "the bash completion does not parse")
    XCTAssertTrue(try String(contentsOfFile: prefix + "/share/zsh/site-functions/_pipetrace", encoding: .utf8).hasPrefix("#compdef pipetrace"))
    XCTAssertTrue(try String(contentsOfFile: prefix + "/share/fish/vendor_completions.d/pipetrace.fish", encoding: .utf8)
      .contains("\ncomplete -c 'pipetrace' "))

    // man finds it under the prefix.
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/man") {
      let found = try runProgram("/usr/bin/man", ["-w", "pipetrace"], environment: ["MANPATH": prefix + "/share/man", "PATH": "/usr/bin:/bin"])
      XCTAssertEqual(found.stdout, prefix + "/share/man/man1/pipetrace.1\n")
    }
  }

  func testTheInstalledBinaryOnPATHPrintsPlainPipetrace() throws {
    let prefix = temporaryFile("prefix")
    defer { try? FileManager.default.removeItem(atPath: prefix) }
    XCTAssertEqual(try runProgram("/bin/bash", [Self.repository + "/scripts/install.sh", "--binary", CLI.binary, "--prefix", prefix]).status, 0)
    let r = try runProgram(prefix + "/bin/pipetrace", ["--inject-close", "1"], environment: ["PATH": prefix + "/bin:/usr/bin:/bin"])
    XCTAssertEqual(r.stderr, "pipetrace: no fd given: pipetrace --inject-close PID FD [FD...]\n")
  }

  /// Another build already installed (or found on PATH) is named, with its version, before it is
  /// replaced; installing the same binary again says nothing.
  func testReplacingAnotherPipetraceIsSaid() throws {
    let prefix = temporaryFile("prefix")
    defer { try? FileManager.default.removeItem(atPath: prefix) }
    try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
    try "#!/bin/sh\necho 0.0.1\n".write(toFile: prefix + "/bin/pipetrace", atomically: true, encoding: .utf8)
    chmod(prefix + "/bin/pipetrace", 0o755)
    let version = try CLI.run(["--version"]).stdout.trimmingCharacters(in: .newlines)
    let environment = ["PATH": prefix + "/bin:/usr/bin:/bin"]
    let install = ["/bin/bash", Self.repository + "/scripts/install.sh", "--binary", CLI.binary, "--prefix", prefix]
    let first = try runProgram(install[0], Array(install.dropFirst()), environment: environment)
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(first.stderr, "install.sh: warning: replacing \(prefix)/bin/pipetrace (0.0.1) with \(version)\n")
    let again = try runProgram(install[0], Array(install.dropFirst()), environment: environment)
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertEqual(again.stderr, "")

    // One elsewhere on PATH, before the prefix: named too.
    let other = temporaryFile("otherbin")
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: other) }
    try "#!/bin/sh\necho 0.0.2\n".write(toFile: other + "/pipetrace", atomically: true, encoding: .utf8)
    chmod(other + "/pipetrace", 0o755)
    let shadowed = try runProgram(install[0], Array(install.dropFirst()), environment: ["PATH": "\(other):\(prefix)/bin:/usr/bin:/bin"])
    XCTAssertEqual(shadowed.status, 0, shadowed.stderr)
    XCTAssertTrue(shadowed.stderr.contains("install.sh: warning: another pipetrace is on PATH: \(other)/pipetrace (0.0.2)"), shadowed.stderr)
  }

  func testBadArgumentsAreOneLine() throws {
    let r = try runProgram("/bin/bash", [Self.repository + "/scripts/install.sh", "--prefix", "relative/dir"])
    XCTAssertEqual(r.status, 2)
    XCTAssertEqual(r.stderr, "install.sh: --prefix must be an absolute path, not 'relative/dir'\n")
  }
}
