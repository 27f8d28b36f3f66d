import CTrace

/// fcntl(2): the third argument and the result depend on the command.
enum FcntlDecoder {
  /// Commands whose third argument the kernel fills (printed at exit).
  static func argIsOut(command: UInt32) -> Bool {
    switch Int32(bitPattern: command) {
    case Int32(CT_F_GETLK), Int32(CT_F_GETLK64), Int32(CT_F_OFD_GETLK), Int32(CT_F_GETOWN_EX),
      Int32(CT_F_GET_RW_HINT), Int32(CT_F_GET_FILE_RW_HINT), Int32(CT_F_GETDELEG):
      return true
    default:
      return false
    }
  }

  /// Commands that return a new fd.
  static func returnsFd(command: UInt32) -> Bool {
    let c = Int32(bitPattern: command)
    return c == Int32(CT_F_DUPFD) || c == Int32(CT_F_DUPFD_CLOEXEC)
  }
}

extension ArgumentDecoder {
  // MARK: fcntl

  /// fcntl's third argument; nil for commands that take none.
  func fcntlArg(_ v: UInt64) -> ArgValue? {
    let cmd = Int32(truncatingIfNeeded: reg(1))
    let p = printer
    switch cmd {
    case Int32(CT_F_SETFD): return .symbol(p.flags(UInt64(UInt32(truncatingIfNeeded: v)), .fdFlags, "FD_???"))
    case Int32(CT_F_SETOWN), Int32(CT_F_SETPIPE_SZ), Int32(CT_F_DUPFD), Int32(CT_F_DUPFD_CLOEXEC):
      return .int(signedWord(v))
    case Int32(CT_F_SETFL): return .symbol(openFlags(UInt32(truncatingIfNeeded: v)))
    case Int32(CT_F_SETLK), Int32(CT_F_SETLKW): return flock(v, wide: false, withPid: false)
    case Int32(CT_F_SETLK64), Int32(CT_F_SETLKW64), Int32(CT_F_OFD_SETLK), Int32(CT_F_OFD_SETLKW):
      return flock(v, wide: true, withPid: false)
    case Int32(CT_F_GETLK):
      return failed ? address(v) : flock(v, wide: false, withPid: true)
    case Int32(CT_F_GETLK64), Int32(CT_F_OFD_GETLK):
      return failed ? address(v) : flock(v, wide: true, withPid: true)
    case Int32(CT_F_SETOWN_EX): return ownerEx(v)
    case Int32(CT_F_GETOWN_EX): return failed ? address(v) : ownerEx(v)
    case Int32(CT_F_NOTIFY): return .symbol(p.flags(v, .notifyFlags, "DN_???"))
    case Int32(CT_F_DUPFD_QUERY): return fd(v)
    case Int32(CT_F_SETLEASE): return .symbol(p.xval(v, .lockTypes, "F_???"))
    case Int32(CT_F_ADD_SEALS): return .symbol(p.flags(v, .seals, "F_SEAL_???"))
    case Int32(CT_F_SETSIG): return .symbol(Signals.printed(Int32(truncatingIfNeeded: v), style: options.xlatStyle))
    case Int32(CT_F_SET_RW_HINT), Int32(CT_F_SET_FILE_RW_HINT): return rwHint(v)
    case Int32(CT_F_GET_RW_HINT), Int32(CT_F_GET_FILE_RW_HINT): return failed ? address(v) : rwHint(v)
    case Int32(CT_F_SETDELEG): return delegation(v)
    case Int32(CT_F_GETDELEG): return failed ? address(v) : delegation(v)
    case Int32(CT_F_GETFD), Int32(CT_F_GETFL), Int32(CT_F_GETOWN), Int32(CT_F_GETSIG), Int32(CT_F_GETLEASE),
      Int32(CT_F_GETPIPE_SZ), Int32(CT_F_GET_SEALS):
      return nil
    default:
      return .hex(v)
    }
  }

