import CTrace
import Foundation
import XCTest

import PipeTraceKit

/// The stop handlers fed real stops of a real command, the test playing the loop one stop at a
/// time (wait, `handle`, `restart`) to see the action each stop gets; and the tracer's signal
/// policy, which needs no tracee.
final class StopActionTests: XCTestCase {
  /// A tracer that traces only process events (`pipetrace run`): no syscall stop is ever wanted.
  func eventsOnlyTracer() throws -> Tracer {
    var options = Tracer.Options()
    options.selection = SyscallSet()
    options.modelFds = false
    return try Tracer(options: options, sinks: [])
  }

  /// Plays the loop for `pid` until `until` holds for a stop (or it is gone): every stop and the
  /// action its handler returned, in order.
  func play(_ tracer: Tracer, _ pid: Int32, until: (TraceStop) -> Bool = { _ in false }) -> [(TraceStop, StopAction)] {
    var seen: [(TraceStop, StopAction)] = []
    while case .stop(let tid, let stop) = WaitResult.wait(pid, block: true) {
      let action = tracer.handle(tid, stop)
      seen.append((stop, action))
      if let t = tracer.tracees[tid] { tracer.restart(t, action) }
      if action == .gone || until(stop) { break }
    }
    return seen
  }

  /// Ends `pid` (traced by `tracer`) and reaps it, whatever state the test left it in.
  func end(_ pid: Int32, _ tracer: Tracer) {
    guard tracer.tracees[pid] != nil else { return }
    kill(pid, SIGKILL)
    _ = play(tracer, pid)
  }

  func testEventsOnlyTraceContinuesEveryStopAndIsDoneAtTheExit() throws {
    let tracer = try eventsOnlyTracer()
    let pid = try tracer.launch(["true"])
    defer { end(pid, tracer) }
    let seen = play(tracer, pid)
    XCTAssertTrue(seen.contains { $0.0 == .exec && $0.1 == .cont(0) }, "\(seen)")
    XCTAssertEqual(seen.last?.0, .exited(code: 0))
    XCTAssertEqual(seen.last?.1, .gone)
    XCTAssertTrue(seen.dropLast().allSatisfy { if case .cont = $0.1 { true } else { false } }, "\(seen)")
  }

  func testASignalGoesOnWithTheTaskAndItsGroupStopIsListenedTo() throws {
    let tracer = try eventsOnlyTracer()
    let pid = try tracer.launch(["sleep", "30"])
    defer { end(pid, tracer) }
    _ = play(tracer, pid, until: { $0 == .exec })
    kill(pid, SIGSTOP)
    let seen = play(tracer, pid, until: { if case .groupStop = $0 { true } else { false } })
    XCTAssertEqual(seen.map(\.0), [.signal(SIGSTOP), .groupStop(signal: SIGSTOP)])
    XCTAssertEqual(seen.map(\.1), [.cont(SIGSTOP), .listen])
  }

  func testTracerSignalPolicy() {
    var attached = TracerSignalPolicy()
    XCTAssertEqual(attached.respond(code: 0, launched: false, commandGone: false), .detach)
    var launched = TracerSignalPolicy()
    // From the terminal (si_code > 0): the command's process group got it already.
    XCTAssertEqual(launched.respond(code: 128, launched: true, commandGone: false), .none)
    // The second one ends the trace, whatever the command left behind.
    XCTAssertEqual(launched.respond(code: 0, launched: true, commandGone: false), .endTrace)
    var sent = TracerSignalPolicy()
    // `kill PIPETRACE` (si_code SI_USER): passed on to the command.
    XCTAssertEqual(sent.respond(code: 0, launched: true, commandGone: false), .passOn)
    var late = TracerSignalPolicy()
    XCTAssertEqual(late.respond(code: 0, launched: true, commandGone: true), .endTrace)
  }
}
