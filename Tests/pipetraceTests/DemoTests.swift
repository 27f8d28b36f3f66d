import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `pipetrace demo`, the README's first command, end to end.
final class DemoTests: XCTestCase {
  func testDemoUnblocksTheReaderAndCleansUp() throws {
    let r = try CLI.run(["demo", "--after", "0.5"], timeout: 60)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.stdout.contains("The reader printed: reader got: start ok"), r.stdout)
    XCTAssertTrue(r.stdout.contains("The reader was unblocked."))
    // The trace shows the stuck read, the diagnosis, the injected replacement and the read returning EOF.
    XCTAssertNotNil(r.stdout.range(of: #"read\(3<pipe:\[\d+\]>,  <unfinished \.\.\.>"#, options: .regularExpression))
    XCTAssertTrue(r.stdout.contains("# Verdict:"))
    XCTAssertNotNil(r.stdout.range(of: #"inject-close \d+ fd 1 \(pipe:\[\d+\]\): replaced by /dev/null"#, options: .regularExpression), r.stdout)
    XCTAssertNotNil(r.stdout.range(of: #"<\.\.\. read resumed>"", \d+\) = 0"#, options: .regularExpression))
    // The injected calls are part of the trace, and the report names the release: /dev/null
    // put over the sleeper's fd 1.
    XCTAssertNotNil(r.stdout.range(of: #"dup2\(\d+</dev/null>, 1<pipe:\[\d+\]>\) = 1</dev/null>"#, options: .regularExpression), r.stdout)
    XCTAssertNotNil(r.stdout.range(of: #"released by \d+ sleep: replaced by dup2\(1\)"#, options: .regularExpression), r.stdout)
    // Everything the demo started is gone.
    let killed = r.stdout.range(of: #"Cleaned up: killed ([\d ]+)"#, options: .regularExpression).map { String(r.stdout[$0]) } ?? ""
    let pids = killed.split(separator: " ").compactMap { Int32($0) }
    XCTAssertFalse(pids.isEmpty, r.stdout)
    for p in pids {
      XCTAssertTrue(eventually { !isAlive(p) }, "pid \(p) still there")
    }
  }
}
