#if canImport(Glibc)
import Glibc
#endif

/// strace -ff -o PREFIX: every traced task's lines go to its own file `PREFIX.TID`, without a pid
/// column (strace keeps one file per traced task, threads included). A file is created when its
/// task is first seen (its first event, or the fork that made it) and closed when the task ends.
/// One task per file means no line is ever split into `<unfinished ...>` and `<... resumed>`.
/// `pipetrace report PREFIX.*` reads such a set back.
public final class PerThreadFiles: EventSink {
  let prefix: String
  let style: TraceTextStyle
  let filter: SyscallFilter?
  private var files: [Int32: (formatter: StraceFormatter, output: OutputBuffer)] = [:]
  /// A file could not be created or written whole: the first such error was reported on stderr as
  /// it happened, the others not (on a full disk every task's file fails the same way); their
  /// lines are dropped.
  public private(set) var failed = false
  private var unwritable = Set<Int32>()
  /// Tasks whose file was closed: a late line (a note) is appended, the file not started over.
  private var closed = Set<Int32>()

  public init(prefix: String, style: TraceTextStyle, filter: SyscallFilter?) {
    self.prefix = prefix
    self.style = style
    self.filter = filter
  }

  public func handle(_ event: Event) {
    if case .fork(_, _, let child, _, _) = event { _ = formatter(child) }
    guard let filter else { return route(event) }
    filter.admit(event, route)
  }

  public func finish() {
    filter?.finish(route)
    for tid in files.keys.sorted() { closeFile(tid) }
  }

  private func route(_ event: Event) {
    let tid: Int32
    switch event {
    case .syscallEntry(let r), .syscall(let r): tid = r.tid
    case .signal(let sig): tid = sig.tid
    case .exit(_, let t, _, _, _, _), .detached(_, let t, _), .personality(_, let t, _, _): tid = t
    case .note(let pid, _, _): tid = pid
    case .fork, .exec: return
    }
    guard let f = formatter(tid) else { return }
    f.handle(event)
    switch event {
    case .exit, .detached: closeFile(tid)
    default: break
    }
  }

  private func formatter(_ tid: Int32) -> StraceFormatter? {
    if let f = files[tid] { return f.formatter }
    if unwritable.contains(tid) { return nil }
    let path = "\(prefix).\(tid)"
    let again = closed.contains(tid)
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (again ? O_APPEND : O_TRUNC), 0o644)
    if fd < 0 {
      report("pipetrace: cannot write \(path): \(Errno.current.message)")
      unwritable.insert(tid)
      return nil
    }
    // limit 0: each line is written as it ends, so a file shows a hang as it happens.
    let output = OutputBuffer(fd: fd, name: path, limit: 0) { [unowned self] in report($0) }
    let formatter = StraceFormatter(output: output, pidStyle: .none, style: style)
    files[tid] = (formatter, output)
    return formatter
  }

  private func closeFile(_ tid: Int32) {
    guard let f = files.removeValue(forKey: tid) else { return }
    closed.insert(tid)
    f.formatter.finish()
    f.output.finish(closing: true)
  }

  /// The first failure of any file, on stderr; the trace's status is a failure from then on.
  private func report(_ line: String) {
    if !failed { printError(line) }
    failed = true
  }
}
