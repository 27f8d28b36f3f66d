import CTrace

/// The `--json` sink: one object per line (schema in README.md). Stable: the report reads it.
public final class JSONLinesWriter: EventSink {
  private typealias Key = TraceJSON.Key
  private typealias FdKey = TraceJSON.FdKey
  private typealias FrameKey = TraceJSON.FrameKey
  private typealias ValueKey = TraceJSON.ValueKey
  private typealias EventName = TraceJSON.EventName

  let out: OutputBuffer
  private var scratch: [UInt8] = []

  public init(output: OutputBuffer) {
    self.out = output
  }

  /// The first line of a trace.
  public func writeStart(command: [String]?, attached: [Int32], timestamp: Double) {
    key(Key.event, first: true)
    string(EventName.start)
    key(Key.version)
    out.append(byte: UInt8(ascii: "2"))
    key(Key.ts)
    out.append(seconds: timestamp)
    key(Key.command)
    if let c = command { appendStrings(c) } else { out.append("null") }
    key(Key.attached)
    out.append(byte: UInt8(ascii: "["))
    out.append(attached.map(String.init).joined(separator: ","))
    out.append("]}\n")
    out.lineDone()
  }

  public func handle(_ event: Event) {
    switch event {
    case .syscallEntry:
      return
    case .syscall(let r):
      head(EventName.syscall, r.pid, r.tid, r.timestamp)
      key(Key.name)
      appendString(r.name)
      if let abi = r.abi {
        // Schema 2: the number in the ABI's table (a reader of version 1 traces has neither).
        key(Key.nr)
        out.append(int: Int64(r.number))
        key(Key.abi)
        out.append(byte: UInt8(ascii: "\""))
        out.append(abi.rawValue)
        out.append(byte: UInt8(ascii: "\""))
      }
      key(Key.args)
      out.append(byte: UInt8(ascii: "["))
      var fds: [(arg: Int, index: Int?, fd: Int32, target: FdTarget)] = []
      for (i, a) in r.args.enumerated() {
        if i > 0 { out.append(byte: UInt8(ascii: ",")) }
        appendValue(a)
        collectFds(a, arg: i, index: nil, into: &fds)
      }
      out.append(byte: UInt8(ascii: "]"))
      key(Key.ret)
      if let ret = r.ret {
        out.append(int: ret)
        if let e = r.errno {
          key(Key.errno)
          appendString(e.name)
        }
      } else {
        out.append("null")
      }
      key(Key.dur)
      if let d = r.duration { out.append(seconds: d) } else { out.append("null") }
      if let detail = r.retDetail {
        // What poll/select returned ready (`([{fd=3, revents=POLLIN}])`): the report's "released by".
        key(Key.retDetail)
        appendString(detail)
      }
      if let t = r.retTarget, let ret = r.ret {
        key(Key.retFd)
        appendTarget(fd: Int32(truncatingIfNeeded: ret), t, arg: nil, index: nil)
      }
      if let stack = r.stack { appendStack(stack) }
      if !fds.isEmpty {
        key(Key.fds)
        out.append(byte: UInt8(ascii: "["))
        for (i, f) in fds.enumerated() {
          if i > 0 { out.append(byte: UInt8(ascii: ",")) }
          appendTarget(fd: f.fd, f.target, arg: f.arg, index: f.index)
        }
        out.append(byte: UInt8(ascii: "]"))
      }
      out.append("}\n")
    case .fork(let pid, let tid, let child, let kind, let ts):
      head(EventName.fork, pid, tid, ts)
      key(Key.child)
      out.append(int: Int64(child))
      key(Key.kind)
      string(kind.rawValue)
      out.append("}\n")
    case .exec(let pid, let tid, let path, let argv, let ts):
      head(EventName.exec, pid, tid, ts)
      // Lossless: bytes that are not UTF-8 as `{"hex":…}`, as in the execve line.
      key(Key.path)
      appendBytes(DisplayText.encode(path))
      key(Key.argv)
      out.append(byte: UInt8(ascii: "["))
      for (i, s) in argv.enumerated() {
        if i > 0 { out.append(byte: UInt8(ascii: ",")) }
        appendBytes(DisplayText.encode(s))
      }
      out.append(byte: UInt8(ascii: "]"))
      out.append("}\n")
    case .exit(let pid, let tid, let code, let signal, let core, let ts):
      head(EventName.exit, pid, tid, ts)
      key(Key.code)
      if let c = code { out.append(int: Int64(c)) } else { out.append("null") }
      key(Key.signal)
      if let s = signal { appendString(Signals.name(s)) } else { out.append("null") }
      key(Key.core)
      out.append(core ? "true}\n" : "false}\n")
    case .signal(let s):
      head(EventName.signal, s.pid, s.tid, s.timestamp)
      key(Key.sig)
      appendString(Signals.name(s.signo))
      key(Key.code)
      appendString(s.info.codeText(XlatPrinter()))
      key(Key.sender)
      out.append(int: Int64(s.senderPid))
      key(Key.uid)
      out.append(int: Int64(s.info.uid))
      if s.signo == Int32(CT_SIGCHLD) && s.code > 0 {
        key(Key.status)
        if s.code == Int32(CT_CLD_EXITED) { out.append(int: Int64(s.info.status)) } else { appendString(Signals.name(s.info.status)) }
      }
      if let stack = s.stack { appendStack(stack) }
      out.append("}\n")
    case .personality(let pid, let tid, let arch, let ts):
      head(EventName.personality, pid, tid, ts)
      key(Key.mode)
      appendString(arch.modeName)
      out.append("}\n")
    case .detached(let pid, let tid, let ts):
      head(EventName.detached, pid, tid, ts)
      out.append("}\n")
    case .note(let pid, let text, let ts):
      key(Key.event, first: true)
      string(EventName.note)
      key(Key.pid)
      out.append(int: Int64(pid))
      key(Key.ts)
      out.append(seconds: ts)
      key(Key.text)
      appendString(text)
      out.append("}\n")
    }
    out.lineDone()
  }

