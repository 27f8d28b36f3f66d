#if canImport(Glibc)
import Glibc
#endif

/// The text sink: strace-style lines, by default compatible with `strace -f -ttt -T -y`; `style` picks
/// the columns as strace's -t/-tt/-ttt/-r/-T/-y/-a do. A call that blocks while another task prints
/// is split into `<unfinished ...>` and `<... NAME resumed>` lines, as strace does.
///
/// It is also the front of strace's text output as a whole: `filter` (-e status=, -P, --trace-fds)
/// chooses the syscalls, `summary` (-c/-C) counts them, and `printsTrace` false (-c) prints no line.
/// The summary is fed here, not as a sink of its own, because it needs both streams: every entry
/// stop, filtered or not (it reads the thread's CPU clock there), and only the calls the filter
/// lets through (those it counts).
public final class StraceFormatter: EventSink {
  public enum PidStyle: Sendable {
    /// `1234  ` — strace's column when writing to a file (-o).
    case column
    /// `[pid  1234] ` — pipetrace's prefix on a terminal, on every line.
    case bracketed
    /// `[pid  1234] ` only while more than one task is traced: strace's prefix on a terminal (one
    /// task at the start unless `startsWith(tasks:)` says otherwise).
    case bracketedWhileSeveral
    /// No pid: one file per thread (-ff).
    case none
  }

  let out: OutputBuffer
  let pidStyle: PidStyle
  let style: TraceTextStyle
  let filter: SyscallFilter?
  let summary: SyscallSummary?
  let printsTrace: Bool
  /// The task whose entry is known but not yet printed; its line is completed by its exit unless
  /// another line must be printed first.
  private var open: SyscallRecord?
  /// Tasks whose entry went out as `<unfinished ...>`: how many args that part showed, and whether
  /// it ended with their separator (`read(3, `) or inside an argument (`clone3({…}`).
  private var unfinished: [Int32: (shown: Int, separated: Bool)] = [:]
  /// Where the current line starts in `out.bytes` (for -a alignment).
  private var lineStart = 0
  /// A call that never returned, with arguments still to come: held until its task's next event.
  private var cutShortCall: SyscallRecord?
  /// -r: the timestamp of the previous line.
  private var previousLineTime: Double?
  /// -t/-tt: the local `HH:MM:SS` of `clockSecond`.
  private var clockSecond = Int.min
  private var clockText: [UInt8] = []
  /// Tasks traced now (`.bracketedWhileSeveral`): a task counts from its fork until its last line.
  private var tasks = 1

  public init(
    output: OutputBuffer, pidStyle: PidStyle, style: TraceTextStyle = .pipetrace,
    filter: SyscallFilter? = nil, summary: SyscallSummary? = nil, printsTrace: Bool = true
  ) {
    self.out = output
    self.pidStyle = pidStyle
    self.style = style
    self.filter = filter
    self.summary = summary
    self.printsTrace = printsTrace
  }

  /// How many tasks are traced at the start (every thread attached with -p), for
  /// `.bracketedWhileSeveral`.
  public func startsWith(tasks n: Int) { tasks = n }

  public func handle(_ event: Event) {
    summary?.observe(event)
    // Counted whatever the filter lets through: a new task counts before its first line, an ended
    // one after its last (strace's `+++ exited` still has its prefix).
    if case .fork = event { tasks += 1 }
    // Not at a detach: the trace is letting every task go, and a call cut short by it (printed
    // after another task's detach) keeps the prefix strace gave its entry while both were traced.
    defer { if case .exit = event { tasks -= 1 } }
    guard let filter else { return admitted(event) }
    filter.admit(event, admitted)
  }

  /// An event the filter let through (every event when there is none).
  private func admitted(_ event: Event) {
    summary?.count(event)
    if printsTrace { print(event) }
  }

