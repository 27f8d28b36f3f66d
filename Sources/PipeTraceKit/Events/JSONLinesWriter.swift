import CTrace

/// The `--json` sink: one object per line (schema in README.md). Stable: the report reads it.
public final class JSONLinesWriter: EventSink {
  let out: OutputBuffer
  private var scratch: [UInt8] = []

  public init(output: OutputBuffer) {
    self.out = output
  }

  /// The first line of a trace.
  public func writeStart(command: [String]?, attached: [Int32], timestamp: Double) {
    out.append("{\"event\":\"start\",\"version\":2,\"ts\":")
    out.append(seconds: timestamp)
    out.append(",\"command\":")
    if let c = command { appendStrings(c) } else { out.append("null") }
    out.append(",\"attached\":[")
    out.append(attached.map(String.init).joined(separator: ","))
    out.append("]}\n")
    out.lineDone()
  }

  public func handle(_ event: Event) {
    switch event {
    case .syscallEntry:
      return
    case .syscall(let r):
      head("syscall", r.pid, r.tid, r.timestamp)
      out.append(",\"name\":")
      appendString(r.name)
      if let abi = r.abi {
        // Schema 2: the number in the ABI's table (a reader of version 1 traces has neither).
        out.append(",\"nr\":")
        out.append(int: Int64(r.number))
        out.append(",\"abi\":\"")
        out.append(abi.rawValue)
        out.append(byte: UInt8(ascii: "\""))
      }
      out.append(",\"args\":[")
      var fds: [(arg: Int, index: Int?, fd: Int32, target: FdTarget)] = []
      for (i, a) in r.args.enumerated() {
        if i > 0 { out.append(byte: UInt8(ascii: ",")) }
        appendValue(a)
        collectFds(a, arg: i, index: nil, into: &fds)
      }
      out.append("],\"ret\":")
      if let ret = r.ret {
        out.append(int: ret)
        if let e = r.errno {
          out.append(",\"errno\":")
          appendString(e.name)
        }
      } else {
        out.append("null")
      }
      out.append(",\"dur\":")
      if let d = r.duration { out.append(seconds: d) } else { out.append("null") }
      if let detail = r.retDetail {
        // What poll/select returned ready (`([{fd=3, revents=POLLIN}])`): the report's "released by".
        out.append(",\"ret_detail\":")
        appendString(detail)
      }
      if let t = r.retTarget, let ret = r.ret {
        out.append(",\"ret_fd\":")
        appendTarget(fd: Int32(truncatingIfNeeded: ret), t, arg: nil, index: nil)
      }
      if let stack = r.stack { appendStack(stack) }
      if !fds.isEmpty {
        out.append(",\"fds\":[")
        for (i, f) in fds.enumerated() {
          if i > 0 { out.append(byte: UInt8(ascii: ",")) }
          appendTarget(fd: f.fd, f.target, arg: f.arg, index: f.index)
        }
        out.append(byte: UInt8(ascii: "]"))
      }
      out.append("}\n")
    case .fork(let pid, let tid, let child, let kind, let ts):
      head("fork", pid, tid, ts)
      out.append(",\"child\":")
      out.append(int: Int64(child))
      out.append(",\"kind\":\"")
      out.append(kind.rawValue)
      out.append("\"}\n")
    case .exec(let pid, let tid, let path, let argv, let ts):
      head("exec", pid, tid, ts)
      // Lossless: bytes that are not UTF-8 as `{"hex":…}`, as in the execve line.
      out.append(",\"path\":")
      appendBytes(DisplayText.encode(path))
      out.append(",\"argv\":")
      out.append(byte: UInt8(ascii: "["))
      for (i, s) in argv.enumerated() {
        if i > 0 { out.append(byte: UInt8(ascii: ",")) }
        appendBytes(DisplayText.encode(s))
      }
      out.append(byte: UInt8(ascii: "]"))
      out.append("}\n")
    case .exit(let pid, let tid, let code, let signal, let core, let ts):
      head("exit", pid, tid, ts)
      out.append(",\"code\":")
      if let c = code { out.append(int: Int64(c)) } else { out.append("null") }
      out.append(",\"signal\":")
      if let s = signal { appendString(Signals.name(s)) } else { out.append("null") }
      out.append(core ? ",\"core\":true}\n" : ",\"core\":false}\n")
    case .signal(let s):
      head("signal", s.pid, s.tid, s.timestamp)
      out.append(",\"sig\":")
      appendString(Signals.name(s.signo))
      out.append(",\"code\":")
      appendString(s.info.codeText(XlatPrinter()))
      out.append(",\"sender\":")
      out.append(int: Int64(s.senderPid))
      out.append(",\"uid\":")
      out.append(int: Int64(s.info.uid))
      if s.signo == Int32(CT_SIGCHLD) && s.code > 0 {
        out.append(",\"status\":")
        if s.code == Int32(CT_CLD_EXITED) { out.append(int: Int64(s.info.status)) } else { appendString(Signals.name(s.info.status)) }
      }
      if let stack = s.stack { appendStack(stack) }
      out.append("}\n")
    case .personality(let pid, let tid, let arch, let ts):
      head("personality", pid, tid, ts)
      out.append(",\"mode\":")
      appendString(arch.modeName)
      out.append("}\n")
    case .detached(let pid, let tid, let ts):
      head("detached", pid, tid, ts)
      out.append("}\n")
    case .note(let pid, let text, let ts):
      out.append("{\"event\":\"note\",\"pid\":")
      out.append(int: Int64(pid))
      out.append(",\"ts\":")
      out.append(seconds: ts)
      out.append(",\"text\":")
      appendString(text)
      out.append("}\n")
    }
    out.lineDone()
  }