  public func finish() { out.flush() }

  /// `,"KEY":` (`{"KEY":` for an object's first key; without `comma` nothing before the quote).
  @inline(__always) private func key(_ k: StaticString, first: Bool = false, comma: Bool = true) {
    if first { out.append(byte: UInt8(ascii: "{")) } else if comma { out.append(byte: UInt8(ascii: ",")) }
    out.append(byte: UInt8(ascii: "\""))
    out.append(k)
    out.append(byte: UInt8(ascii: "\""))
    out.append(byte: UInt8(ascii: ":"))
  }

  /// A name of the schema (an event's, a fork's kind, an fd's kind) as a JSON string: plain ASCII.
  @inline(__always) private func string(_ s: StaticString) {
    out.append(byte: UInt8(ascii: "\""))
    out.append(s)
    out.append(byte: UInt8(ascii: "\""))
  }

  @inline(__always) private func string(_ s: String) {
    out.append(byte: UInt8(ascii: "\""))
    out.append(s)
    out.append(byte: UInt8(ascii: "\""))
  }

  /// `,"stack":[…]` (-k), innermost frame first.
  private func appendStack(_ stack: [StackFrame]) {
    key(Key.stack)
    out.append(byte: UInt8(ascii: "["))
    for (i, f) in stack.enumerated() {
      if i > 0 { out.append(byte: UInt8(ascii: ",")) }
      key(FrameKey.pc, first: true)
      out.append(uint: f.pc)
      key(FrameKey.module)
      if let m = f.module { appendString(m) } else { out.append("null") }
      key(FrameKey.symbol)
      if let sym = f.symbol { appendString(sym) } else { out.append("null") }
      key(FrameKey.offset)
      out.append(uint: f.symbolOffset)
      key(FrameKey.moduleOffset)
      out.append(uint: f.moduleOffset)
      out.append(byte: UInt8(ascii: "}"))
    }
    out.append(byte: UInt8(ascii: "]"))
  }

