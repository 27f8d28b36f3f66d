import Foundation
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// strace -yy logs: sockets named by protocol and addresses, devices with their numbers, pidfds by
/// process, read back as what they are.
final class SocketAnnotationTests: TraceFileTestCase {
  /// Every fd argument of the log's syscalls, in order.
  static func targets(_ path: String) throws -> (targets: [FdTarget], bad: Int) {
    let reader = try StraceLogReader(path: path)
    var targets: [FdTarget] = []
    while let e = reader.next() {
      guard case .syscall(let r) = e else { continue }
      for case .fd(_, let t?) in r.args { targets.append(t) }
      if let t = r.retTarget { targets.append(t) }
    }
    return (targets, reader.badLines.count)
  }

  /// A real strace -yy log of every kind of socket the fixture makes: each annotation is read, and
  /// every socket one is a socket, with strace's text kept and its inode where the text has one.
  func testARealStraceYYLogReadsEverySocketAsASocket() throws {
    try XCTSkipUnless(TraceFixtures.straceAvailable, "strace is not installed")
    let fixture = try compileFixture("sockets")
    let log = dir.appendingPathComponent("yy.strace").path
    let socketPath = dir.appendingPathComponent("s").path
    let strace = try runProgram("strace", ["-f", "-yy", "-e", "trace=read,write", "-o", log, fixture, socketPath], stdoutPath: "/dev/null")
    XCTAssertEqual(strace.status, 0, strace.stderr)
    let text = try String(contentsOfFile: log, encoding: .utf8)
    let (targets, bad) = try Self.targets(log)
    XCTAssertEqual(bad, 0, text)
    // Each `<PROTO:[` strace printed is one socket target.
    let printed = text.components(separatedBy: "<").filter { $0.range(of: #"^(UNIX|UNIX-STREAM|TCP|UDP|TCPv6|UDPv6|NETLINK):\["#, options: .regularExpression) != nil }.count
    let sockets = targets.filter { $0.kind == .socket }
    XCTAssertEqual(sockets.count, printed, text)
    XCTAssertGreaterThanOrEqual(sockets.count, 15, text)
    for t in sockets {
      guard case .socket(let detail)? = t.detail else { return XCTFail("\(t) has no socket text") }
      XCTAssertEqual(detail, t.path)
      XCTAssertTrue(text.contains("<" + detail + ">"), detail)
    }
    // UNIX texts and the fallback (`UDP:[INODE]`) carry the inode; addresses do not.
    let pair = try XCTUnwrap(sockets.first { $0.path.hasPrefix("UNIX-STREAM:[") && $0.path.contains("->") })
    let ends = pair.path.dropFirst("UNIX-STREAM:[".count).dropLast().components(separatedBy: "->")
    XCTAssertEqual(pair.inode, UInt64(ends[0]))
    let bound = try XCTUnwrap(sockets.first { $0.path.hasSuffix(",\"\(socketPath)\"]") && $0.path.contains("->") })
    XCTAssertNotNil(bound.inode)
    let tcp = try XCTUnwrap(sockets.first { $0.path.hasPrefix("TCP:[127.0.0.1:") && $0.path.contains("->127.0.0.1:") })
    XCTAssertNil(tcp.inode)
    let unbound = try XCTUnwrap(sockets.first { $0.path.range(of: #"^UDP:\[\d+\]$"#, options: .regularExpression) != nil })
    XCTAssertEqual(unbound.inode.map(String.init), String(unbound.path.dropFirst(5).dropLast()))
    XCTAssertTrue(sockets.contains { $0.path.hasPrefix("NETLINK:[ROUTE:") })
    // Pipes as with -y, /dev/null with its numbers, the pidfd by its process.
    XCTAssertTrue(targets.contains { $0.kind == .pipe && $0.inode != nil && $0.detail == nil })
    let null = try XCTUnwrap(targets.first { $0.path == "/dev/null" })
    XCTAssertEqual(null.detail, .device("char 1:3"))
    XCTAssertEqual(null.kind, .device)
    XCTAssertTrue(targets.contains { if case .process(let pid)? = $0.detail { return pid > 0 } else { return false } })
  }

  /// Socket paths are quoted, with `<`, `>` and `,` in them unescaped (as strace prints them): the
  /// line still splits into its arguments, and an -yy log's sockets count as sockets in the report
  /// (a read blocked on TCP is ranked with the pipe and socket waits, before a longer read of a file).
  func testQuotedSocketPathsAndRanking() throws {
    let log = try TraceFixtures.write(
      """
      100 1764196800.000000 read(3<UNIX-STREAM:[1234->1235,"/tmp/a>b, c\\"d"]>, "x", 1) = 1 <0.000010>
      100 1764196800.100000 read(4<TCP:[127.0.0.1:5432->127.0.0.1:40000]>, "", 4096) = 0 <1.000000>
      100 1764196801.200000 read(8</mnt/slow/file>, "", 4096) = 0 <2.000000>
      100 1764196803.300000 write(5<TCPv6:[[::1]:5432->[::1]:40000]>, "y", 1) = 1 <0.000010>
      100 1764196803.400000 write(6</dev/pts/0<char 136:0>>, "z", 1) = 1 <0.000010>
      100 1764196803.500000 read(7<UDP:[9876]>, 0x1000, 1) = -1 EAGAIN (Resource temporarily unavailable) <0.000010>
      100 1764196803.600000 +++ exited with 0 +++

      """, in: dir, name: "hand.strace")
    let (targets, bad) = try Self.targets(log)
    XCTAssertEqual(bad, 0)
    XCTAssertEqual(targets.map(\.path), [
      #"UNIX-STREAM:[1234->1235,"/tmp/a>b, c\"d"]"#, "TCP:[127.0.0.1:5432->127.0.0.1:40000]", "/mnt/slow/file",
      "TCPv6:[[::1]:5432->[::1]:40000]", "/dev/pts/0", "UDP:[9876]",
    ])
    XCTAssertEqual(targets.map(\.kind), [.socket, .socket, .file, .socket, .tty, .socket])
    XCTAssertEqual(targets.map(\.inode), [1234, nil, nil, nil, nil, 9876])
    XCTAssertEqual(targets[4].detail, .device("char 136:0"))
    let report = try TraceFixtures.report([log])
    XCTAssertEqual(report.blocking.map(\.target), ["TCP:[127.0.0.1:5432->127.0.0.1:40000]", "/mnt/slow/file"])
  }
}
