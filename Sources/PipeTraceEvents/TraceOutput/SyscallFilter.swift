/// Which syscalls strace-style text shows, chosen by their outcome (-e status=SET, -z, -Z) or by what
/// they touch (-P PATH, --trace-fds=SET), as strace decides them (syscall.c, pathtrace.c):
/// - by outcome: a call is held until it is over and then shown whole or not at all (strace stages
///   the line the same way, so no `<unfinished ...>` part appears). A call that never returned is
///   `unfinished` when its task ended, `detached` when the tracer let go first.
/// - by what it touches: decided on the arguments known at entry. A call matches when a path
///   argument is one of the paths, or an fd argument (also inside poll/select sets) is in the fd set
///   or points to one of the paths (its /proc/PID/fd link text, so `-P 'pipe:[123]'` works too).
///   Calls with neither (kill, wait4, pipe2...) never match. Signals and exits are not filtered.
/// -P and --trace-fds together: a call matching either is shown.
public final class SyscallFilter {
  public enum Status: Int, CaseIterable, Sendable {
    case successful, failed, unfinished, unavailable, detached

    public static func number(_ token: Substring) -> Int? {
      allCases.first { "\($0)" == token }?.rawValue
    }
  }

  /// nil: every outcome.
  let statuses: QualifierSet?
  /// -P paths, each as given and as realpath resolved it.
  let paths: Set<String>
  let fds: QualifierSet?
  private var selecting: Bool { !paths.isEmpty || fds != nil }
  /// The entry-time decision per task, used when its call ends.
  private var selected: [Int32: Bool] = [:]
  /// Status filtering: a call that never returned, until the task's end tells which status it has.
  private var held: [Int32: SyscallRecord] = [:]

  public init(statuses: QualifierSet? = nil, paths: Set<String> = [], fds: QualifierSet? = nil) {
    // strace filters by status only when the set is not complete.
    let complete = statuses.map { s in Status.allCases.allSatisfy { s.contains($0.rawValue) } } ?? true
    self.statuses = complete ? nil : statuses
    self.paths = paths
    self.fds = fds
  }

  /// Nothing to filter: the caller can leave the filter out.
  public var isEmpty: Bool { statuses == nil && !selecting }

  func admit(_ event: Event, _ emit: (Event) -> Void) {
    switch event {
    case .syscallEntry(let r):
      if selecting {
        let match = matches(r, atEntry: true)
        selected[r.tid] = match
        if !match { return }
      }
      // By outcome: the line is printed whole at the exit.
      if statuses == nil { emit(event) }
    case .syscall(let r):
      if selecting {
        let match = selected.removeValue(forKey: r.tid) ?? matches(r, atEntry: false)
        if !match { return }
      }
      if let statuses {
        guard r.ret != nil else {
          held[r.tid] = r
          return
        }
        guard statuses.contains((r.errno != nil ? Status.failed : .successful).rawValue) else { return }
      }
      emit(event)
    case .exit(_, let tid, _, _, _, _):
      release(tid, as: .unfinished, emit)
      selected[tid] = nil
      emit(event)
    case .detached(_, let tid, _):
      release(tid, as: .detached, emit)
      selected[tid] = nil
      emit(event)
    default:
      emit(event)
    }
  }

  /// The trace is over: calls still held never returned.
  func finish(_ emit: (Event) -> Void) {
    for tid in held.keys.sorted() { release(tid, as: .unfinished, emit) }
  }

  private func release(_ tid: Int32, as status: Status, _ emit: (Event) -> Void) {
    guard let r = held.removeValue(forKey: tid) else { return }
    if statuses?.contains(status.rawValue) ?? true { emit(.syscall(r)) }
  }

  // MARK: What a call touches

  private func matches(_ r: SyscallRecord, atEntry: Bool) -> Bool {
    // The row of the record's ABI when it has one (a live call), else the catalogue's recipe.
    let spec = r.call.spec
    let kinds = (r.abi.map { $0.table.row(r.number) }.flatMap { $0.id == r.call ? $0.args : nil } ?? spec.args) ?? []
    let numericFds = spec.numericFdArguments
    for (i, arg) in r.args.enumerated() {
      if numericFds.contains(i), case .int(let n) = arg, let fd = Int32(exactly: n) {
        let link = atEntry && !paths.isEmpty && fd >= 0 ? ProcFS.fdLink(r.tid, fd: fd) : nil
        if fdMatches(fd, link) { return true }
        continue
      }
      switch (i < kinds.count ? kinds[i] : nil, arg) {
      case (.path?, .string(let bytes, _)):
        if !paths.isEmpty && paths.contains(String(decoding: bytes, as: UTF8.self)) { return true }
      case (_, .bitset(let members)):
        // `[3 4]`: a member without its target is read while the tracee is stopped at entry.
        for member in members {
          guard case .fd(let fd, let target) = member else { continue }
          let link = target?.path ?? (atEntry && !paths.isEmpty ? ProcFS.fdLink(r.tid, fd: fd) : nil)
          if fdMatches(fd, link) { return true }
        }
      default:
        if touches(arg) { return true }
      }
    }
    return false
  }

  /// An fd in `arg`, at any depth (poll's `[{fd=3, ...}]`), that is selected.
  private func touches(_ arg: ArgValue) -> Bool {
    switch arg {
    case .fd(let fd, let target): return fdMatches(fd, target?.path)
    case .array(let items, _): return items.contains { touches($0) }
    case .structure(let fields): return fields.contains { touches($0.value) }
    case .changed(let before, let after): return touches(before) || touches(after)
    default: return false
    }
  }

  private func fdMatches(_ fd: Int32, _ path: String?) -> Bool {
    if let fds, fd >= 0, fds.contains(Int(fd)) { return true }
    guard let path, !paths.isEmpty else { return false }
    return paths.contains(path)
  }
}
