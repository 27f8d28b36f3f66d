import CTrace

/// The structures pipe-set and process calls pass, read in the tracee's ABI and printed as strace
/// prints them. A null pointer prints NULL, memory that cannot be read its address.
extension ArgumentDecoder {
  /// Exactly `size` bytes at `addr` as a struct, or the value to print instead (NULL, the address).
  func structBytes(_ addr: UInt64, _ size: Int) -> Result<CBytes, ArgValueBox> {
    if addr == 0 { return .failure(ArgValueBox(.null)) }
    // strace's umove_or_printaddr: at the exit of a failed call, the address, never the memory.
    if exiting && failed { return .failure(ArgValueBox(.hex(addr))) }
    guard let b = read(size, at: addr) else { return .failure(ArgValueBox(.hex(addr))) }
    return .success(CBytes(b))
  }

  /// Reads a struct and decodes it; NULL or the address when there is none to read.
  func withStruct(_ addr: UInt64, _ size: Int, _ body: (CBytes) -> ArgValue) -> ArgValue {
    switch structBytes(addr, size) {
    case .success(let b): return body(b)
    case .failure(let v): return v.value
    }
  }

  // MARK: time

  /// `{tv_sec=1, tv_nsec=0}`: seconds signed, nanoseconds unsigned, as strace prints them.
  func timespec(_ addr: UInt64, time64: Bool) -> ArgValue {
    let wide = time64 || arch.timeSize == 8
    return withStruct(addr, wide ? 16 : 8) { b in timespecFields(b, at: 0, time64: wide) }
  }

  func timespecFields(_ b: CBytes, at o: Int, time64: Bool) -> ArgValue {
    let sec = time64 ? b.i64(o) : b.long(o, arch)
    let nsec = time64 ? b.u64(o + 8) : b.word(o + 4, arch)
    return .structure([.init("tv_sec", .int(sec)), .init("tv_nsec", .uint(nsec))])
  }

  /// `{tv_sec=0, tv_usec=123}`.
  func timeval(_ addr: UInt64) -> ArgValue {
    withStruct(addr, 2 * arch.timeSize) { b in timevalFields(b, at: 0) }
  }

  func timevalFields(_ b: CBytes, at o: Int) -> ArgValue {
    let t = arch.timeSize
    let sec = t == 8 ? b.i64(o) : Int64(b.i32(o))
    let usec = t == 8 ? b.u64(o + 8) : UInt64(b.u32(o + 4))
    return .structure([.init("tv_sec", .int(sec)), .init("tv_usec", .uint(usec))])
  }

  /// The text of a timespec or timeval for a result's `left {...}`.
  func timeText(_ addr: UInt64, kind: ArgKind) -> String {
    if addr == 0 { return "NULL" }
    let v: ArgValue
    switch kind {
    case .timeval: v = timeval(addr)
    case .timespec(let t64): v = timespec(addr, time64: t64)
    default: return NumberText.hex(addr)
    }
    return StraceText.render(v)
  }

  // MARK: processes

  /// `struct rusage`: the two times, `...` unless -v.
  func rusage(_ addr: UInt64) -> ArgValue {
    // The kernel's rusage: two timevals, then 14 longs (x32 uses the 64-bit struct).
    let w = arch == .i386 ? 4 : 8, t = 2 * arch.timeSize
    return withStruct(addr, 2 * t + 14 * w) { b in
      var f: [ArgValue.Field] = [.init("ru_utime", timevalFields(b, at: 0)), .init("ru_stime", timevalFields(b, at: t))]
      if options.verbose {
        let names = ["ru_maxrss", "ru_ixrss", "ru_idrss", "ru_isrss", "ru_minflt", "ru_majflt", "ru_nswap",
                     "ru_inblock", "ru_oublock", "ru_msgsnd", "ru_msgrcv", "ru_nsignals", "ru_nvcsw", "ru_nivcsw"]
        for (i, n) in names.enumerated() {
          f.append(.init(n, .uint(w == 8 ? b.u64(2 * t + i * w) : UInt64(b.u32(2 * t + i * w)))))
        }
      } else {
        f.append(.init("", .raw("...")))
      }
      return .structure(f)
    }
  }

  /// waitid's siginfo: `{}` when no child changed state.
  func siginfo(_ addr: UInt64) -> ArgValue {
    withStruct(addr, SignalInfo.size) { b in
      .structure(SignalInfo(bytes: b, arch: arch).fields(style: options.xlatStyle) { fd(UInt64(UInt32(bitPattern: $0))) })
    }
  }

  /// A wait status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`; the address when no child was
  /// reaped (a 0 return) or the call failed.
  func waitStatus(_ addr: UInt64) -> ArgValue {
    if failed || ret == 0 { return address(addr) }
    return withStruct(addr, 4) { b in .raw("[" + Self.waitStatusText(b.i32(0)) + "]") }
  }

