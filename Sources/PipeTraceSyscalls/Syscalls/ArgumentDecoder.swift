import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Turns one stopped call's registers into `ArgValue`s, reading the tracee's memory where an
/// argument points to data, with strace's rules: integers cut to their C type, NULL for null
/// pointers, the address for memory that cannot be read, `-s` for strings and arrays.
package struct ArgumentDecoder {
  let arch: SyscallArch
  let memory: TraceeMemory
  let fds: FdTargetCache
  let options: DecodeOptions
  /// The registers, cut to the ABI's width.
  let raw: [UInt64]
  /// At exit: the return value (sign-extended from the ABI's width) and whether the call failed.
  var exiting = false
  var ret: Int64 = 0
  var failed = false

  init(arch: SyscallArch, memory: TraceeMemory, fds: FdTargetCache, options: DecodeOptions, raw: [UInt64]) {
    self.arch = arch
    self.memory = memory
    self.fds = fds
    self.options = options
    self.raw = raw
  }

  var tid: Int32 { memory.tid }
  var printer: XlatPrinter { XlatPrinter(style: options.xlatStyle) }
  var limit: Int { options.stringLimit }

  func reg(_ i: Int) -> UInt64 { i < raw.count ? raw[i] : 0 }

  // MARK: the argument list

  /// Registers a kind takes: a 64-bit offset takes two on i386.
  func registers(_ kind: ArgKind) -> Int {
    if case .offset = kind, arch == .i386 { return 2 }
    return 1
  }

  /// Whether the kernel fills the argument (it is printed at exit).
  func isOut(_ kind: ArgKind) -> Bool {
    switch kind {
    case .outBuffer, .outIovec, .pipeFds, .waitStatus, .rusage, .siginfo, .timespecRemainder, .epollEvents:
      return true
    case .fcntlArg:
      return FcntlDecoder.argIsOut(command: UInt32(truncatingIfNeeded: reg(1)))
    default:
      return false
    }
  }

  /// Decodes `kinds` from kind `from` (register `reg`): at entry up to the first out argument, at
  /// exit to the end. Returns the values and where an entry stopped (kind, register).
  func decode(_ kinds: [ArgKind], from: Int, register: Int) -> (values: [ArgValue], stop: (Int, Int)?) {
    var values: [ArgValue] = []
    values.reserveCapacity(kinds.count - from)
    var r = register
    var i = from
    while i < kinds.count {
      let kind = kinds[i]
      if !exiting && isOut(kind) { return (values, (i, r)) }
      if let v = value(kind, at: r) { values.append(v) }
      r += registers(kind)
      i += 1
    }
    return (values, nil)
  }

  /// One argument; nil when strace prints nothing for it (open's mode without O_CREAT).
  func value(_ kind: ArgKind, at r: Int) -> ArgValue? {
    let v = reg(r)
    switch kind {
    case .int: return .int(Int64(Int32(truncatingIfNeeded: v)))
    case .uint: return .uint(UInt64(UInt32(truncatingIfNeeded: v)))
    case .long: return .int(signedWord(v))
    case .ulong: return .uint(v)
    case .hexInt: return .hex(UInt64(UInt32(truncatingIfNeeded: v)))
    case .hexLong: return .hex(v)
    case .offset:
      if arch == .i386 { return .int(Int64(bitPattern: v | reg(r + 1) << 32)) }
      return .int(Int64(bitPattern: v))
    case .pointer: return address(v)
    case .fd: return fd(v)
    case .dirfd: return dirfd(v)
    case .signal: return .symbol(Signals.printed(Int32(truncatingIfNeeded: v), style: options.xlatStyle))
    case .mode: return .raw(Self.octalMode(v))
    case .flags(let table, let dflt): return .symbol(printer.flags(UInt64(UInt32(truncatingIfNeeded: v)), table, dflt))
    case .xval(let table, let dflt): return .symbol(printer.xval(UInt64(UInt32(truncatingIfNeeded: v)), table, dflt))
    case .openFlags: return .symbol(openFlags(UInt32(truncatingIfNeeded: v)))
    case .openMode:
      let flags = UInt32(truncatingIfNeeded: reg(r - 1))
      guard flags & UInt32(CT_O_CREAT) != 0 || flags & UInt32(CT_O_TMPFILE_BIT) != 0 else { return nil }
      return .raw(Self.octalMode(v))
    case .inBuffer(let countArg): return data(v, count: reg(countArg))
    case .outBuffer:
      if failed { return address(v) }
      return data(v, count: UInt64(max(0, ret)))
    case .inIovec(let countArg): return iovecs(v, count: reg(countArg), budget: nil)
    case .outIovec(let countArg):
      return iovecs(v, count: reg(countArg), budget: failed ? nil : UInt64(max(0, ret)), addressesOnly: failed)
    case .path: return string(at: v, limit: Self.pathMax)
    case .argv: return argv(v)
    case .envp: return options.verbose ? argv(v) : envCount(v)
    case .pipeFds: return pipeFds(v)
    case .socketType: return .symbol(socketType(UInt32(truncatingIfNeeded: v)))
    case .waitStatus: return waitStatus(v)
    case .rusage(let always):
      if failed || (!always && ret <= 0) { return address(v) }
      return rusage(v)
    case .siginfo: return failed ? address(v) : siginfo(v)
    case .timespec(let time64): return timespec(v, time64: time64)
    case .timespecRemainder(let time64):
      // The kernel writes the remainder only when a signal interrupted the sleep.
      guard failed, Errno.kernelInternal[Int32(truncatingIfNeeded: -ret)] != nil else { return address(v) }
      return timespec(v, time64: time64)
    case .timeval: return timeval(v)
    case .sigset(let sizeArg): return sigset(v, size: reg(sizeArg))
    case .pollFds(let countArg): return pollFds(v, count: UInt64(UInt32(truncatingIfNeeded: reg(countArg))))
    case .fdSet(let nfdsArg): return fdSet(v, nfds: Int32(truncatingIfNeeded: reg(nfdsArg)))
    case .pselectSigmask: return pselectSigmask(v)
    case .epollEvent:
      if UInt32(truncatingIfNeeded: reg(1)) == UInt32(CT_EPOLL_CTL_DEL) { return address(v) }
      return epollEvent(v)
    case .epollEvents: return failed ? address(v) : epollEvents(v, count: UInt64(max(0, ret)))
    case .cloneArgs(let sizeArg): return cloneArgs(v, size: reg(sizeArg))
    case .fcntlArg: return fcntlArg(v)
    case .waitId(let idtypeArg):
      let id = Int32(truncatingIfNeeded: v)
      if UInt32(truncatingIfNeeded: reg(idtypeArg)) == UInt32(CT_P_PIDFD) {
        return fd(UInt64(UInt32(bitPattern: id)))
      }
      return .int(Int64(id))
    case .clockId:
      return .symbol(printer.xval(UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v))), .clockIds, "CLOCK_???"))
    }
  }

  // MARK: scalars

  /// A C long of the ABI, signed.
  func signedWord(_ v: UInt64) -> Int64 {
    arch == .x86_64 ? Int64(bitPattern: v) : Int64(Int32(truncatingIfNeeded: v))
  }

  /// `%#03o`, as strace prints a mode: `000`, `022`, `0644`.
  package static func octalMode(_ v: UInt64) -> String {
    let m = v & 0o7777777
    let text = m == 0 ? "0" : "0" + String(m, radix: 8)
    return text.count < 3 ? String(repeating: "0", count: 3 - text.count) + text : text
  }

  func address(_ v: UInt64) -> ArgValue { v == 0 ? .null : .hex(v) }

  func fd(_ v: UInt64) -> ArgValue {
    let n = Int32(truncatingIfNeeded: v)
    return .fd(n, n >= 0 ? fds.target(of: n, tid: tid, details: options.fdDetails) : nil)
  }

  /// A directory fd (every `.dirfd` argument: openat, renameat's two, statx, execveat, …): an fd,
  /// or AT_FDCWD, with -y the working directory it stands for.
  func dirfd(_ v: UInt64) -> ArgValue {
    let n = Int32(truncatingIfNeeded: v)
    guard n == Int32(CT_AT_FDCWD) else { return fd(v) }
    let value: ArgValue
    switch options.xlatStyle {
    case .abbrev: value = .symbol("AT_FDCWD")
    case .raw: value = .int(Int64(n))
    case .verbose: value = .raw("\(n) /* AT_FDCWD */")
    }
    guard options.workingDirectories, let cwd = ProcFS.workingDirectory(tid) else { return value }
    return .workingDirectory(value, path: cwd)
  }

  /// open(2) flags: the access mode, then the other flags (`O_RDWR|O_CREAT|O_CLOEXEC`).
  func openFlags(_ flags: UInt32) -> String {
    let p = XlatPrinter(style: .abbrev)
    let mode = Xlat.openAccessModes.name(of: UInt64(flags & UInt32(CT_O_ACCMODE))) ?? "O_ACCMODE"
    let rest = UInt64(flags & ~UInt32(CT_O_ACCMODE))
    var text = mode
    if rest != 0 { text += "|" + p.flags(rest, .openModeFlags, nil) }
    switch options.xlatStyle {
    case .abbrev: return text
    case .raw: return p.hex(UInt64(flags))
    case .verbose: return p.hex(UInt64(flags)) + " /* " + text + " */"
    }
  }

  // MARK: memory

  /// Whether the ABI's pointers can reach `addr` (x32's are 32 bits wide: above that is no memory
  /// of the process, as strace treats it).
  func inUserRange(_ addr: UInt64) -> Bool { arch != .x32 || addr <= 0xffff_ffff }

  /// Exactly `count` bytes at `addr`, or nil when any of them cannot be read.
  func read(_ count: Int, at addr: UInt64) -> [UInt8]? {
    inUserRange(addr) ? memory.exactly(count, at: addr) : nil
  }

  func readWord(_ addr: UInt64) -> UInt64? { read(arch.wordSize, at: addr).map { CBytes($0).word(0, arch) } }

  /// `count` bytes of data at `addr`, `-s` of them shown; the address when they cannot be read.
  func data(_ addr: UInt64, count: UInt64) -> ArgValue {
    if addr == 0 { return .null }
    let n = Int(min(count, UInt64(limit)))
    guard let b = read(n, at: addr) else { return .hex(addr) }
    return .string(b, truncated: count > UInt64(limit))
  }

  /// Paths are printed whole, up to PATH_MAX, whatever `-s` says (as strace prints them).
  package static let pathMax = Int(PATH_MAX)
  static let pageSize = TraceeMemory.pageSize

  /// A NUL-terminated string, cut at `limit` (-s by default); its address when it cannot be read.
  func string(at addr: UInt64, limit: Int? = nil) -> ArgValue {
    if addr == 0 { return .null }
    guard let s = cString(addr, limit: limit ?? self.limit) else { return .hex(addr) }
    return .string(s.bytes, truncated: s.truncated)
  }

  /// Up to `limit` bytes before a NUL; nil when the memory ends before a NUL or `limit + 1` bytes,
  /// or the ABI's pointers cannot reach it.
  func cString(_ address: UInt64, limit: Int) -> (bytes: [UInt8], truncated: Bool)? {
    inUserRange(address) ? memory.cString(at: address, limit: limit) : nil
  }

  /// A NULL-terminated pointer array (argv, envp) read a chunk at a time: up to the end of the
  /// page, at most 128 pointers a read, so an envp of 40 variables costs one read, not 41.
  struct PointerArray {
    let decoder: ArgumentDecoder
    private(set) var address: UInt64
    private var chunk: [UInt64] = []
    private var next = 0

    init(_ decoder: ArgumentDecoder, at address: UInt64) {
      self.decoder = decoder
      self.address = address
    }

    /// The next pointer (0 at the end of the array); nil where the memory cannot be read, and
    /// `address` is then where.
    mutating func pop() -> UInt64? {
      if next == chunk.count {
        chunk = decoder.words(from: address)
        next = 0
        if chunk.isEmpty { return nil }
      }
      let p = chunk[next]
      next += 1
      address &+= UInt64(decoder.arch.wordSize)
      return p
    }
  }

  /// The ABI's words from `addr` to the end of its page, at most 128; empty when `addr` cannot be
  /// read. A word that straddles two pages is read alone.
  func words(from addr: UInt64) -> [UInt64] {
    let size = arch.wordSize
    let toPageEnd = Self.pageSize - Int(addr % UInt64(Self.pageSize))
    if toPageEnd < size { return readWord(addr).map { [$0] } ?? [] }
    guard inUserRange(addr) else { return [] }
    let b = memory.bytes(at: addr, count: min(toPageEnd / size, 128) * size)
    let c = CBytes(b)
    return (0..<b.count / size).map { c.word($0 * size, arch) }
  }

  /// execve's argv: `["a", "b"]`, `-s` entries at most, `0x…` for a string that cannot be read,
  /// `... /* 0xADDR */` where the array itself cannot be read any more.
  func argv(_ addr: UInt64) -> ArgValue {
    if addr == 0 { return .null }
    var items: [ArgValue] = []
    var pointers = PointerArray(self, at: addr)
    while true {
      let at = pointers.address
      guard let p = pointers.pop() else {
        if items.isEmpty { return .hex(addr) }
        items.append(.raw("... /* " + NumberText.hex(at) + " */"))
        return .array(items, truncated: false)
      }
      if p == 0 { return .array(items, truncated: false) }
      if items.count >= limit { return .array(items, truncated: true) }
      items.append(string(at: p))
    }
  }

  /// execve's envp without -v: `0x7ffd… /* 23 vars */`.
  func envCount(_ addr: UInt64) -> ArgValue {
    if addr == 0 { return .null }
    var n = 0
    var pointers = PointerArray(self, at: addr)
    var unterminated = false
    while true {
      guard let p = pointers.pop() else {
        if n == 0 { return .hex(addr) }
        unterminated = true
        break
      }
      if p == 0 { break }
      n += 1
    }
    let text = NumberText.hex(addr) + " /* \(n) var\(n == 1 ? "" : "s")\(unterminated ? ", unterminated" : "") */"
    return .raw(text)
  }

  /// strace's print_array: `count` elements of `size` bytes, `-s` of them shown, the address when the
  /// first cannot be read, `... /* 0xADDR */` at the first one that cannot.
  func array(_ addr: UInt64, count: UInt64, size: Int, ignoreFailure: Bool = false,
             _ element: (CBytes, UInt64) -> ArgValue?) -> ArgValue {
    if addr == 0 { return .null }
    // strace's tfetch_mem: nothing is read at the exit of a failed call (iovecs excepted).
    if exiting && failed && !ignoreFailure { return .hex(addr) }
    if count == 0 { return .array([], truncated: false) }
    let (total, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
    if overflow || addr &+ total < addr { return .hex(addr) }
    var items: [ArgValue] = []
    // One read for the elements that may be shown (and the one after, for `...`), when it can be
    // read whole; element by element otherwise, to find where the memory ends.
    let shown = !options.verbose ? min(count, UInt64(limit) + 1) : count
    let bulk = shown * UInt64(size) <= 1 << 16 ? read(Int(shown) * size, at: addr) : nil
    var a = addr
    for i in 0..<count {
      let bytes: [UInt8]?
      if let bulk, i < shown {
        bytes = Array(bulk[Int(i) * size..<Int(i + 1) * size])
      } else {
        bytes = read(size, at: a)
      }
      guard let b = bytes else {
        if i == 0 { return .hex(addr) }
        items.append(.raw("... /* " + NumberText.hex(a) + " */"))
        return .array(items, truncated: false)
      }
      if !options.verbose && i >= UInt64(limit) { return .array(items, truncated: true) }
      guard let v = element(CBytes(b), a) else { break }
      items.append(v)
      a &+= UInt64(size)
    }
    return .array(items, truncated: false)
  }

  /// An iovec array; `budget` limits the bytes shown in all (what a read returned).
  func iovecs(_ addr: UInt64, count: UInt64, budget: UInt64?, addressesOnly: Bool = false) -> ArgValue {
    var left = budget ?? UInt64.max
    let w = arch.wordSize
    return array(addr, count: count, size: 2 * w, ignoreFailure: true) { b, _ in
      let base = b.word(0, arch), len = b.word(w, arch)
      let shown = min(len, left)
      if budget != nil { left -= shown }
      let data: ArgValue = addressesOnly ? address(base) : self.data(base, count: shown)
      return .structure([.init("iov_base", data), .init("iov_len", .uint(len))])
    }
  }
}
