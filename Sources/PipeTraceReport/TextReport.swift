/// The default, human-readable report. Every name, path, argument and result in it came from a
/// trace, so from the traced processes: each is escaped as strace escapes strings (`\n`, `\33`),
/// so a program name cannot split a line or send the terminal a control sequence.
public enum TextReport {
  public static func render(_ r: Report, title: String = "") -> String {
    var out = ""
    func line(_ s: String = "") { out += s + "\n" }
    let e = DisplayText.escape
    func program(_ pid: Int32) -> String { e(r.programName(pid)) }
    let span = (r.traceEnd ?? 0) - (r.traceStart ?? 0)
    line("pipetrace report\(title.isEmpty ? "" : ": " + e(title))")
    line("\(r.eventCount) events, \(r.processes.count) processes, \(NumberText.duration(max(0, span))) traced"
      + (r.traceStart.map { " from \(NumberText.seconds($0))" } ?? ""))
    line("Durations: \(Report.clockNote). Times are seconds from the first event.")
    if !r.hasTimestamps {
      line("The log has no timestamps: times below only order events (1 µs per line); durations come from -T.")
    }
    if r.badLines.count > 0 {
      line("Unreadable lines: \(r.badLines.count)")
      for s in r.badLines.samples.prefix(5) { line("  \(e(s.file)):\(s.line): \(e(s.reason))") }
    }
    line()

    line("Blocking calls (>= \(NumberText.duration(r.minBlock))), waits on pipes, sockets and children first, then longest first:")
    if r.blocking.isEmpty { line("  none") }
    for b in r.blocking.prefix(50) {
      let fd = b.fd.map { "\($0)" + (b.target.map { "<\(e($0))>" } ?? "") } ?? ""
      var s = "  \(b.pid) \(program(b.pid)) \(e(b.name))(\(fd)) at \(r.relative(b.ts)) blocked \(NumberText.duration(b.dur)) \(e(b.result))"
      if let rel = b.releasedBy {
        s += "\n      released by \(rel.pid) \(program(rel.pid)): \(e(rel.event)) at \(r.relative(rel.ts))"
      } else if !b.returned {
        s += "\n      still blocked when the trace ended"
      } else {
        s += "\n      released by: unknown"
      }
      line(s)
    }
    if r.blocking.count > 50 { line("  … \(r.blocking.count - 50) more (see --format json)") }
    if r.blockingOmitted > 0 { line("  (\(r.blockingOmitted) shorter ones not kept)") }
    line()

    if !r.leaks.isEmpty {
      line("Leaked pipe ends (exec'd holding a pipe end never used, while another process waited on it):")
      for l in r.leaks {
        let held = l.releasedAt.map { "until \(r.relative($0))" } ?? "until the end"
        line("  \(l.holderPid) exec'd \(e(l.program)) at \(r.relative(l.execTs)) holding fd \(l.fd) (\(l.end.rawValue) end of \(e(l.pipe))) \(held), never used it;"
          + " \(l.blockedPid) \(program(l.blockedPid)) blocked \(NumberText.duration(l.blockedDur)) in \(e(l.blockedName)) on it")
      }
      line()
    }

    line("Process tree:")
    line("  " + "PID".padded(16) + "PARENT".padded(8) + "START".padded(13) + "END".padded(13) + "LIFETIME".padded(11) + "STATUS".padded(19) + "PROGRAM")
    for (p, depth) in r.processTree() {
      let end = p.end.map { r.relative($0) } ?? "-"
      let life = p.end.map { NumberText.duration($0 - p.start) } ?? "-"
      let prog = e(p.program.map { p.argv.isEmpty ? $0 : p.argv.joined(separator: " ") } ?? "")
      line("  " + (String(repeating: "  ", count: min(depth, 8)) + "\(p.pid)").padded(15) + " "
        + (p.parent.map { "\($0)" } ?? "-").padded(8) + r.relative(p.start).padded(13) + end.padded(13)
        + life.padded(11) + (r.statusText(p) + " ").padded(19) + String(prog.prefix(80)))
    }
    line()

    line("Pipes:")
    if r.pipes.isEmpty { line("  none seen") }
    for p in r.pipes.prefix(100) {
      let made = p.created.map { "created by \($0.pid) with \($0.event) at \(r.relative($0.ts))" } ?? "created before the trace"
      line("  \(e(p.label)): \(e(made))" + (p.closedAt.map { ", last end closed at \(r.relative($0))" } ?? ", still open at the end"))
      for h in p.history { line("      \(r.relative(h.ts))  \(e(h.text))") }
      if p.omittedHistory > 0 { line("      … \(p.omittedHistory) more steps") }
    }
    if r.pipes.count > 100 { line("  … \(r.pipes.count - 100) more pipes (see --format json)") }
    if r.pipesOmitted > 0 { line("  (\(r.pipesOmitted) later pipes not kept)") }
    line()

    line("Syscalls, all processes (wall time):")
    out += table(r.summary)
    for p in r.perProcess.prefix(50) {
      line()
      line("Syscalls of \(p.pid) \(program(p.pid)):")
      out += table(Array(p.syscalls.prefix(15)))
    }
    return out
  }

  static func table(_ rows: [CallSummary]) -> String {
    var out = "  " + "SYSCALL".padded(18) + "CALLS".leftPadded(9) + "ERRORS".leftPadded(8) + "TOTAL".leftPadded(12)
      + "AVG".leftPadded(11) + "P50".leftPadded(11) + "P99".leftPadded(11) + "MAX".leftPadded(11) + "\n"
    for s in rows {
      out += "  " + DisplayText.escape(s.name).padded(18) + "\(s.calls)".leftPadded(9) + "\(s.errors)".leftPadded(8)
        + NumberText.duration(s.total).leftPadded(12) + NumberText.duration(s.avg).leftPadded(11)
        + NumberText.duration(s.p50).leftPadded(11) + NumberText.duration(s.p99).leftPadded(11)
        + NumberText.duration(s.max).leftPadded(11) + "\n"
    }
    return out
  }
}

extension String {
  func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
  func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
