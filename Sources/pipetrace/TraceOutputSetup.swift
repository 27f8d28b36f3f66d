import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// strace's output options, checked and turned into the parts of the text output: the line style,
/// the syscall filter, the summary table, per-task files and the attach/detach messages.
struct TraceOutputSetup {
  let expressions: QualifyingExpressions
  let style: TraceTextStyle
  let filter: SyscallFilter?
  let summary: SyscallSummary?
  /// -c: the table only, no trace lines.
  let summaryOnly: Bool
  /// -ff -o PREFIX.
  let perTaskPrefix: String?
  let quiet: QualifierSet
  /// strace's defaults (--strace-compat): every syscall when no -e trace= is given, `[pid N]` on
  /// stderr only while several tasks are traced.
  let straceCompat: Bool
  /// Forks are followed: always, but with --strace-compat only with -f, as strace.
  let followsForks: Bool

  init(options o: TraceOptions, launching: Bool) throws {
    let columns = o.columns, summaryOptions = o.summary, filtering = o.filtering, processes = o.processes
    do {
      expressions = try QualifyingExpressions(o.e)
    } catch {
      throw CLIFailure(error.description)
    }
    if processes.daemonize > 0 {
      throw CLIFailure("-\(String(repeating: "D", count: processes.daemonize)) is not needed: pipetrace exits with the command's status, is not ended by a SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to the process group while the command runs, passes on such a signal sent to it alone, and the command dies with it (see --help)")
    }
    if let a = columns.align, a < 0 { throw CLIFailure("-a takes a column of 0 or more, not \(a)") }
    let perTask = (o.f >= 2 || processes.outputSeparately) ? o.o : nil
    try Self.refuseConflicts(o, perTask: perTask != nil)
    if let prefix = perTask {
      // The files are made as tasks appear: say now, not then, that they cannot be.
      let dir = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : "."
      if access(dir.isEmpty ? "/" : dir, W_OK | X_OK) != 0 {
        throw CLIFailure("cannot write \(prefix).PID files: \(dir.isEmpty ? "/" : dir): \(Errno.current.message)", code: 1)
      }
    }

    // Columns: pipetrace's own unless a strace column option asks for exactly its columns.
    var style = columns.asksForColumns ? TraceTextStyle.strace : .pipetrace
    if columns.asksForColumns {
      style.timestamp = ([.none, .time, .timeMicroseconds, .epochMicroseconds] as [TraceTextStyle.Timestamp])[min(columns.t, 3)]
      style.relative = columns.relative
      style.durations = columns.durations
      style.fdPaths = columns.y > 0
    }
    if let a = columns.align { style.alignment = a }
    if columns.noTimestamps {
      style.timestamp = .none
      style.relative = false
    }
    if columns.noDurations { style.durations = false }

    // Messages: strace's rules with strace's columns; pipetrace's own output has none (as ever).
    if processes.q > 0 && expressions.quiet != nil {
      throw CLIFailure("-q and -e quiet= cannot be given together (as in strace)")
    }
    if let q = expressions.quiet {
      quiet = try Self.parse(q, "quiet", "quiet", QuietMessage.number)
    } else if processes.q > 0 {
      quiet = QuietMessage.set(forQCount: processes.q)
    } else if o.o != nil && launching {
      // strace: -o FILE with a command implies -q.
      quiet = QuietMessage.set(forQCount: 1)
    } else if !columns.asksForColumns {
      // pipetrace's own lines: no attach messages; the mode notes as strace prints them.
      quiet = QualifierSet([QuietMessage.attach.rawValue])
    } else {
      quiet = .none
    }
    style.quiet = quiet
    if let s = expressions.signal ?? filtering.signal {
      style.signals = try Self.parse(s, "signal", "signal", SignalToken.number)
    }
    self.style = style

    // Syscall filter: -e status= (or -z/-Z), -P, --trace-fds.
    var statuses: QualifierSet?
    if let s = expressions.status ?? filtering.status {
      statuses = try Self.parse(s, "status", "status", SyscallFilter.Status.number)
    } else if let only = filtering.outcomeOnly {
      statuses = QualifierSet([(only == .successfulOnly ? SyscallFilter.Status.successful : .failed).rawValue])
    }
    var fds: QualifierSet?
    if let s = expressions.traceFds ?? filtering.traceFds {
      fds = try Self.parse(s, "trace-fds", "descriptor") { Int($0).flatMap { $0 >= 0 ? $0 : nil } }
    }
    var paths = Set<String>()
    for p in filtering.paths {
      if p.isEmpty { throw CLIFailure("-P takes a path, not an empty string") }
      paths.insert(p)
      // strace matches the path as given and as resolved (pathtrace_select_set).
      if let resolved = Self.realPath(p), resolved != p {
        paths.insert(resolved)
        if !quiet.contains(QuietMessage.pathResolution.rawValue) {
          printError("pipetrace: Requested path \(StraceText.render(.string(Array(p.utf8), truncated: false))) resolved into \(StraceText.render(.string(Array(resolved.utf8), truncated: false)))")
        }
      }
    }
    let filter = SyscallFilter(statuses: statuses, paths: paths, fds: fds)
    self.filter = filter.isEmpty ? nil : filter

    // Summary table.
    if summaryOptions.enabled {
      var key = SyscallSummary.SortKey.time
      if let k = summaryOptions.sortBy { key = k.key }
      summary = SyscallSummary(clock: summaryOptions.wallClock ? .wall : .systemCPU, sortBy: key,
                               percentiles: summaryOptions.percentiles)
    } else {
      summary = nil
    }
    summaryOnly = summaryOptions.only
    perTaskPrefix = perTask
    straceCompat = columns.straceCompat
    followsForks = !columns.straceCompat || o.f > 0 || processes.outputSeparately
  }