  /// `{l_type=F_RDLCK, l_whence=SEEK_SET, l_start=0, l_len=4096}` (+ `l_pid` for the GET commands).
  /// `wide`: struct flock64 (64-bit offsets also on i386).
  func flock(_ addr: UInt64, wide: Bool, withPid: Bool) -> ArgValue {
    let off: CLayout.Field = wide ? .u64 : .long
    let (o, size) = CLayout.offsets([.u16, .u16, off, off, .u32], arch)
    return withStruct(addr, size) { b in
      let p = printer
      func offset(_ at: Int) -> Int64 { wide ? b.i64(at) : b.long(at, arch) }
      let type = UInt64(UInt32(bitPattern: Int32(Int16(bitPattern: b.u16(o[0])))))
      let whence = UInt64(UInt32(bitPattern: Int32(Int16(bitPattern: b.u16(o[1])))))
      var f: [ArgValue.Field] = [
        .init("l_type", .symbol(p.xval(type, .lockTypes, "F_???"))),
        .init("l_whence", .symbol(p.xval(whence, .seekWhence, "SEEK_???"))),
        .init("l_start", .int(offset(o[2]))), .init("l_len", .int(offset(o[3]))),
      ]
      if withPid { f.append(.init("l_pid", .int(Int64(b.i32(o[4]))))) }
      return .structure(f)
    }
  }

  /// `{type=F_OWNER_TID, pid=1234}`.
  func ownerEx(_ addr: UInt64) -> ArgValue {
    withStruct(addr, 8) { b in
      .structure([
        .init("type", .symbol(printer.xval(UInt64(b.u32(0)), .fOwnerTypes, "F_OWNER_???"))),
        .init("pid", .int(Int64(b.i32(4)))),
      ])
    }
  }

  /// `[RWH_WRITE_LIFE_SHORT]` (a u64 the pointer points to).
  func rwHint(_ addr: UInt64) -> ArgValue {
    withStruct(addr, 8) { b in .raw("[" + printer.xval(b.u64(0), .rwHints, "RWH_WRITE_LIFE_???") + "]") }
  }

  /// `{d_flags=0, d_type=F_RDLCK, __pad=0}`.
  func delegation(_ addr: UInt64) -> ArgValue {
    withStruct(addr, 8) { b in
      .structure([
        .init("d_flags", .hex(UInt64(b.u32(0)))),
        .init("d_type", .symbol(printer.xval(UInt64(b.u16(4)), .lockTypes, "F_???"))),
        .init("__pad", .hex(UInt64(b.u16(6)))),
      ])
    }
  }

  /// What strace prints after an fcntl result: `0x1 (flags FD_CLOEXEC)`, `1 (SIGHUP)`.
  func fcntlResult() -> (hex: Bool, detail: String?)? {
    guard !failed else { return nil }
    let cmd = Int32(truncatingIfNeeded: reg(1))
    let v = UInt64(UInt32(truncatingIfNeeded: ret))
    let p = XlatPrinter(style: .abbrev)
    switch cmd {
    case Int32(CT_F_GETFD):
      return ret == 0 ? nil : (true, "flags " + p.flags(v, .fdFlags, nil))
    case Int32(CT_F_GETFL): return (true, openFlags(UInt32(v)))
    case Int32(CT_F_GETLEASE): return (true, Xlat.lockTypes.name(of: v))
    case Int32(CT_F_GET_SEALS): return ret == 0 ? nil : (true, "seals " + p.flags(v, .seals, nil))
    case Int32(CT_F_GETSIG): return ret == 0 ? nil : (false, Signals.knownName(Int32(truncatingIfNeeded: ret)))
    default: return nil
    }
  }

  // MARK: clone

