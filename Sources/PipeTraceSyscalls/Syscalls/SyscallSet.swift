/// A set of syscalls in every ABI (a number means different calls in x86_64 and i386), looked up
/// at every stop: one flag per number per ABI.
public struct SyscallSet: Sendable, Equatable {
  private var x86_64: [Bool]
  private var i386: [Bool]
  private var x32: [Bool]

  /// The empty set.
  public init() {
    x86_64 = [Bool](repeating: false, count: SyscallTable.x86_64.count)
    i386 = [Bool](repeating: false, count: SyscallTable.i386.count)
    x32 = [Bool](repeating: false, count: SyscallTable.x32.count)
  }

  /// Every row that satisfies `predicate`, in every ABI.
  public init(where predicate: (SyscallRow) -> Bool) {
    self.init()
    for arch in SyscallArch.allCases {
      for nr in arch.table.numbers(where: predicate) { insert(arch, nr) }
    }
  }

  /// Every number of every ABI, also those without a row (`-e trace=all` shows unknown calls too).
  public static var all: SyscallSet {
    var s = SyscallSet()
    s.x86_64 = s.x86_64.map { _ in true }
    s.i386 = s.i386.map { _ in true }
    s.x32 = s.x32.map { _ in true }
    s.everythingElse = true
    return s
  }

  /// Numbers beyond the tables (`-e trace=all`, `!read`): in the set too.
  public private(set) var everythingElse = false

  /// Asked at every syscall stop: no copy of the flags.
  public func contains(_ arch: SyscallArch, _ nr: Int) -> Bool {
    switch arch {
    case .x86_64: return nr >= 0 && nr < x86_64.count ? x86_64[nr] : everythingElse
    case .i386: return nr >= 0 && nr < i386.count ? i386[nr] : everythingElse
    case .x32: return nr >= 0 && nr < x32.count ? x32[nr] : everythingElse
    }
  }

  public mutating func insert(_ arch: SyscallArch, _ nr: Int) {
    guard nr >= 0 && nr < self[arch].count else { return }
    self[arch][nr] = true
  }

  public var isEmpty: Bool { !everythingElse && !(x86_64 + i386 + x32).contains(true) }

  /// The numbers in the set, per ABI (what a seccomp filter traps).
  public func numbers(_ arch: SyscallArch) -> [Int] {
    self[arch].enumerated().compactMap { $0.element ? $0.offset : nil }
  }

  public func union(_ other: SyscallSet) -> SyscallSet {
    var s = self
    for arch in SyscallArch.allCases {
      for (i, v) in other[arch].enumerated() where v { s[arch][i] = true }
    }
    s.everythingElse = everythingElse || other.everythingElse
    return s
  }

  public func inverted() -> SyscallSet {
    var s = self
    for arch in SyscallArch.allCases { s[arch] = s[arch].map { !$0 } }
    s.everythingElse = !everythingElse
    return s
  }

  private subscript(_ arch: SyscallArch) -> [Bool] {
    get {
      switch arch {
      case .x86_64: return x86_64
      case .i386: return i386
      case .x32: return x32
      }
    }
    set {
      switch arch {
      case .x86_64: x86_64 = newValue
      case .i386: i386 = newValue
      case .x32: x32 = newValue
      }
    }
  }
}
