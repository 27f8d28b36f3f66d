import CTrace

/// The syscall ABI a stop was made in. PTRACE_GET_SYSCALL_INFO's `arch` says which (an x86_64
/// process can make i386 calls with `int 0x80`, and x32 calls with the x32 bit in the number).
public enum SyscallArch: String, Sendable, CaseIterable {
  case x86_64
  case i386
  case x32

  /// The ABI of a stop and its number within that ABI's table.
  public static func of(auditArch: UInt32, number: Int64) -> (SyscallArch, Int) {
    if auditArch == UInt32(bitPattern: Int32(CT_AUDIT_ARCH_I386)) { return (.i386, Int(truncatingIfNeeded: number)) }
    let x32Bit = Int64(CT_X32_SYSCALL_BIT)
    if number >= 0 && number & x32Bit != 0 { return (.x32, Int(number & ~x32Bit)) }
    return (.x86_64, Int(truncatingIfNeeded: number))
  }

  /// The AUDIT_ARCH_* value seccomp sees for this ABI.
  public var auditArch: UInt32 {
    self == .i386 ? UInt32(bitPattern: Int32(CT_AUDIT_ARCH_I386)) : UInt32(bitPattern: Int32(CT_AUDIT_ARCH_X86_64))
  }

  /// Bytes of a C long and of a pointer.
  public var wordSize: Int { self == .x86_64 ? 8 : 4 }

  /// Bytes of time_t and of the other field of a timespec/timeval (x32's time_t is 64 bits).
  var timeSize: Int { self == .i386 ? 4 : 8 }

  /// Registers carry this many bits of an argument (x32 passes 64-bit registers).
  var registerBits: Int { self == .i386 ? 32 : 64 }

  /// strace's name of the mode in `[ Process PID=N runs in ... mode. ]`.
  public var modeName: String {
    switch self {
    case .x86_64: return "64 bit"
    case .i386: return "32 bit"
    case .x32: return "x32"
    }
  }

  public init?(modeName: String) {
    guard let a = SyscallArch.allCases.first(where: { $0.modeName == modeName }) else { return nil }
    self = a
  }

  /// The table of this ABI.
  public var table: SyscallTable {
    switch self {
    case .x86_64: return .x86_64
    case .i386: return .i386
    case .x32: return .x32
    }
  }
}
