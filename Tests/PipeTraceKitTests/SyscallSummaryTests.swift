import XCTest

import PipeTraceKit

/// The -c table's layout on calls whose times are known, and strace's set syntax.
final class SyscallSummaryTests: XCTestCase {
  func call(_ name: String, _ seconds: Double, failed: Bool = false, returned: Bool = true) -> Event {
    var r = SyscallRecord(pid: 10, tid: 10, name: name, number: SyscallTable.x86_64.number(of: name) ?? 0,
                          args: [], timestamp: 1000, duration: seconds)
    if returned {
      r.ret = failed ? -1 : 0
      if failed { r.errno = Errno(9) }
    }
    return .syscall(r)
  }

  func table(_ events: [Event], sortBy: SyscallSummary.SortKey = .time, percentiles: Bool = false) -> String {
    let s = SyscallSummary(clock: .wall, sortBy: sortBy, percentiles: percentiles)
    for e in events {
      s.observe(e)
      s.count(e)
    }
    return s.render()
  }

  /// strace's widths (6, 11, 11, 9, 9, 16), blank error cells, the total line, time order.
  func testLayoutIsStraces() {
    let text = table([call("read", 0.25), call("read", 0.5), call("close", 0.000003, failed: true), call("write", 0.25),
                      call("exit_group", 0, returned: false)])
    XCTAssertEqual(text, """
      % time     seconds  usecs/call     calls    errors syscall
      ------ ----------- ----------- --------- --------- ----------------
       75.00    0.750000      375000         2           read
       25.00    0.250000      250000         1           write
        0.00    0.000003           3         1         1 close
      ------ ----------- ----------- --------- --------- ----------------
      100.00    1.000003      250000         4         1 total

      """)
  }

  /// A column grows when its figures outgrow strace's historical width; a long name widens the divider.
  func testWideFiguresWidenTheirColumns() {
    let text = table([call("epoll_pwait2_and_more", 123456.5)])
    let lines = text.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines[0], "% time       seconds   usecs/call     calls    errors syscall")
    XCTAssertEqual(lines[1], "------ ------------- ------------ --------- --------- ----------------------")
    XCTAssertEqual(lines[2], "100.00 123456.500000 123456500000         1           epoll_pwait2_and_more")
  }

  /// -S keys: calls and errors descending, names ascending, nothing in syscall-number order;
  /// ties keep syscall-number order.
  func testSortKeys() {
    let events = [call("write", 0.1), call("read", 0.1), call("close", 0.3, failed: true), call("read", 0.1)]
    func names(_ key: SyscallSummary.SortKey) -> [String] {
      table(events, sortBy: key).split(separator: "\n").dropFirst(2).dropLast(2).map { String($0.split(separator: " ").last!) }
    }
    XCTAssertEqual(names(.time), ["close", "read", "write"])
    XCTAssertEqual(names(.calls), ["read", "write", "close"])
    XCTAssertEqual(names(.errors), ["close", "read", "write"])
    XCTAssertEqual(names(.name), ["close", "read", "write"])
    XCTAssertEqual(names(.nothing), ["read", "write", "close"])
    XCTAssertEqual(names(.maxTime), ["close", "read", "write"])
    XCTAssertEqual(SyscallSummary.SortKey(strace: "count"), .calls)
    XCTAssertEqual(SyscallSummary.SortKey(strace: "syscall-name"), .name)
    XCTAssertNil(SyscallSummary.SortKey(strace: "bogus"))
  }

  func testPercentileColumns() {
    let text = table((1...100).map { call("read", Double($0) * 0.001) }, percentiles: true)
    let lines = text.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines[0], "% time     seconds  usecs/call     calls    errors      p50      p99      max syscall")
    // %, seconds, usecs/call, calls, (no errors), p50, p99, max.
    let cells = lines[2].split(separator: " ").compactMap { Double($0) }
    XCTAssertEqual(cells.count, 7, lines[2])
    XCTAssertEqual(cells[4], 0.05, accuracy: 0.005)
    XCTAssertEqual(cells[5], 0.099, accuracy: 0.009)
    XCTAssertEqual(cells[6], 0.1)
  }

  /// strace's qualify_tokens: leading `!` inverts, all/none, names or numbers, one bad token fails.
  func testQualifierSets() throws {
    let signals = { (text: String) in try QualifierSet.parse(text, qualifier: "signal", what: "signal", value: SignalToken.number) }
    XCTAssertEqual(try signals("none"), .none)
    XCTAssertEqual(try signals("all"), .all)
    XCTAssertEqual(try signals("!all"), .none)
    XCTAssertEqual(try signals("!none"), .all)
    XCTAssertEqual(try signals("SIGTERM,usr1,9"), QualifierSet([15, 10, 9]))
    XCTAssertEqual(try signals("!chld"), QualifierSet([17], negated: true))
    XCTAssertEqual(try signals("!!chld"), QualifierSet([17]))
    XCTAssertFalse(try signals("!chld").contains(17))
    XCTAssertTrue(try signals("!chld").contains(15))
    XCTAssertThrowsError(try signals("SIGFOO")) { XCTAssertEqual("\($0)", "invalid signal 'SIGFOO' in -e signal=SIGFOO") }
    XCTAssertThrowsError(try signals("256"))
    XCTAssertThrowsError(try signals(""))
    let e = try QualifyingExpressions(["read,write", "signal=none", "status=failed", "trace-fds=1", "q=exit", "t=close"])
    XCTAssertEqual(e.trace, ["read,write", "close"])
    XCTAssertEqual(e.signal, "none")
    XCTAssertEqual(e.status, "failed")
    XCTAssertEqual(e.traceFds, "1")
    XCTAssertEqual(e.quiet, "exit")
    XCTAssertThrowsError(try QualifyingExpressions(["verbose=all"]))
    XCTAssertThrowsError(try QualifyingExpressions(["nonsense=1"]))
  }
}