  private func print(_ event: Event) {
    if let c = cutShortCall {
      // The task's next event says how its call ended: let go (`<detached ...>`) or not.
      cutShortCall = nil
      if case .detached(_, let tid, _) = event, tid == c.tid {
        writeDetached(c)
      } else {
        writeSyscall(c)
      }
    }
    switch event {
    case .syscallEntry(let r):
      closeOpenLine()
      open = r
    case .syscall(let r):
      if cutShort(r) {
        cutShortCall = r
      } else {
        writeSyscall(r)
      }
    case .signal(let sig):
      guard style.signals.contains(Int(sig.signo)) else { return }
      closeOpenLine()
      prefix(sig.tid, sig.timestamp)
      out.append("--- ")
      out.append(StraceText.signal(sig.info))
      out.append(" ---\n")
      if let stack = sig.stack { appendStack(stack) }
      out.lineDone()
    case .personality(let pid, let tid, let arch, let ts):
      guard !style.quiet.contains(QuietMessage.personality.rawValue) else { return }
      closeOpenLine()
      prefix(tid, ts)
      out.append("[ Process PID=\(pid) runs in \(arch.modeName) mode. ]\n")
      out.lineDone()
    case .exit(_, let tid, let code, let signal, let core, let ts):
      if open?.tid == tid { closeOpenLine() }
      unfinished[tid] = nil
      if let sig = signal, !style.signals.contains(Int(sig)) { return }
      if signal == nil && style.quiet.contains(QuietMessage.exit.rawValue) { return }
      closeOpenLine()
      prefix(tid, ts)
      if let sig = signal {
        out.append("+++ killed by ")
        out.append(Signals.name(sig))
        out.append(core ? " (core dumped) +++\n" : " +++\n")
      } else {
        out.append("+++ exited with ")
        out.append(int: Int64(code ?? 0))
        out.append(" +++\n")
      }
      out.lineDone()
    case .note(let pid, let text, let ts):
      closeOpenLine()
      for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
        prefix(pid, ts)
        out.append("# ")
        out.append(String(l))
        out.append(byte: 0x0a)
      }
      out.lineDone()
    case .detached(_, let tid, _):
      if open?.tid == tid { closeOpenLine() }
      unfinished[tid] = nil
    case .fork, .exec:
      break
    }
  }

  /// For `<unfinished ...>` lines (and -c's CPU clock at entry).
  public var wantsEntries: Bool { true }

  public func finish() {
    filter?.finish(admitted)
    if let c = cutShortCall {
      cutShortCall = nil
      writeSyscall(c)
    }
    closeOpenLine()
    out.flush()
  }

  /// A finished (or never to finish) call: completes its open entry, its `<unfinished ...>` part,
  /// or stands alone.
  private func writeSyscall(_ r: SyscallRecord) {
    if let o = open, o.tid == r.tid {
      open = nil
      writeWhole(r)
    } else {
      closeOpenLine()
      if let part = unfinished.removeValue(forKey: r.tid) {
        writeResumed(r, shownArgs: part.shown, separated: part.separated)
      } else {
        writeWhole(r)
      }
    }
  }

  /// strace at a detach: the call's entry part, if it is the line being written or was never
  /// written, ends in ` <detached ...>`; one already cut into `<unfinished ...>` gets nothing more.
  private func writeDetached(_ r: SyscallRecord) {
    if unfinished.removeValue(forKey: r.tid) != nil && open?.tid != r.tid { return }
    if open?.tid == r.tid { open = nil } else { closeOpenLine() }
    prefix(r.tid, r.timestamp)
    out.append(r.name)
    out.append(byte: UInt8(ascii: "("))
    appendArgs(r.args[...])
    if !r.args.isEmpty { out.append(", ") }
    out.append(" <detached ...>\n")
    out.lineDone()
  }

  private func prefix(_ tid: Int32, _ ts: Double) {
    lineStart = out.bytes.count
    switch pidStyle {
    case .column:
      let s = String(tid)
      out.append(s)
      out.append(String(repeating: " ", count: max(1, 6 - s.count)))
    case .bracketedWhileSeveral where tasks < 2:
      break
    case .bracketed, .bracketedWhileSeveral:
      let s = String(tid)
      out.append("[pid ")
      out.append(String(repeating: " ", count: max(0, 5 - s.count)))
      out.append(s)
      out.append("] ")
    case .none:
      break
    }
    switch style.timestamp {
    case .none:
      break
    case .epochMicroseconds:
      out.append(seconds: ts)
      out.append(byte: 0x20)
    case .time, .timeMicroseconds:
      let micros = Int64((max(0, ts) * 1_000_000).rounded())
      appendLocalTime(Int(micros / 1_000_000))
      if style.timestamp == .timeMicroseconds {
        out.append(byte: UInt8(ascii: "."))
        out.append(uint: UInt64(micros % 1_000_000), width: 6)
      }
      out.append(byte: 0x20)
    }
    if style.relative {
      // strace: `%6ld.%06ld`, inside `(+...)` after a -t column.
      let delta = max(0, ts - (previousLineTime ?? ts))
      previousLineTime = ts
      if style.timestamp != .none { out.append("(+") }
      let start = out.bytes.count
      out.append(seconds: delta)
      let width = out.bytes.count - start
      if width < 13 { out.bytes.insert(contentsOf: repeatElement(UInt8(ascii: " "), count: 13 - width), at: start) }
      out.append(style.timestamp != .none ? ") " : " ")
    }
  }

  /// `HH:MM:SS` in local time, as strace's -t (strftime %T of localtime).
  private func appendLocalTime(_ second: Int) {
    if second != clockSecond {
      clockSecond = second
      var t = time_t(second)
      var parts = tm()
      localtime_r(&t, &parts)
      clockText.removeAll(keepingCapacity: true)
      for (i, v) in [parts.tm_hour, parts.tm_min, parts.tm_sec].enumerated() {
        if i > 0 { clockText.append(UInt8(ascii: ":")) }
        NumberText.appendDecimal(UInt64(v), width: 2, to: &clockText)
      }
    }
    out.bytes.append(contentsOf: clockText)
  }

  private func closeOpenLine() {
    guard let r = open else { return }
    open = nil
    prefix(r.tid, r.timestamp)
    out.append(r.name)
    out.append(byte: UInt8(ascii: "("))
    appendArgs(r.args[...])
    // strace: the entry part ends where the first exit-time argument would start (`read(3, `),
    // then ` <unfinished ...>`; the resumed part goes on from there (`<... read resumed>"ab", 4)`).
    if r.moreArgsAtExit && !r.args.isEmpty { out.append(", ") }
    out.append(" <unfinished ...>\n")
    out.lineDone()
    unfinished[r.tid] = (r.args.count, r.moreArgsAtExit)
  }

  private func writeWhole(_ r: SyscallRecord) {
    prefix(r.tid, r.timestamp)
    out.append(r.name)
    out.append(byte: UInt8(ascii: "("))
    appendArgs(r.args[...])
    if cutShort(r) {
      if !r.args.isEmpty { out.append(", ") }
      out.append(" <unfinished ...>")
    }
    out.append(byte: UInt8(ascii: ")"))
    appendResult(r)
  }

  /// A call that never returned (its task died or was let go in it) while arguments it fills in
  /// were still to come: strace marks the missing part, `read(0,  <unfinished ...>) = ?`. A call
  /// whose arguments were all shown (`kill(1234, SIGKILL) = ?`, exit_group) is complete.
  private func cutShort(_ r: SyscallRecord) -> Bool {
    r.ret == nil && r.moreArgsAtExit
  }

  private func writeResumed(_ r: SyscallRecord, shownArgs: Int, separated: Bool) {
    prefix(r.tid, r.timestamp + (r.duration ?? 0))
    out.append("<... ")
    out.append(r.name)
    out.append(" resumed>")
    // The entry part ended inside an argument (clone3): ` => {…}` when the kernel changed it,
    // then the separator before the rest.
    if !separated && shownArgs > 0 && shownArgs <= r.args.count {
      if case .changed(_, let after) = r.args[shownArgs - 1] {
        out.append(" => ")
        out.append(StraceText.render(after))
      }
      if shownArgs < r.args.count { out.append(", ") }
    }
    if shownArgs < r.args.count {
      appendArgs(r.args[shownArgs...])
    }
    if cutShort(r) { out.append(" <unfinished ...>") }
    out.append(byte: UInt8(ascii: ")"))
    appendResult(r)
  }

  private func appendArgs(_ args: ArraySlice<ArgValue>) {
    var first = true
    for a in args {
      if !first { out.append(", ") }
      first = false
      // Straight into the output: a large string (-s) is held once, not also in a scratch copy.
      StraceText.append(a, to: &out.bytes, fdPaths: style.fdPaths)
    }
  }

  private func appendResult(_ r: SyscallRecord) {
    out.append(byte: 0x20)
    let column = out.bytes.count - lineStart
    if column < style.alignment {
      out.bytes.append(contentsOf: repeatElement(0x20, count: style.alignment - column))
    }
    out.append("= ")
    if let ret = r.ret {
      if let e = r.errno {
        out.append(Errno.kernelInternal[e.rawValue] != nil ? "? " : "-1 ")
        out.append(e.name)
        out.append(" (")
        out.append(e.message)
        out.append(")")
      } else if r.retIsHex {
        out.append(hex: UInt64(bitPattern: ret))
      } else {
        out.append(int: ret)
        if style.fdPaths, let t = r.retTarget { StraceText.appendTarget(t, to: &out.bytes) }
      }
      if let d = r.retDetail {
        out.append(byte: 0x20)
        out.append(d)
      }
    } else {
      out.append("?")
    }
    if style.durations, let d = r.duration {
      out.append(" <")
      out.append(seconds: d)
      out.append(">")
    }
    out.append(byte: 0x0a)
    if let stack = r.stack { appendStack(stack) }
    out.lineDone()
  }

  /// strace -k's frame lines: ` > /lib/libc.so.6(__read+0x11) [0x114a61]`.
  private func appendStack(_ frames: [StackFrame]) {
    for f in frames {
      out.append(f.straceText)
      out.append(byte: 0x0a)
    }
  }
}
