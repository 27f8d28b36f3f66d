import XCTest

import PipeTraceKit
@testable import PipeTraceReport

/// The fd-table model fed by hand-made events: what each syscall does to who holds a pipe end.
final class ProcessModelTests: XCTestCase {
  let model = ProcessModel()

  func call(_ pid: Int32, _ name: String, _ args: [ArgValue], ret: Int64 = 0, errno: Errno? = nil, at ts: Double, tid: Int32? = nil) {
    model.handle(.syscall(SyscallRecord(pid: pid, tid: tid ?? pid, name: name, number: -1, args: args, ret: ret,
                                        errno: errno, timestamp: ts, duration: 0.00001)))
  }

  func pipe(_ pid: Int32, _ r: Int32, _ w: Int32, flags: String = "0", at ts: Double) {
    call(pid, "pipe2", [.array([.int(Int64(r)), .int(Int64(w))], truncated: false), .symbol(flags)], at: ts)
  }

  func testDupFamilyCopiesAndCloseRangeRemoves() throws {
    pipe(1, 3, 4, at: 1)
    call(1, "dup", [.int(4)], ret: 5, at: 2)
    call(1, "dup2", [.int(4), .int(1)], ret: 1, at: 3)
    call(1, "dup3", [.int(4), .int(7), .symbol("O_CLOEXEC")], ret: 7, at: 4)
    call(1, "fcntl", [.int(4), .symbol("F_DUPFD_CLOEXEC"), .int(10)], ret: 10, at: 5)
    let p = try XCTUnwrap(model.pipeFd(pid: 1, fd: 4)?.pipe)
    XCTAssertEqual(p.writeHolders, 5)
    XCTAssertEqual(model.pipeFd(pid: 1, fd: 7)?.cloexec, true)
    XCTAssertEqual(model.pipeFd(pid: 1, fd: 1)?.cloexec, false)
    call(1, "close", [.int(9)], ret: -1, errno: .EBADF, at: 6)
    call(1, "close_range", [.int(5), .uint(UInt64(UInt32.max)), .int(0)], at: 7)
    XCTAssertEqual(p.writeHolders, 2, "fds 5, 7 and 10 closed; 1 and 4 stay")
    XCTAssertNil(model.pipeFd(pid: 1, fd: 10))
    call(1, "close", [.int(4)], at: 8)
    XCTAssertEqual(p.lastWriteEndRelease, EventRef(pid: 1, event: "close(4)", ts: 8))
  }

  func testForkCopiesThreadsShareExecDropsCloexec() throws {
    pipe(1, 3, 4, flags: "O_CLOEXEC", at: 1)
    call(1, "fcntl", [.int(4), .symbol("F_SETFD"), .int(0)], at: 1.5)  // fd 4 survives exec
    model.handle(.fork(pid: 1, tid: 1, child: 2, kind: .fork, timestamp: 2))
    model.handle(.fork(pid: 1, tid: 1, child: 9, kind: .thread, timestamp: 2.5))
    let p = try XCTUnwrap(model.pipeFd(pid: 2, fd: 3)?.pipe)
    XCTAssertEqual(p.readHolders, 2)
    XCTAssertEqual(p.writeHolders, 2)
    // A thread closes fd 3 in the shared table of process 1.
    call(1, "close", [.int(3)], at: 3, tid: 9)
    XCTAssertNil(model.pipeFd(pid: 1, fd: 3))
    XCTAssertNotNil(model.pipeFd(pid: 2, fd: 3))
    model.handle(.exec(pid: 2, tid: 2, path: "/bin/daemon", argv: ["daemon"], timestamp: 4))
    XCTAssertNil(model.pipeFd(pid: 2, fd: 3), "O_CLOEXEC read end closed on exec")
    XCTAssertEqual(p.carries.map(\.fd), [4])
    XCTAssertEqual(p.carries.first?.program, "/bin/daemon")
    model.handle(.exit(pid: 2, tid: 2, code: nil, signal: 15, coreDumped: false, timestamp: 5))
    XCTAssertEqual(p.lastWriteEndRelease, EventRef(pid: 2, event: "killed by SIGTERM", ts: 5))
    XCTAssertEqual(p.carries.first?.releasedAt, 5)
    XCTAssertEqual(model.processes[2]?.signal, 15)
    XCTAssertNil(model.processes[9], "a thread is not a process")
  }

  func testPollIsReleasedByTheWriteThatMadeTheFdReady() throws {
    let builder = ReportBuilder(model: model)
    builder.handle(.syscall(SyscallRecord(pid: 1, tid: 1, name: "pipe", number: -1, args: [.array([.int(3), .int(4)], truncated: false)], ret: 0, timestamp: 1, duration: 0.00001)))
    builder.handle(.fork(pid: 1, tid: 1, child: 2, kind: .fork, timestamp: 1.1))
    builder.handle(.syscall(SyscallRecord(pid: 2, tid: 2, name: "write", number: -1, args: [.int(4), .string(Array("hi".utf8), truncated: false), .int(2)], ret: 2, timestamp: 3, duration: 0.00001)))
    builder.handle(.syscall(SyscallRecord(pid: 1, tid: 1, name: "poll", number: -1, args: [.raw("[{fd=3, events=POLLIN}]"), .int(1), .int(-1)], ret: 1, retDetail: "([{fd=3, revents=POLLIN}])", timestamp: 1.2, duration: 1.80001)))
    let report = builder.makeReport()
    let poll = try XCTUnwrap(report.blocking.first)
    XCTAssertEqual(poll.fd, 3)
    XCTAssertEqual(poll.releasedBy, EventRef(pid: 2, event: "fd 3 ready: write(4)", ts: 3))
  }
}
