import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace run` traces its command: run by a user without CAP_SYS_PTRACE, a set-user-ID program
/// loses its privileges (as `run --help` and the README say).
final class RunPrivilegeTests: XCTestCase {
  func testASetuidProgramRunsWithTheCallersIdsUnderRun() throws {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
      throw XCTSkip("needs root (to make a set-user-ID program) and setpriv")
    }
    let dir = temporaryFile("suid")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    chmod(dir, 0o755)
    let program = dir + "/id"
    try FileManager.default.copyItem(atPath: "/usr/bin/id", toPath: program)
    XCTAssertEqual(chmod(program, 0o4755), 0)
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
    // Outside pipetrace the set-user-ID bit works here (the file system is not nosuid) ...
    let direct = try runProgram("/usr/bin/setpriv", nobody + ["--", program, "-u"])
    guard direct.stdout == "0\n" else { throw XCTSkip("set-user-ID has no effect in \(dir): \(direct.stdout)") }
    // ... under `pipetrace run`, started by the same user, it does not.
    let traced = try runProgram("/usr/bin/setpriv", nobody + ["--", CLI.binary, "run", "--", program, "-u"])
    XCTAssertEqual(traced.status, 0, traced.stderr)
    XCTAssertEqual(traced.stdout, "65534\n")
  }
}
