import XCTest
import PipeTraceKit

final class ProcFSTests: XCTestCase {
  func testStatParsesCommWithSpacesAndParens() throws {
    let stat = try XCTUnwrap(ProcStat.parse("42 (a b) c)) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 0 0"))
    XCTAssertEqual(stat.comm, "a b) c)")
    XCTAssertEqual(stat.state, "S")
    XCTAssertEqual(stat.ppid, 1)
    XCTAssertEqual(stat.startTime, 777)
  }

  func testSyscallFileForms() {
    XCTAssertEqual(SyscallState.parse("running\n"), .running)
    XCTAssertEqual(SyscallState.parse("-1 0x7ffc 0x4010\n"), .outside(sp: 0x7ffc, pc: 0x4010))
    XCTAssertEqual(
      SyscallState.parse("0 0x3 0x7f00 0x1000 0x0 0x0 0x0 0x7ffd 0x7f12\n"),
      .inSyscall(number: 0, args: [3, 0x7f00, 0x1000, 0, 0, 0], sp: 0x7ffd, pc: 0x7f12))
  }
}
