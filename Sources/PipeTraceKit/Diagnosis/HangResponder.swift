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

  static let pipeWaits: Set<String> = [
    "read", "readv", "pread64", "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait",
  ]

  public init(diagnoseAfter: Double, unstickAfter: Double?) {
    self.diagnoseAfter = diagnoseAfter
    self.unstickAfter = unstickAfter
  }

  /// The threshold the tracer must watch for.
  public var stuckAfter: Double { min(diagnoseAfter, unstickAfter ?? diagnoseAfter) }

  /// For `Tracer.onStuck`.
  public func respond(tracer: Tracer, pid: Int32, tid: Int32, record: SyscallRecord, blockedFor: Double) {
    guard HangResponder.pipeWaits.contains(record.name) else { return }
    // select's fd sets and epoll's interest list are not decoded here; `why` reads them from /proc.
    let opaque = record.name.hasSuffix("select") || record.name.hasPrefix("epoll")
    guard opaque || HangResponder.waitsOnPipe(record.args) else { return }
    let key = CallKey(tid: tid, started: record.timestamp)
    let wantsFix = unstickAfter.map { blockedFor >= $0 } ?? false
    if diagnosed.contains(key) && (!wantsFix || unstuck.contains(key)) { return }
    guard let diagnosis = try? diagnoseHang(pid: pid) else { return }
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
      let expect = "pipe:[\(close.inode)]"
      do {
        // A holder this trace follows is closed through the trace itself (it stays traced).
        let results = tracer.isTracing(process: close.pid)
          ? try tracer.injectClose(process: close.pid, fds: close.fds, expect: expect)
          : try InjectClose.close(pid: close.pid, fds: close.fds, expect: expect)
        for (fd, outcome) in results {
          closes.append((close.pid, fd, outcome))
          tracer.note(pid: close.pid, "pipetrace: inject-close \(close.pid) fd \(fd) (pipe:[\(close.inode)]): \(outcome.text)")
        }
      } catch {
        tracer.note(pid: close.pid, "pipetrace: inject-close \(close.pid) failed: \(error)")
      }
    }
  }

  static func waitsOnPipe(_ args: [ArgValue]) -> Bool {
    func pipe(_ v: ArgValue) -> Bool {
      switch v {
      case .fd(_, let t?): return t.kind == .pipe
      case .array(let items, _): return items.contains(where: pipe)
      case .structure(let fields): return fields.contains { pipe($0.value) }
      default: return false
      }
    }
    return args.contains(where: pipe)
  }
}