  /// strace's print_wait_status, inside the brackets.
  package static func waitStatusText(_ s: Int32) -> String {
    var status = UInt32(bitPattern: s)
    var text: String
    let low = status & 0x7f
    if status & 0xff == 0x7f {
      let sig = (status >> 8) & 0xff
      text = "{WIFSTOPPED(s) && WSTOPSIG(s) == \(Signals.name(Int32(sig & 0x7f)))\(sig & 0x80 != 0 ? " | 0x80" : "")}"
      status &= ~(sig << 8 | 0x7f)
    } else if low != 0 && low != 0x7f {
      let core = status & 0x80 != 0
      text = "{WIFSIGNALED(s) && WTERMSIG(s) == \(Signals.name(Int32(low)))\(core ? " && WCOREDUMP(s)" : "")}"
      status &= ~(low | 0x80)
    } else if low == 0 {
      let code = (status >> 8) & 0xff
      text = "{WIFEXITED(s) && WEXITSTATUS(s) == \(code)}"
      status &= ~(code << 8)
    } else if status == 0xffff {
      text = "{WIFCONTINUED(s)}"
      status = 0
    } else {
      return XlatPrinter().hex(UInt64(status))
    }
    if status != 0 {
      let event = status >> 16
      if event != 0 {
        text += "|" + XlatPrinter().xval(UInt64(event), .ptraceEvents, "PTRACE_EVENT_???") + "<<16"
        status &= 0xffff
      }
      if status != 0 { text += "|" + XlatPrinter().hex(UInt64(status)) }
    }
    return text
  }

  /// strace's socket type: the type proper (the low bits), then its flags.
  func socketType(_ v: UInt32) -> String {
    let p = printer
    if p.style == .raw { return p.hex(UInt64(v)) }
    let mask = UInt32(CT_SOCK_TYPE_MASK)
    var text = p.xval(UInt64(v & mask), .socketTypes, "SOCK_???")
    if v & ~mask != 0 { text += "|" + p.flags(UInt64(v & ~mask), .socketTypeFlags, "SOCK_???") }
    return text
  }

  /// `[3, 4]` of pipe/pipe2/socketpair, with their targets.
  func pipeFds(_ addr: UInt64) -> ArgValue {
    if failed { return address(addr) }
    return withStruct(addr, 8) { b in
      .array([fd(UInt64(b.u32(0))), fd(UInt64(b.u32(4)))], truncated: false)
    }
  }

  /// clone3's `struct clone_args`: all fields the flags ask for; the address when `size` is below
  /// the first version's 64 bytes; the bytes past the known 88 when any is not zero.
  func cloneArgs(_ addr: UInt64, size: UInt64) -> ArgValue {
    let known = Int(CT_CLONE_ARGS_SIZE_VER2)
    let minimum = Int(CT_CLONE_ARGS_SIZE_VER0)
    let fetch = Int(min(size, UInt64(known)))
    if fetch < minimum { return address(addr) }
    return withStruct(addr, fetch) { b in
      func field(_ i: Int) -> UInt64 { i * 8 + 8 <= fetch ? b.u64(i * 8) : 0 }
      let flags = field(0), pidfd = field(1), childTid = field(2), parentTid = field(3)
      let exitSignal = field(4), stack = field(5), stackSize = field(6), tls = field(7)
      let setTid = field(8), setTidSize = field(9), cgroup = field(10)
      let p = printer
      var f: [ArgValue.Field] = [.init("flags", .symbol(p.flags(flags, [.cloneFlags, .clone3Flags], "CLONE_???")))]
      if flags & UInt64(CT_CLONE_PIDFD) != 0 { f.append(.init("pidfd", address(pidfd))) }
      if flags & UInt64(CT_CLONE_CHILD_SETTID | CT_CLONE_CHILD_CLEARTID) != 0 {
        f.append(.init("child_tid", address(childTid)))
      }
      if flags & UInt64(CT_CLONE_PARENT_SETTID) != 0 { f.append(.init("parent_tid", address(parentTid))) }
      if exitSignal < UInt64(Int32.max) {
        f.append(.init("exit_signal", .symbol(Signals.printed(Int32(exitSignal), style: options.xlatStyle))))
      } else {
        f.append(.init("exit_signal", .uint(exitSignal)))
      }
      f.append(.init("stack", address(stack)))
      f.append(.init("stack_size", .hex(stackSize)))
      if flags & UInt64(CT_CLONE_SETTLS) != 0 { f.append(.init("tls", address(tls))) }
      if setTid != 0 || setTidSize != 0 {
        if setTid == 0 || setTidSize == 0 || setTidSize > 32 {
          f.append(.init("set_tid", address(setTid)))
        } else {
          f.append(.init("set_tid", array(setTid, count: setTidSize, size: 4) { e, _ in .int(Int64(e.i32(0))) }))
        }
        f.append(.init("set_tid_size", .uint(setTidSize)))
      }
      if fetch > known - 8 && (cgroup != 0 || flags & (Xlat.clone3Flags.value(of: "CLONE_INTO_CGROUP") ?? 0) != 0) {
        f.append(.init("cgroup", .uint(cgroup)))
      }
      if size > UInt64(known), let tail = nonzeroTail(addr, from: known, to: Int(min(size, UInt64(Self.pageSize)))) {
        f.append(.init("", tail))
      }
      return .structure(f)
    }
  }