  private func head(_ kind: StaticString, _ pid: Int32, _ tid: Int32, _ ts: Double) {
    key(Key.event, first: true)
    string(kind)
    key(Key.pid)
    out.append(int: Int64(pid))
    key(Key.tid)
    out.append(int: Int64(tid))
    key(Key.ts)
    out.append(seconds: ts)
  }

  private func collectFds(_ v: ArgValue, arg: Int, index: Int?, into fds: inout [(arg: Int, index: Int?, fd: Int32, target: FdTarget)]) {
    switch v {
    case .fd(let fd, let t?): fds.append((arg, index, fd, t))
    case .array(let items, _), .bitset(let items):
      for (i, item) in items.enumerated() { collectFds(item, arg: arg, index: i, into: &fds) }
    case .structure(let fields):
      for f in fields { collectFds(f.value, arg: arg, index: index, into: &fds) }
    case .changed(let entry, _):
      collectFds(entry, arg: arg, index: index, into: &fds)
    default: break
    }
  }

  private func appendTarget(fd: Int32, _ t: FdTarget, arg: Int?, index: Int?) {
    out.append(byte: UInt8(ascii: "{"))
    if let a = arg {
      key(FdKey.arg, first: false, comma: false)
      out.append(int: Int64(a))
      out.append(byte: UInt8(ascii: ","))
    }
    if let i = index {
      key(FdKey.index, first: false, comma: false)
      out.append(int: Int64(i))
      out.append(byte: UInt8(ascii: ","))
    }
    key(FdKey.fd, first: false, comma: false)
    out.append(int: Int64(fd))
    key(Key.kind)
    string(t.kind.rawValue)
    if let ino = t.inode {
      key(FdKey.inode)
      out.append(uint: ino)
    }
    key(Key.path)
    appendString(t.path)
    // -yy: what strace -yy shows besides the path.
    switch t.detail {
    case nil: break
    case .socket(let text)?:
      key(FdKey.socket)
      appendString(text)
    case .device(let numbers)?:
      key(FdKey.device)
      appendString(numbers)
    case .process(let pid)?:
      key(Key.pid)
      out.append(int: Int64(pid))
    }
    out.append(byte: UInt8(ascii: "}"))
  }

  private func appendValue(_ v: ArgValue) {
    switch v {
    case .int(let i): out.append(int: i)
    case .uint(let u): out.append(uint: u)
    case .fd(let fd, _): out.append(int: Int64(fd))
    case .null: out.append("null")
    case .hex(let h): appendString(NumberText.hex(h))
    case .string(let b, _): appendBytes(b)
    case .symbol(let s), .raw(let s): appendString(s)
    case .array(let items, _), .bitset(let items):
      out.append(byte: UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(byte: UInt8(ascii: ",")) }
        appendValue(item)
      }
      out.append(byte: UInt8(ascii: "]"))
    case .structure(let fields):
      out.append(byte: UInt8(ascii: "{"))
      var first = true
      // A field without a name is strace's `...` (fields left out): nothing to write.
      for f in fields where !f.name.isEmpty {
        if !first { out.append(byte: UInt8(ascii: ",")) }
        first = false
        appendString(f.name)
        out.append(byte: UInt8(ascii: ":"))
        appendValue(f.value)
      }
      out.append(byte: UInt8(ascii: "}"))
    case .workingDirectory(let value, _): appendValue(value)
    case .changed(let entry, let exit):
      key(ValueKey.entry, first: true)
      appendValue(entry)
      key(ValueKey.exit)
      appendValue(exit)
      out.append(byte: UInt8(ascii: "}"))
    }
  }

  private func appendStrings(_ list: [String]) {
    out.append(byte: UInt8(ascii: "["))
    for (i, s) in list.enumerated() {
      if i > 0 { out.append(byte: UInt8(ascii: ",")) }
      appendString(s)
    }
    out.append(byte: UInt8(ascii: "]"))
  }

  private func appendString(_ s: String) {
    var s = s
    s.withUTF8 { JSONString.append($0, to: &out.bytes) }
  }

  /// Tracee bytes need not be UTF-8: every byte string survives the round trip (README).
  private func appendBytes(_ b: [UInt8]) {
    JSONString.appendBytes(b, to: &out.bytes)
  }
}
