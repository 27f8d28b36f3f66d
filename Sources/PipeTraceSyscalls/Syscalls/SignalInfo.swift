import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// A siginfo_t with every field strace prints. The fields of its union are all kept as read; the
/// si_code decides which ones mean something (and are printed).
public struct SignalInfo: Sendable, Equatable {
  public var signo: Int32
  public var code: Int32
  public var errno: Int32 = 0
  /// si_pid, or a timer's si_tid.
  public var pid: Int32 = 0
  /// si_uid, or a timer's si_overrun.
  public var uid: Int32 = 0
  /// SIGCHLD: the exit code or signal.
  public var status: Int32 = 0
  /// SIGCHLD: CPU clock ticks.
  public var utime: Int64 = 0
  public var stime: Int64 = 0
  /// si_value (sigqueue, timers).
  public var value: UInt64 = 0
  /// si_addr of faults, si_call_addr of SIGSYS.
  public var addr: UInt64 = 0
  /// SIGPOLL.
  public var band: Int64 = 0
  public var fd: Int32 = 0
  /// SIGSYS.
  public var syscall: Int32 = 0
  public var arch: UInt32 = 0

  public init(signo: Int32, code: Int32) {
    self.signo = signo
    self.code = code
  }

  /// PTRACE_GETSIGINFO of a stopped tracee (the kernel gives a 64-bit tracer the native layout,
  /// whatever the tracee's ABI); nil when the stop is not a signal delivery.
  public init?(tracee tid: Int32) {
    guard let c = try? Ptrace.signalInfo(tid) else { return nil }
    self.init(signo: c.signo, code: c.code)
    errno = c.errno_value
    pid = c.pid
    uid = c.uid
    status = c.status
    utime = c.utime
    stime = c.stime
    value = c.value
    addr = c.addr
    band = c.band
    fd = c.fd
    syscall = c.syscall
    arch = c.arch
  }

  /// A siginfo_t of `arch`'s layout in tracee memory (waitid's).
  init(bytes: CBytes, arch: SyscallArch) {
    self.init(signo: bytes.i32(0), code: bytes.i32(8))
    errno = bytes.i32(4)
    // The union follows the three ints, aligned as a pointer.
    let base = arch == .x86_64 ? 16 : 12
    pid = bytes.i32(base)
    uid = bytes.i32(base + 4)
    status = bytes.i32(base + 8)
    let (chld, _) = CLayout.offsets([.u32, .u32, .u32, .long, .long], arch)
    utime = bytes.long(base + chld[3], arch)
    stime = bytes.long(base + chld[4], arch)
    let (rt, _) = CLayout.offsets([.u32, .u32, .pointer], arch)
    value = bytes.word(base + rt[2], arch)
    addr = bytes.word(base, arch)
    band = bytes.long(base, arch)
    let (poll, _) = CLayout.offsets([.long, .u32], arch)
    fd = bytes.i32(base + poll[1])
    let (sys, _) = CLayout.offsets([.pointer, .u32, .u32], arch)
    syscall = bytes.i32(base + sys[1])
    self.arch = bytes.u32(base + sys[2])
  }

  /// Bytes of a siginfo_t in every ABI.
  static let size = 128

  /// strace's printsiginfo: `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=…, …}` as fields.
  func fields(style: XlatStyle, fdValue: (Int32) -> ArgValue) -> [ArgValue.Field] {
    guard signo != 0 else { return [] }
    let p = XlatPrinter(style: style)
    var f: [ArgValue.Field] = [
      .init("si_signo", .symbol(Signals.printed(signo, style: style))),
      .init("si_code", .symbol(codeText(p))),
    ]
    if errno != 0 { f.append(.init("si_errno", .symbol(Errno(errno).name))) }
    func source() {
      f.append(.init("si_pid", .int(Int64(pid))))
      f.append(.init("si_uid", .uint(UInt64(UInt32(bitPattern: uid)))))
    }
    func sigval() {
      f.append(.init("si_int", .int(Int64(Int32(truncatingIfNeeded: value)))))
      f.append(.init("si_ptr", value == 0 ? .null : .hex(value)))
    }
    if code <= 0 {
      // Sent by a process (kill, sigqueue, tgkill) or a timer, mq, async io.
      switch code {
      case Int32(CT_SI_USER), Int32(CT_SI_TKILL): source()
      case Int32(CT_SI_TIMER):
        f.append(.init("si_timerid", .hex(UInt64(UInt32(bitPattern: pid)))))
        f.append(.init("si_overrun", .int(Int64(uid))))
        sigval()
      case Int32(CT_SI_SIGIO):
        f.append(.init("si_band", .int(band)))
        f.append(.init("si_fd", fdValue(fd)))
      default:
        source()
        if value != 0 { sigval() }
      }
      return f
    }
    switch signo {
    case Int32(CT_SIGCHLD):
      source()
      f.append(.init("si_status", code == Int32(CT_CLD_EXITED)
        ? .int(Int64(status)) : .symbol(Signals.printed(status, style: style))))
      f.append(.init("si_utime", .raw(Self.clockTicks(utime, style: style))))
      f.append(.init("si_stime", .raw(Self.clockTicks(stime, style: style))))
    case SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP:
      f.append(.init("si_addr", addr == 0 ? .null : .hex(addr)))
    case SIGIO:
      if (1...6).contains(code) {
        f.append(.init("si_band", .int(band)))
        f.append(.init("si_fd", fdValue(fd)))
      }
    case Int32(CT_SIGSYS):
      f.append(.init("si_call_addr", addr == 0 ? .null : .hex(addr)))
      let (callArch, nr) = SyscallArch.of(auditArch: arch, number: Int64(syscall))
      f.append(.init("si_syscall", .symbol("__NR_" + callArch.table.name(of: nr))))
      f.append(.init("si_arch", .symbol(p.xval(UInt64(arch), .auditArches, "AUDIT_ARCH_???"))))
    default:
      if pid != 0 || uid != 0 { source() }
      if value != 0 { sigval() }
    }
    return f
  }

  /// The si_code's name: the generic codes first, then the signal's own.
  package func codeText(_ p: XlatPrinter) -> String {
    let v = UInt64(bitPattern: Int64(code))
    var name = Xlat.siCodes.name(of: v)
    if name == nil {
      let table: Xlat?
      switch signo {
      case Int32(CT_SIGCHLD): table = .cldCodes
      case SIGSEGV: table = .segvCodes
      case SIGBUS: table = .busCodes
      case SIGILL: table = .illCodes
      case SIGFPE: table = .fpeCodes
      case SIGTRAP: table = .trapCodes
      case SIGIO: table = .pollCodes
      case Int32(CT_SIGSYS): table = .sysCodes
      default: table = nil
      }
      name = table?.name(of: v)
    }
    let number = p.hex(UInt64(UInt32(bitPattern: code)))
    switch p.style {
    case .abbrev: return name ?? number
    case .raw: return number
    case .verbose: return name.map { number + " /* " + $0 + " */" } ?? number
    }
  }

  /// A clock_t as strace prints it: `5 /* 0.05 s */` (ticks of sysconf(_SC_CLK_TCK)).
  static func clockTicks(_ ticks: Int64, style: XlatStyle) -> String {
    let v = UInt64(bitPattern: ticks)
    let hz = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
    guard style != .raw, v > 0 else { return String(v) }
    var width = 0
    var h = hz
    while h >= 10 {
      h /= 10
      width += 1
    }
    let frac = String(v % hz)
    return "\(v) /* \(v / hz).\(String(repeating: "0", count: max(0, width - frac.count)) + frac) s */"
  }
}