  /// clone: `child_stack=…, flags=…` at entry; `parent_tid=…, tls=…, child_tidptr=…` (those the
  /// flags ask for) at exit. i386 passes tls before child_tid.
  func cloneEntry() -> (values: [ArgValue], more: Bool) {
    let flags = reg(0) & ~0xff
    let sig = Int32(reg(0) & 0xff)
    var flagText: String
    if flags != 0 {
      flagText = printer.flags(flags, .cloneFlags, "CLONE_???")
      if sig != 0 { flagText += "|" + Signals.printed(sig, style: options.xlatStyle) }
    } else {
      flagText = Signals.printed(sig, style: options.xlatStyle)
    }
    let values: [ArgValue] = [.raw("child_stack=" + StraceText.render(address(reg(1)))), .raw("flags=" + flagText)]
    let more = flags & UInt64(CT_CLONE_PARENT_SETTID | CT_CLONE_PIDFD | CT_CLONE_CHILD_SETTID
      | CT_CLONE_CHILD_CLEARTID | CT_CLONE_SETTLS) != 0
    return (values, more)
  }

  func cloneExit() -> [ArgValue] {
    let flags = reg(0) & ~0xff
    let (ctidArg, tlsArg) = arch == .i386 ? (4, 3) : (3, 4)
    var values: [ArgValue] = []
    if flags & UInt64(CT_CLONE_PARENT_SETTID | CT_CLONE_PIDFD) != 0 {
      let a = reg(2)
      let inner: ArgValue = withStruct(a, 4) { b in .raw("[\(b.i32(0))]") }
      values.append(.raw("parent_tid=" + StraceText.render(failed ? address(a) : inner)))
    }
    if flags & UInt64(CT_CLONE_SETTLS) != 0 { values.append(.raw("tls=" + StraceText.render(address(reg(tlsArg))))) }
    if flags & UInt64(CT_CLONE_CHILD_SETTID | CT_CLONE_CHILD_CLEARTID) != 0 {
      values.append(.raw("child_tidptr=" + StraceText.render(address(reg(ctidArg)))))
    }
    return values
  }

  /// clone3's exit part: ` => {parent_tid=[1234]}` when the kernel wrote a pidfd or the child's tid.
  func clone3Exit(entry: ArgValue) -> ArgValue {
    let full = Int(CT_CLONE_ARGS_SIZE_VER2), first = Int(CT_CLONE_ARGS_SIZE_VER0)
    guard !failed, let b = read(full, at: reg(0)).map(CBytes.init) ?? read(first, at: reg(0)).map(CBytes.init)
    else { return entry }
    let flags = b.u64(0)
    var f: [ArgValue.Field] = []
    if flags & UInt64(CT_CLONE_PIDFD) != 0 {
      f.append(.init("pidfd", withStruct(b.u64(8), 4) { p in .array([fd(UInt64(p.u32(0)))], truncated: false) }))
    }
    if flags & UInt64(CT_CLONE_PARENT_SETTID) != 0 {
      f.append(.init("parent_tid", withStruct(b.u64(24), 4) { p in .array([.int(Int64(p.i32(0)))], truncated: false) }))
    }
    let size = reg(1)
    if size > UInt64(full), let tail = nonzeroTail(reg(0), from: full, to: Int(min(size, UInt64(Self.pageSize)))) { f.append(.init("", tail)) }
    return f.isEmpty ? entry : .changed(entry, .structure(f))
  }

  /// Whether clone3's line continues at exit (` => {...}`): the kernel writes into the struct.
  func clone3HasExitPart() -> Bool {
    guard let b = read(8, at: reg(0)), reg(1) >= UInt64(CT_CLONE_ARGS_SIZE_VER0) else { return false }
    let flags = CBytes(b).u64(0)
    return flags & UInt64(CT_CLONE_PIDFD | CT_CLONE_PARENT_SETTID) != 0 || reg(1) > UInt64(CT_CLONE_ARGS_SIZE_VER2)
  }

  // MARK: mmap

