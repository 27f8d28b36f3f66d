/// What a live trace does about a call that waits on a pipe for too long: print the `why`
/// diagnosis into the trace, and with `unstickAfter` close the leaked write ends (the fix `why`
/// proposes: holders that are neither the reader nor a live direct child of it) so the reader goes on.
public final class HangResponder {
  public let diagnoseAfter: Double
  public let unstickAfter: Double?
  /// Every close performed: (pid, fd, outcome).
  public private(set) var closes: [(pid: Int32, fd: Int32, outcome: InjectClose.Outcome)] = []
  public private(set) var diagnoses: [HangDiagnosis] = []
  private var diagnosed = Set<CallKey>()
  private var unstuck = Set<CallKey>()

  private struct CallKey: Hashable {
    var tid: Int32
    var started: Double
  }

  public init(diagnoseAfter: Double, unstickAfter: Double?) {
    self.diagnoseAfter = diagnoseAfter
    self.unstickAfter = unstickAfter
  }

  /// The threshold the tracer must watch for.
  public var stuckAfter: Double { min(diagnoseAfter, unstickAfter ?? diagnoseAfter) }

  /// For `Tracer.onStuck`.
  public func respond(tracer: Tracer, pid: Int32, tid: Int32, record: SyscallRecord, blockedFor: Double) {
    guard StuckPolicy.mayWaitOnAnotherProcess(record) else { return }
    let key = CallKey(tid: tid, started: record.timestamp)
    let wantsFix = unstickAfter.map { blockedFor >= $0 } ?? false
    if diagnosed.contains(key) && (!wantsFix || unstuck.contains(key)) { return }
    guard let diagnosis = try? diagnoseHang(pid: pid) else { return }
    guard StuckPolicy.isHang(diagnosis) else {
      // An idle event loop (or a call that is not blocked after all): no note, no fix, not asked again.
      diagnosed.insert(key)
      unstuck.insert(key)
      return
    }
    if !diagnosed.contains(key) {
      diagnosed.insert(key)
      diagnoses.append(diagnosis)
      let seconds = String(Int(blockedFor * 10) / 10) + "." + String(Int(blockedFor * 10) % 10)
      tracer.note(pid: tid, "pipetrace: \(record.name) in \(tid) blocked for \(seconds) s; why \(pid):\n" + diagnosis.render())
    }
    guard wantsFix, !unstuck.contains(key) else { return }
    unstuck.insert(key)
    guard let fix = diagnosis.fix else {
      tracer.note(pid: tid, "pipetrace: no safe close unblocks it: \(diagnosis.noFixReason ?? "no leaked holder")")
      return
    }
    for close in fix.closes {
      let expect = close.expect
      do {
        // A holder this trace follows is closed through the trace itself (it stays traced).
        let results = tracer.isTracing(process: close.pid)
          ? try tracer.injectClose(process: close.pid, fds: close.fds, expect: expect)
          : try InjectClose.close(pid: close.pid, fds: close.fds, expect: expect)
        for (fd, outcome) in results {
          closes.append((close.pid, fd, outcome))
          tracer.note(pid: close.pid, "pipetrace: inject-close \(close.pid) fd \(fd) (\(DisplayText.escape(expect))): \(outcome.text)")
        }
      } catch {
        tracer.note(pid: close.pid, "pipetrace: inject-close \(close.pid) failed: \(error)")
      }
    }
  }
}
