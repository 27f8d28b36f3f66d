import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The tracer's own signals are taken even when the tracees never let it wait idle.
final class SignalResponseTests: XCTestCase {
  /// A tracee that stops every few microseconds (dd with 1-byte blocks) and a tracer told to poll
  /// for a whole second before it sleeps: it never waits idle, where it used to take its signals.
  /// SIGINT still detaches within a second and leaves dd running untraced.
  func testSIGINTWhileStopsComeBackToBack() throws {
    let dd = try BackgroundProcess("/bin/dd", ["if=/dev/zero", "of=/dev/null", "bs=1", "count=1000000000"])
    defer { dd.stop() }
    let trace = temporaryFile("backtoback.txt")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, ["--spin-us", "1000000", "-o", trace, "-p", String(dd.pid)])
    defer { tracer.stop() }
    // The tracer is in the thick of it once it has written a few thousand lines.
    try waitUntil("the trace running") {
      var st = stat()
      return stat(trace, &st) == 0 && st.st_size > 200_000
    }
    let signalled = Date()
    kill(tracer.pid, SIGINT)
    XCTAssertEqual(try tracer.wait(timeout: 10), 0)
    XCTAssertLessThan(Date().timeIntervalSince(signalled), 1.0)
    XCTAssertTrue(dd.isRunning)
    XCTAssertEqual(procStatusField(dd.pid, "TracerPid"), "0")
  }

  /// Attached to a process of 300 threads (more tracees than the tracer walks with waitpid(-1): it
  /// sleeps for SIGCHLD, where it takes its own signals too), SIGINT detaches from every thread:
  /// 300 interrupt stops at once, far more than SIGCHLDs (one sent while another is pending is
  /// dropped). pipetrace ends with 0 and every thread runs on, untraced and not stopped.
  func testSIGINTDetachesFromHundredsOfThreads() throws {
    let target = try startManyThreads(300)
    defer { target.stop() }
    let trace = temporaryFile("threads.txt")
    defer { unlink(trace) }
    let tracer = try BackgroundProcess(CLI.binary, ["-o", trace, "-p", String(target.pid)])
    defer { tracer.stop() }
    try waitUntil("every thread traced") {
      ProcFSTasks.of(target.pid).allSatisfy { procStatusField($0, "TracerPid") == String(tracer.pid) }
    }
    kill(tracer.pid, SIGINT)
    XCTAssertEqual(try tracer.wait(timeout: 20), 0)
    XCTAssertTrue(target.isRunning)
    let tasks = ProcFSTasks.of(target.pid)
    XCTAssertEqual(tasks.count, 301)
    for tid in tasks {
      XCTAssertEqual(procStatusField(tid, "TracerPid"), "0", "thread \(tid)")
      XCTAssertFalse(procStatusField(tid, "State")?.hasPrefix("t") ?? false, "thread \(tid) left stopped")
    }
  }

  /// `pipetrace -p PID &` in a script inherits SIGINT and SIGQUIT ignored. A SIGINT sent in its
  /// first milliseconds (here: as soon as its own code runs, and every few milliseconds later, while
  /// it attaches to a process of 50 threads) must end it, never be dropped: before the attach it
  /// ends pipetrace, during it the trace ends once attached, every thread detached. The target runs
  /// on, untraced and not stopped. (A signal sent while the kernel and the dynamic loader are still
  /// starting pipetrace, before its first instruction, finds SIGINT ignored and is discarded, as
  /// for any program: that is why the test waits for pipetrace's own code to have run.)
  func testSIGINTInTheFirstMillisecondsOfABackgroundAttach() throws {
    let target = try startManyThreads(50)
    defer { target.stop() }
    for delay in [0, 1, 2, 5, 10, 20, 40] {
      // A background job of a non-interactive shell: SIGINT and SIGQUIT ignored, then exec.
      let tracer = try BackgroundProcess("/bin/sh", ["-c", "trap '' INT QUIT; exec \"$0\" \"$@\"", CLI.binary,
                                                     "-o", "/dev/null", "-p", String(target.pid)])
      defer { tracer.stop() }
      // Once the shell has become pipetrace and pipetrace runs its own code: SIGINT no longer ignored.
      // The executable first, then the dispositions: read the other way round, the shell's (before
      // its `trap`) could pass for pipetrace's when the exec falls between the two reads, and the
      // SIGINT would reach pipetrace while the loader still runs, ignored (the test's own race,
      // seen about once in 200 signals on a loaded machine).
      let ignoresNoMore = eventually(timeout: 5) {
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(tracer.pid)/exe")) == CLI.binary,
          let ignored = procStatusField(tracer.pid, "SigIgn").flatMap({ UInt64($0, radix: 16) })
        else { return false }
        return ignored & (1 << UInt64(SIGINT - 1)) == 0
      }
      XCTAssertTrue(ignoresNoMore, "pipetrace still ignores SIGINT (delay \(delay) ms)")
      usleep(useconds_t(delay * 1000))
      kill(tracer.pid, SIGINT)
      let status = try? tracer.wait(timeout: 20)
      XCTAssertNotNil(status, "SIGINT after \(delay) ms was lost: pipetrace traces on")
      // Ended by the signal before it attached, or detached after it: nothing else.
      if let status { XCTAssertTrue(status == 0 || status == 128 + SIGINT, "delay \(delay) ms: status \(status)") }
      tracer.stop()
      XCTAssertTrue(eventually { procStatusField(target.pid, "TracerPid") == "0" }, "delay \(delay) ms")
      for tid in ProcFSTasks.of(target.pid) {
        XCTAssertEqual(procStatusField(tid, "TracerPid"), "0", "thread \(tid), delay \(delay) ms")
        XCTAssertFalse(procStatusField(tid, "State")?.hasPrefix("t") ?? false, "thread \(tid) left stopped")
      }
    }
    XCTAssertTrue(target.isRunning)
  }

  /// Tests/Fixtures/many_threads with `threads` threads besides its main one, once they all exist.
  private func startManyThreads(_ threads: Int) throws -> BackgroundProcess {
    let program = try compileFixture("many_threads", flags: ["-pthread"])
    let ready = TestPipe()
    let target = try BackgroundProcess(program, [String(threads)], stdout: ready.writeEnd)
    ready.closeWrite()
    var line = [UInt8](repeating: 0, count: 6)
    XCTAssertEqual(read(ready.readEnd, &line, 6), 6, "the target started its threads")
    ready.closeRead()
    return target
  }
}

/// The thread ids of a process, from /proc/PID/task.
enum ProcFSTasks {
  static func of(_ pid: Int32) -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).compactMap { Int32($0) }
  }
}
