import Foundation
import XCTest

import PipeTraceKit

/// Printed commands spell pipetrace so that, pasted, they run the same binary.
final class SelfCommandTests: TraceFileTestCase {
  func makeDir(_ name: String) throws -> String {
    let path = dir.appendingPathComponent(name).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  func testPipetraceOnlyWhenPATHsFirstPipetraceIsThisBinary() throws {
    let exe = try makeDir("build") + "/pipetrace"
    try FileManager.default.copyItem(atPath: "/bin/true", toPath: exe)
    let linked = try makeDir("linked")
    try FileManager.default.createSymbolicLink(atPath: linked + "/pipetrace", withDestinationPath: exe)
    let other = try makeDir("other")
    try FileManager.default.copyItem(atPath: "/bin/true", toPath: other + "/pipetrace")
    let notExecutable = try makeDir("noexec")
    XCTAssertTrue(FileManager.default.createFile(atPath: notExecutable + "/pipetrace", contents: Data("x".utf8),
                                                 attributes: [.posixPermissions: 0o644]))
    let empty = try makeDir("empty")

    XCTAssertEqual(SelfCommand.spelling(path: "/usr/bin:\(linked)", executable: exe), "pipetrace")
    XCTAssertEqual(SelfCommand.spelling(path: "\(notExecutable):\(linked)", executable: exe), "pipetrace")
    XCTAssertEqual(SelfCommand.spelling(path: empty, executable: exe), exe)
    XCTAssertEqual(SelfCommand.spelling(path: "", executable: exe), exe)
    // Another pipetrace comes first: a pasted `pipetrace` would run that one.
    XCTAssertEqual(SelfCommand.spelling(path: "\(other):\(linked)", executable: exe), exe)
    XCTAssertEqual(SelfCommand.spelling(path: "\(linked):\(other)", executable: exe), "pipetrace")
    // Unknown running binary (deleted): the plain name is all there is.
    XCTAssertEqual(SelfCommand.spelling(path: linked, executable: nil), "pipetrace")
  }

  func testAPathWithSpacesIsQuoted() throws {
    let exe = try makeDir("my build") + "/pipetrace"
    try FileManager.default.copyItem(atPath: "/bin/true", toPath: exe)
    XCTAssertEqual(SelfCommand.spelling(path: "/usr/bin", executable: exe), "'\(exe)'")
  }
}
