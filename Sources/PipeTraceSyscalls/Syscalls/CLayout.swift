/// Offsets of C struct fields in one ABI, computed with that ABI's alignment rules (i386 aligns
/// 8-byte fields to 4 bytes, x86_64 to 8), so one decoder reads the struct of either ABI.
package struct CLayout {
  package enum Field {
    case u8, u16, u32, u64
    /// C long, unsigned long, size_t, time_t, clock_t.
    case long
    case pointer

    func size(_ arch: SyscallArch) -> Int {
      switch self {
      case .u8: return 1
      case .u16: return 2
      case .u32: return 4
      case .u64: return 8
      case .long, .pointer: return arch == .x86_64 ? 8 : 4
      }
    }

    func align(_ arch: SyscallArch) -> Int { arch == .i386 ? min(size(arch), 4) : size(arch) }
  }

  let arch: SyscallArch
  private(set) var size = 0
  private(set) var alignment = 1

  init(_ arch: SyscallArch) { self.arch = arch }

  /// Appends a field; returns its offset.
  mutating func add(_ f: Field) -> Int {
    let a = f.align(arch)
    let offset = (size + a - 1) / a * a
    size = offset + f.size(arch)
    alignment = max(alignment, a)
    return offset
  }

  /// The struct's size with its tail padding.
  var paddedSize: Int { (size + alignment - 1) / alignment * alignment }

  /// Offsets of `fields` in order, and the padded size.
  package static func offsets(_ fields: [Field], _ arch: SyscallArch) -> (offsets: [Int], size: Int) {
    var l = CLayout(arch)
    let o = fields.map { l.add($0) }
    return (o, l.paddedSize)
  }
}

/// Little-endian reads out of bytes copied from a tracee.
struct CBytes {
  let bytes: [UInt8]

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func u8(_ at: Int) -> UInt8 { bytes[at] }

  func u16(_ at: Int) -> UInt16 {
    bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) }
  }

  func u32(_ at: Int) -> UInt32 {
    bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
  }

  func i32(_ at: Int) -> Int32 { Int32(bitPattern: u32(at)) }

  func u64(_ at: Int) -> UInt64 {
    bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
  }

  func i64(_ at: Int) -> Int64 { Int64(bitPattern: u64(at)) }

  /// An unsigned C long or pointer of `arch`.
  func word(_ at: Int, _ arch: SyscallArch) -> UInt64 { arch.wordSize == 8 ? u64(at) : UInt64(u32(at)) }

  /// A signed C long of `arch`.
  func long(_ at: Int, _ arch: SyscallArch) -> Int64 { arch.wordSize == 8 ? i64(at) : Int64(i32(at)) }
}

extension TraceeMemory {
  /// Exactly `count` bytes at `address`, or nil when any of them cannot be read.
  func exactly(_ count: Int, at address: UInt64) -> [UInt8]? {
    guard address != 0 else { return nil }
    if count == 0 { return [] }
    let b = bytes(at: address, count: count)
    return b.count == count ? b : nil
  }
}