  /// Combinations strace refuses, and strace's options that shape text given with --json.
  private static func refuseConflicts(_ o: TraceOptions, perTask: Bool) throws {
    let s = o.summary
    if s.only && s.alongside { throw CLIFailure("-c and -C cannot be given together (as in strace)") }
    if s.wallClock && !s.enabled { throw CLIFailure("-w must be given with -c or -C (as in strace)") }
    if s.percentiles && !s.enabled { throw CLIFailure("--summary-percentiles must be given with -c or -C") }
    if s.enabled && perTask { throw CLIFailure("-c/-C and -ff cannot be given together: -ff keeps no counts (as in strace)") }
    if s.sortBy != nil && !s.enabled { printError("pipetrace: -S has no effect without -c or -C") }
    if s.only {
      for (given, name) in [(o.columns.t > 0, "-t"), (o.columns.relative, "-r"), (o.columns.durations, "-T"),
                            (o.columns.y > 0, "-y"), (o.stack, "-k")] where given {
        printError("pipetrace: \(name) has no effect with -c")
      }
    }
    guard o.json else { return }
    var textOnly: [String] = []
    // -y and -yy are not columns here: JSON always has the fd paths, and -yy adds to them.
    let c = o.columns
    if c.straceCompat || c.t > 0 || c.relative || c.durations || c.align != nil || c.noTimestamps || c.noDurations {
      textOnly.append("the column options")
    }
    if s.enabled { textOnly.append("-c/-C") }
    if perTask { textOnly.append("-ff") }
    if o.processes.q > 0 { textOnly.append("-q") }
    let f = o.filtering
    if f.outcomeOnly != nil || !f.paths.isEmpty || f.traceFds != nil || f.status != nil || f.signal != nil
      || o.e.contains(where: { !$0.hasPrefix("trace=") && !$0.hasPrefix("t=") && $0.contains("=") })
    {
      textOnly.append("the filters")
    }
    if !textOnly.isEmpty {
      throw CLIFailure("\(textOnly.joined(separator: ", ")) shape strace-style text; --json writes every event")
    }
  }

  private static func parse(_ text: String, _ qualifier: String, _ what: String, _ value: (Substring) -> Int?) throws -> QualifierSet {
    do {
      return try QualifierSet.parse(text, qualifier: qualifier, what: what, value: value)
    } catch {
      throw CLIFailure(error.description)
    }
  }

  private static func realPath(_ path: String) -> String? {
    guard let r = realpath(path, nil) else { return nil }
    defer { free(r) }
    return String(cString: r)
  }

  /// Sinks that print `Process N attached/detached` (nil when -q or pipetrace's own output hides them).
  func attachMessages(traceOnStderr: OutputBuffer?) -> AttachMessages? {
    quiet.contains(QuietMessage.attach.rawValue) ? nil : AttachMessages(traceOnStderr: traceOnStderr)
  }
}
