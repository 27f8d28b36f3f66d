/// Turns a stopped tracee's raw syscall arguments into `ArgValue`s, reading its memory where an
/// argument points to data. Entry decodes the in-arguments, exit the out-arguments and the result.
struct ArgumentDecoder {
  let memory: TraceeMemory
  let fds: FdTargetCache
  let stringLimit: Int

  private var tid: Int32 { memory.tid }

  func fdValue(_ raw: UInt64) -> ArgValue {
    let fd = Int32(truncatingIfNeeded: raw)
    return .fd(fd, fds.target(of: fd, tid: tid))
  }

  /// The arguments printable at entry.
  func decodeEntry(_ spec: SyscallSpec, _ raw: [UInt64]) -> [ArgValue] {
    var out: [ArgValue] = []
    out.reserveCapacity(spec.args.count)
    for i in 0..<spec.entryArgCount {
      out.append(decodeIn(spec.args[i], raw[i], raw))
    }
    return out
  }

  /// Completes `args` at exit: decodes the out-arguments and the ones after them.
  func decodeExit(_ spec: SyscallSpec, _ raw: [UInt64], ret: Int64, failed: Bool, args: inout [ArgValue]) {
    for i in args.count..<spec.args.count {
      let kind = spec.args[i]
      if kind.isOut {
        args.append(failed ? .hex(raw[i]) : decodeOut(kind, raw[i], raw, ret: ret))
      } else {
        args.append(decodeIn(kind, raw[i], raw))
      }
    }
  }

  func decodeIn(_ kind: ArgKind, _ v: UInt64, _ raw: [UInt64]) -> ArgValue {
    switch kind {
    case .int: return .int(Int64(Int32(truncatingIfNeeded: v)))
    case .long: return .int(Int64(bitPattern: v))
    case .uint: return .uint(v)
    case .hex: return .hex(v)
    case .pointer: return v == 0 ? .null : .hex(v)
    case .fd: return fdValue(v)
    case .dirfd:
      return Int32(truncatingIfNeeded: v) == -100 ? .symbol("AT_FDCWD") : fdValue(v)
    case .inBuffer(let countArg):
      let count = Int(min(raw[countArg], UInt64(stringLimit)))
      if v == 0 { return .null }
      return .string(memory.bytes(at: v, count: count), truncated: raw[countArg] > UInt64(stringLimit))
    case .inIovec(let countArg):
      return iovecs(v, count: Int(min(raw[countArg], 1024)), budget: Int.max)
    case .openFlags: return .symbol(Flags.openFlags(v, withAccessMode: false))
    case .mode: return .raw("0" + String(v, radix: 8))
    case .signal: return .symbol(Signals.name(Int32(truncatingIfNeeded: v)))
    case .cloneFlags: return .symbol(Flags.cloneFlags(v))
    case .cloneFlagsAndStack:
      // x86_64 clone(flags, stack, parent_tid, child_tid, tls); strace leads with the stack.
      let stack = raw[1] == 0 ? "NULL" : "0x" + String(raw[1], radix: 16)
      var text = "child_stack=\(stack), flags=\(Flags.cloneFlags(v))"
      if v & 0x100000 != 0 { text += ", parent_tid=0x" + String(raw[2], radix: 16) }
      if v & 0x1200000 != 0 { text += ", child_tidptr=0x" + String(raw[3], radix: 16) }
      if v & 0x80000 != 0 { text += ", tls=0x" + String(raw[4], radix: 16) }
      return .raw(text)
    case .cloneArgs:
      guard let flags = memory.word(at: v) else { return v == 0 ? .null : .hex(v) }
      return .structure([.init("flags", .symbol(Flags.cloneFlags(flags)))])
    case .fcntlCommand:
      let c = Int64(bitPattern: v)
      return .symbol(Flags.fcntlCommands[c] ?? "\(c)")
    case .closeRangeFlags: return .symbol(Flags.describe(v, Flags.closeRange))
    case .waitOptions: return .symbol(Flags.describe(v, Flags.wait))
    case .idType: return .symbol(Flags.idTypes[Int64(bitPattern: v)] ?? "\(v)")
    case .path:
      guard let s = memory.cString(at: v, limit: 4096) else { return v == 0 ? .null : .hex(v) }
      return .string(s.bytes, truncated: s.truncated)
    case .argv:
      guard let list = memory.pointerArray(at: v, limit: 4096) else { return v == 0 ? .null : .hex(v) }
      let items: [ArgValue] = list.pointers.map { p in
        let s = memory.cString(at: p, limit: stringLimit)
        return .string(s?.bytes ?? [], truncated: s?.truncated ?? false)
      }
      return .array(items, truncated: list.truncated)
    case .envp:
      let count = memory.pointerArray(at: v, limit: 65536)?.pointers.count ?? 0
      return .raw("0x" + String(v, radix: 16) + " /* \(count) var\(count == 1 ? "" : "s") */")
    case .pollFds(let countArg):
      return pollFds(v, count: Int(min(raw[countArg], 1024)), revents: false)
    case .fdSet(let nfdsArg):
      return fdSet(v, nfds: Int(min(raw[nfdsArg], 65536)))
    case .outBuffer, .outIovec, .pipeFds, .waitStatus:
      return .hex(v)
    }
  }