  public func finish() { out.flush() }

  /// `,"stack":[…]` (-k), innermost frame first.
  private func appendStack(_ stack: [StackFrame]) {
    out.append(",\"stack\":[")
    for (i, f) in stack.enumerated() {
      if i > 0 { out.append(byte: UInt8(ascii: ",")) }
      out.append("{\"pc\":")
      out.append(uint: f.pc)
      out.append(",\"module\":")
      if let m = f.module { appendString(m) } else { out.append("null") }
      out.append(",\"symbol\":")
      if let sym = f.symbol { appendString(sym) } else { out.append("null") }
      out.append(",\"offset\":")
      out.append(uint: f.symbolOffset)
      out.append(",\"module_offset\":")
      out.append(uint: f.moduleOffset)
      out.append(byte: UInt8(ascii: "}"))
    }
    out.append(byte: UInt8(ascii: "]"))
  }

  private func head(_ kind: StaticString, _ pid: Int32, _ tid: Int32, _ ts: Double) {
    out.append("{\"event\":\"")
    out.append(kind)
    out.append("\",\"pid\":")
    out.append(int: Int64(pid))
    out.append(",\"tid\":")
    out.append(int: Int64(tid))
    out.append(",\"ts\":")
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
      out.append("\"arg\":")
      out.append(int: Int64(a))
      out.append(byte: UInt8(ascii: ","))
    }
    if let i = index {
      out.append("\"index\":")
      out.append(int: Int64(i))
      out.append(byte: UInt8(ascii: ","))
    }
    out.append("\"fd\":")
    out.append(int: Int64(fd))
    out.append(",\"kind\":\"")
    out.append(t.kind.rawValue)
    out.append("\"")
    if let ino = t.inode {
      out.append(",\"inode\":")
      out.append(uint: ino)
    }
    out.append(",\"path\":")
    appendString(t.path)
    // -yy: what strace -yy shows besides the path.
    switch t.detail {
    case nil: break
    case .socket(let text)?:
      out.append(",\"socket\":")
      appendString(text)
    case .device(let numbers)?:
      out.append(",\"device\":")
      appendString(numbers)
    case .process(let pid)?:
      out.append(",\"pid\":")
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
    case .changed(let entry, let exit):
      out.append("{\"entry\":")
      appendValue(entry)
      out.append(",\"exit\":")
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
