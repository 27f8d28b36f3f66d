/// The text sink: lines compatible with `strace -f -ttt -T -y`. A call that blocks while another
/// task prints is split into `<unfinished ...>` and `<... NAME resumed>` lines, as strace does.
public final class StraceFormatter: EventSink {
  public enum PidStyle: Sendable {
    /// `1234  ` — strace's column when writing to a file (-o).
    case column
    /// `[pid  1234] ` — strace's prefix on a terminal.
    case bracketed
  }

  let out: OutputBuffer
  let pidStyle: PidStyle
  /// The task whose entry is known but not yet printed; its line is completed by its exit unless
  /// another line must be printed first.
  private var open: SyscallRecord?
  /// Tasks whose entry went out as `<unfinished ...>`: how many args that part showed.
  private var unfinished: [Int32: Int] = [:]

  public init(output: OutputBuffer, pidStyle: PidStyle) {
    self.out = output
    self.pidStyle = pidStyle
  }

  public func handle(_ event: Event) {
    switch event {
    case .syscallEntry(let r):
      closeOpenLine()
      open = r
    case .syscall(let r):
      if let o = open, o.tid == r.tid {
        open = nil
        writeWhole(r)
      } else {
        closeOpenLine()
        if let shown = unfinished.removeValue(forKey: r.tid) {
          writeResumed(r, shownArgs: shown)
        } else {
          writeWhole(r)
        }
      }
    case .signal(_, let tid, let signo, let code, let sender, let uid, let status, let ts):
      closeOpenLine()
      prefix(tid, ts)
      out.append("--- ")
      out.append(Signals.name(signo))
      out.append(" {si_signo=")
      out.append(Signals.name(signo))
      out.append(", si_code=")
      out.append(Signals.codeName(signo: signo, code: code))
      if code <= 0 || signo == 17 {
        out.append(", si_pid=")
        out.append(int: Int64(sender))
        out.append(", si_uid=")
        out.append(int: Int64(uid))
      }
      if signo == 17 {
        out.append(", si_status=")
        out.append(code == 1 ? String(status) : Signals.name(status))
      }
      out.append("} ---\n")
      out.lineDone()
    case .exit(_, let tid, let code, let signal, let core, let ts):
      closeOpenLine()
      unfinished[tid] = nil
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

  public func finish() {
    closeOpenLine()
    out.flush()
  }

  private func prefix(_ tid: Int32, _ ts: Double) {
    switch pidStyle {
    case .column:
      let s = String(tid)
      out.append(s)
      out.append(String(repeating: " ", count: max(1, 6 - s.count)))
    case .bracketed:
      let s = String(tid)
      out.append("[pid ")
      out.append(String(repeating: " ", count: max(0, 5 - s.count)))
      out.append(s)
      out.append("] ")
    }
    out.append(seconds: ts)
    out.append(byte: 0x20)
  }

  private func closeOpenLine() {
    guard let r = open else { return }
    open = nil
    prefix(r.tid, r.timestamp)
    out.append(r.name)
    out.append(byte: UInt8(ascii: "("))
    appendArgs(r.args[...])
    if r.moreArgsAtExit { out.append(",") }
    out.append(" <unfinished ...>\n")
    out.lineDone()
    unfinished[r.tid] = r.args.count
  }

  private func writeWhole(_ r: SyscallRecord) {
    prefix(r.tid, r.timestamp)
    out.append(r.name)
    out.append(byte: UInt8(ascii: "("))
    appendArgs(r.args[...])
    out.append(byte: UInt8(ascii: ")"))
    appendResult(r)
  }

  private func writeResumed(_ r: SyscallRecord, shownArgs: Int) {
    prefix(r.tid, r.timestamp + (r.duration ?? 0))
    out.append("<... ")
    out.append(r.name)
    out.append(" resumed>")
    if shownArgs < r.args.count {
      out.append(byte: 0x20)
      appendArgs(r.args[shownArgs...])
    }
    out.append(byte: UInt8(ascii: ")"))
    appendResult(r)
  }

  private func appendArgs(_ args: ArraySlice<ArgValue>) {
    var first = true
    for a in args {
      if !first { out.append(", ") }
      first = false
      // Straight into the output: a large string (-s) is held once, not also in a scratch copy.
      StraceText.append(a, to: &out.bytes)
    }
  }

  private func appendResult(_ r: SyscallRecord) {
    out.append(" = ")
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
        if let t = r.retTarget {
          out.append(byte: UInt8(ascii: "<"))
          out.append(t.path)
          out.append(byte: UInt8(ascii: ">"))
        }
      }
      if let d = r.retDetail {
        out.append(byte: 0x20)
        out.append(d)
      }
    } else {
      out.append("?")
    }
    if let d = r.duration {
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
      out.append(" > ")
      out.append(f.module ?? "?")
      out.append(byte: UInt8(ascii: "("))
      if let sym = f.symbol {
        out.append(sym)
        out.append("+")
        out.append(hex: f.symbolOffset)
      }
      out.append(") [")
      out.append(hex: f.moduleOffset)
      out.append("]\n")
    }
  }
}