  func decodeOut(_ kind: ArgKind, _ v: UInt64, _ raw: [UInt64], ret: Int64) -> ArgValue {
    switch kind {
    case .outBuffer:
      if v == 0 { return .null }
      let n = Int(max(0, ret))
      return .string(memory.bytes(at: v, count: min(n, stringLimit)), truncated: n > stringLimit)
    case .outIovec(let countArg):
      return iovecs(v, count: Int(min(raw[countArg], 1024)), budget: Int(max(0, ret)))
    case .pipeFds:
      guard let a = memory.int32(at: v), let b = memory.int32(at: v + 4) else { return .hex(v) }
      return .array([.fd(a, fds.target(of: a, tid: tid)), .fd(b, fds.target(of: b, tid: tid))], truncated: false)
    case .waitStatus:
      if v == 0 { return .null }
      guard ret > 0, let s = memory.int32(at: v) else { return .hex(v) }
      return .raw("[" + WaitStatus.describe(s) + "]")
    default:
      return decodeIn(kind, v, raw)
    }
  }

  /// `[{iov_base="...", iov_len=N}, ...]`; `budget` bytes are shown in all (what the call transferred).
  private func iovecs(_ address: UInt64, count: Int, budget: Int) -> ArgValue {
    if address == 0 { return .null }
    var left = budget
    var items: [ArgValue] = []
    for i in 0..<count {
      guard let base = memory.word(at: address + UInt64(16 * i)),
        let len = memory.word(at: address + UInt64(16 * i + 8))
      else { break }
      let show = min(Int(min(len, UInt64(Int.max))), left)
      left -= show
      let bytes = memory.bytes(at: base, count: min(show, stringLimit))
      items.append(.structure([
        .init("iov_base", .string(bytes, truncated: show > stringLimit)), .init("iov_len", .uint(len)),
      ]))
    }
    return .array(items, truncated: false)
  }

  func pollFds(_ address: UInt64, count: Int, revents: Bool) -> ArgValue {
    if address == 0 { return .null }
    let raw = memory.bytes(at: address, count: 8 * count)
    var items: [ArgValue] = []
    var i = 0
    while i + 8 <= raw.count {
      let fd = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i, as: Int32.self) }
      let events = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i + 4, as: UInt16.self) }
      let re = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i + 6, as: UInt16.self) }
      i += 8
      if revents {
        if re != 0 {
          items.append(.structure([.init("fd", .int(Int64(fd))), .init("revents", .symbol(Flags.describe(UInt64(re), Flags.poll)))]))
        }
      } else {
        items.append(.structure([.init("fd", .fd(fd, fd >= 0 ? fds.target(of: fd, tid: tid) : nil)),
                                 .init("events", .symbol(Flags.describe(UInt64(events), Flags.poll)))]))
      }
    }
    return .array(items, truncated: false)
  }

  func fdSetMembers(_ address: UInt64, nfds: Int) -> [Int32]? {
    if address == 0 { return nil }
    let bytes = memory.bytes(at: address, count: (nfds + 7) / 8)
    var members: [Int32] = []
    for fd in 0..<min(nfds, bytes.count * 8) where bytes[fd / 8] & (1 << (fd % 8)) != 0 {
      members.append(Int32(fd))
    }
    return members
  }

  private func fdSet(_ address: UInt64, nfds: Int) -> ArgValue {
    guard let members = fdSetMembers(address, nfds: nfds) else { return .null }
    return .raw("[" + members.map(String.init).joined(separator: " ") + "]")
  }

  /// What strace prints after the return value of poll/select: which fds became ready.
  func returnDetail(_ name: String, _ raw: [UInt64], ret: Int64) -> String? {
    guard ret > 0 else { return nil }
    switch name {
    case "poll", "ppoll":
      return "(" + StraceText.render(pollFds(raw[0], count: Int(min(raw[1], 1024)), revents: true)) + ")"
    case "select", "pselect6":
      let nfds = Int(min(raw[0], 65536))
      var parts: [String] = []
      for (label, i) in [("in", 1), ("out", 2), ("except", 3)] {
        if let m = fdSetMembers(raw[i], nfds: nfds), !m.isEmpty {
          parts.append(label + " [" + m.map(String.init).joined(separator: " ") + "]")
        }
      }
      return parts.isEmpty ? nil : "(" + parts.joined(separator: ", ") + ")"
    default:
      return nil
    }
  }
}

/// wait4 status words in strace's notation.
enum WaitStatus {
  static func describe(_ s: Int32) -> String {
    let low = s & 0x7f
    if low == 0 { return "{WIFEXITED(s) && WEXITSTATUS(s) == \((s >> 8) & 0xff)}" }
    if low == 0x7f {
      return "{WIFSTOPPED(s) && WSTOPSIG(s) == \(Signals.name((s >> 8) & 0xff))}"
    }
    let core = (s & 0x80) != 0 ? " && WCOREDUMP(s)" : ""
    return "{WIFSIGNALED(s) && WTERMSIG(s) == \(Signals.name(low))\(core)}"
  }
}