  /// mmap/mmap2 (and i386's old mmap, whose six arguments are in memory).
  func mmap(_ args: [UInt64], pageOffset: Bool) -> [ArgValue] {
    let p = printer
    let flags = args[3]
    let type = flags & 0xf
    let hugeMask: UInt64 = 0x3f << 26
    var text = p.xval(type, .mmapFlags, "MAP_???")
    let rest = flags & ~0xf & ~hugeMask
    if rest != 0 { text += "|" + XlatPrinter(style: .abbrev).flags(rest, .mmapFlags, nil) }
    if flags & hugeMask != 0 { text += "|\((flags & hugeMask) >> 26)<<MAP_HUGE_SHIFT" }
    var flagsValue = text
    switch options.xlatStyle {
    case .abbrev: break
    case .raw: flagsValue = p.hex(flags)
    case .verbose: flagsValue = p.hex(flags) + " /* " + text + " */"
    }
    let offset = pageOffset ? args[5] &* UInt64(Self.pageSize) : args[5]
    return [address(args[0]), .uint(args[1]), .symbol(printer.flags(args[2], .mmapProt, "PROT_???")),
            .symbol(flagsValue), fd(args[4]), .hex(offset)]
  }

  /// i386's old select/mmap: their arguments are words in memory.
  func indirectArgs(_ count: Int) -> [UInt64]? {
    guard let b = read(count * arch.wordSize, at: reg(0)) else { return nil }
    let c = CBytes(b)
    return (0..<count).map { c.word($0 * arch.wordSize, arch) }
  }

  // MARK: results

  /// What strace prints after the result of poll/ppoll: `([{fd=3, revents=POLLIN}], left {…})`,
  /// `(Timeout)` for 0.
  func pollResult(timeoutArg: ArgKind?) -> String? {
    guard !failed else { return nil }
    if ret == 0 { return "Timeout" }
    var out = ""
    let addr = reg(0), count = UInt64(UInt32(truncatingIfNeeded: reg(1)))
    if addr != 0, count > 0 {
      var printed = 0
      var a = addr
      // One read of the whole array when it can be read whole (it usually can).
      let bulk = count <= 4096 ? read(Int(count) * 8, at: addr) : nil
      for i in 0..<count {
        guard let b = bulk.map({ Array($0[Int(i) * 8..<Int(i + 1) * 8]) }) ?? read(8, at: a) else {
          out += (out.isEmpty ? "[" : ", ") + NumberText.hex(a)
          break
        }
        let e = CBytes(b)
        let revents = e.u16(6)
        a &+= 8
        if revents == 0 { continue }
        out += out.isEmpty ? "[" : ", "
        if !options.verbose && printed + 1 > limit {
          out += "..."
          break
        }
        out += "{fd=\(e.i32(0)), revents=" + XlatPrinter(style: .abbrev).flags(UInt64(revents), .pollEvents, nil) + "}"
        printed += 1
      }
      if !out.isEmpty { out += "]" }
    }
    if let kind = timeoutArg, reg(2) != 0 {
      out += (out.isEmpty ? "left " : ", left ") + timeText(reg(2), kind: kind)
    }
    return out.isEmpty ? nil : out
  }

  /// What strace prints after the result of select/pselect6: `(in [3], out [4], left {…})`.
  func selectResult(_ args: [UInt64], timeoutKind: ArgKind) -> String? {
    guard !failed else { return nil }
    if ret == 0 { return "Timeout" }
    let nfds = Int(min(max(Int32(truncatingIfNeeded: args[0]), 0), 1024 * 1024))
    var ready = ret
    var out = ""
    var sep = ""
    for (i, label) in ["in", "out", "except"].enumerated() where ready > 0 {
      guard let members = fdSetMembers(args[i + 1], nfds: nfds) else { continue }
      var first = true
      for n in members {
        if first {
          out += "\(sep)\(label) [\(n)"
          first = false
          sep = ", "
        } else {
          out += " \(n)"
        }
        ready -= 1
        if ready == 0 { break }
      }
      if !out.isEmpty { out += "]" }
    }
    if args[4] != 0 { out += sep + "left " + timeText(args[4], kind: timeoutKind) }
    return out
  }
}