  /// strace's print_nonzero_bytes: `/* bytes 88..95 */ "\x…"` when the bytes past a known struct are
  /// not all zero, `???` when they cannot be read, nil when they are zero.
  func nonzeroTail(_ addr: UInt64, from: Int, to: Int) -> ArgValue? {
    guard from < to else { return nil }
    guard let b = read(to - from, at: addr + UInt64(from)) else { return .raw("???") }
    if b.allSatisfy({ $0 == 0 }) { return nil }
    let shown = Array(b.prefix(limit))
    var text = "/* bytes \(from)..\(to - 1) */ "
    text += StraceEscape.quoted(shown, hex: .all)
    if shown.count < b.count { text += "..." }
    return .raw(text)
  }

  // MARK: signals

  /// A sigset of `size` bytes: `[HUP CHLD]`; the address when the size is not one the kernel takes.
  func sigset(_ addr: UInt64, size: UInt64) -> ArgValue {
    if size < UInt64(arch.wordSize) || size > 8 { return address(addr) }
    return withStruct(addr, Int(size)) { b in
      var words: [UInt32] = []
      var i = 0
      while i < Int(size) {
        let n = min(4, Int(size) - i)
        var w: UInt32 = 0
        for k in 0..<n { w |= UInt32(b.u8(i + k)) << UInt32(8 * k) }
        words.append(w)
        i += 4
      }
      return .raw(Signals.mask(words, style: options.xlatStyle))
    }
  }

  /// pselect6's `{sigmask=[…], sigsetsize=8}` (a pointer to a sigset pointer and its size).
  func pselectSigmask(_ addr: UInt64) -> ArgValue {
    let w = arch.wordSize
    return withStruct(addr, 2 * w) { b in
      let set = b.word(0, arch), size = b.word(w, arch)
      return .structure([.init("sigmask", sigset(set, size: size)), .init("sigsetsize", .uint(size))])
    }
  }

  // MARK: fds

  /// A pollfd array at entry: `[{fd=3, events=POLLIN}, {fd=-1}]` (no events for a negative fd).
  func pollFds(_ addr: UInt64, count: UInt64) -> ArgValue {
    array(addr, count: count, size: 8) { e, _ in
      let n = e.i32(0)
      var f: [ArgValue.Field] = [.init("fd", fd(UInt64(UInt32(bitPattern: n))))]
      if n >= 0 { f.append(.init("events", .symbol(printer.flags(UInt64(e.u16(4)), .pollEvents, "POLL???")))) }
      return .structure(f)
    }
  }

  /// The fds set in an fd_set of `nfds` bits: `[3 4]`, with their targets.
  func fdSet(_ addr: UInt64, nfds raw: Int32) -> ArgValue {
    let nfds = Int(min(max(raw, 0), 1024 * 1024))
    let size = Self.fdSetBytes(nfds, arch)
    guard size > 0 else { return address(addr) }
    guard let members = fdSetMembers(addr, nfds: nfds) else { return address(addr) }
    return .bitset(members.map { fd(UInt64(UInt32($0))) })
  }

  /// Bytes of an fd_set the kernel reads for `nfds`: whole words.
  static func fdSetBytes(_ nfds: Int, _ arch: SyscallArch) -> Int {
    let w = arch.wordSize
    return ((nfds + 7) / 8 + w - 1) / w * w
  }

  func fdSetMembers(_ addr: UInt64, nfds: Int) -> [Int32]? {
    guard addr != 0, let b = read(Self.fdSetBytes(nfds, arch), at: addr) else { return nil }
    var members: [Int32] = []
    for n in 0..<nfds where b[n / 8] & (1 << UInt8(n % 8)) != 0 { members.append(Int32(n)) }
    return members
  }

  /// `{events=EPOLLIN, data=0x…}` (12 bytes, packed on x86).
  func epollEvent(_ addr: UInt64) -> ArgValue {
    withStruct(addr, 12) { b in epollEventFields(b, at: 0) }
  }

  func epollEventFields(_ b: CBytes, at o: Int) -> ArgValue {
    .structure([
      .init("events", .symbol(printer.flags(UInt64(b.u32(o)), .epollEvents, "EPOLL???"))),
      .init("data", .hex(b.u64(o + 4))),
    ])
  }

  /// The events epoll_wait returned.
  func epollEvents(_ addr: UInt64, count: UInt64) -> ArgValue {
    array(addr, count: count, size: 12) { e, _ in epollEventFields(e, at: 0) }
  }
}

/// An `ArgValue` as an Error, so a struct read can return "print this instead".
struct ArgValueBox: Error {
  let value: ArgValue
  init(_ value: ArgValue) { self.value = value }
}
