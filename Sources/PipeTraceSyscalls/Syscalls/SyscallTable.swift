/// One ABI's syscall table, as strace's syscallent.h: a row per number with the name, the argument
/// kinds (C width and signedness), the return kind, the traits and the strace classes. Every
/// consumer (tracer, seccomp filter, fd model, `why`, report, `-e trace=`) asks a table.
public struct SyscallTable: Sendable {
  public static let x86_64 = SyscallTable(arch: .x86_64, names: X86_64Syscalls.byNumber)
  public static let i386 = SyscallTable(arch: .i386, names: I386Syscalls.byNumber)
  /// x32 shares x86_64's numbers below 512 and has its own from 512 (the x32 bit is taken off).
  public static let x32 = SyscallTable(
    arch: .x32,
    names: X86_64Syscalls.byNumber + [String](repeating: "", count: 512 - X86_64Syscalls.byNumber.count)
      + X86_64Syscalls.x32Only)

  public let arch: SyscallArch
  let rows: [SyscallRow?]
  let numbersByName: [String: Int]

  init(arch: SyscallArch, names: [String]) {
    self.arch = arch
    var rows = [SyscallRow?](repeating: nil, count: names.count)
    var numbers: [String: Int] = [:]
    for (nr, name) in names.enumerated() where !name.isEmpty {
      if numbers[name] == nil { numbers[name] = nr }
      let spec = SyscallID(named: name)?.spec
      let sig = (arch == .i386 ? I386Syscalls.signature(differingFrom: name) : nil) ?? spec?.signature
      rows[nr] = SyscallRow(
        id: spec?.id ?? .unknown, number: nr, name: name, args: sig?.args, argCount: spec?.argCount ?? 6,
        returns: sig?.returns ?? .int, traits: spec?.traits ?? [], classes: spec?.classes ?? [], special: sig?.special)
    }
    self.rows = rows
    self.numbersByName = numbers
  }

  /// One past the highest number in the table.
  public var count: Int { rows.count }

  /// The row of `nr`; a `syscall_0x…` row for numbers the table does not have.
  public func row(_ nr: Int) -> SyscallRow {
    if nr >= 0 && nr < rows.count, let r = rows[nr] { return r }
    return .unknown(nr)
  }

  public func name(of nr: Int) -> String { row(nr).name }

  public func number(of name: String) -> Int? { numbersByName[name] }

  /// The number of a catalogue call in this ABI; nil when the ABI does not have it.
  public func number(of call: SyscallID) -> Int? { call.isKnown ? numbersByName[call.name] : nil }

  /// Every row, in number order.
  public var allRows: [SyscallRow] { rows.compactMap { $0 } }

  /// Numbers whose rows satisfy `predicate`.
  public func numbers(where predicate: (SyscallRow) -> Bool) -> [Int] {
    rows.compactMap { r in r.flatMap { predicate($0) ? $0.number : nil } }
  }

  /// The default set of names pipetrace shows (the pipe set of this ABI).
  public var defaultNames: [String] { allRows.filter { $0.traits.contains(.shownByDefault) }.map(\.name) }

  /// The default set as x86_64 names (what `--help` and the README list).
  public static var pipeSet: [String] { x86_64.defaultNames }

  /// The traits of a call known only by name (a saved trace), in whichever ABI has that name.
  public static func traits(named name: String) -> SyscallTraits {
    SyscallID(named: name)?.traits ?? []
  }

  /// Whether any ABI has a call of this name.
  public static func isKnown(_ name: String) -> Bool {
    SyscallArch.allCases.contains { $0.table.number(of: name) != nil }
  }
}

extension SyscallRow {
  /// Where a call's clone flags are: clone's first register, clone3's `clone_args.flags` (the
  /// first 8 bytes at the address in its first register). nil for other calls.
  public enum CloneFlagsArgument: Sendable {
    case register(Int)
    case cloneArgsPointer(Int)
  }

  public var cloneFlagsArgument: CloneFlagsArgument? {
    if special == nil, case .cloneArgs = args?.first { return .cloneArgsPointer(0) }
    if case .clone = special { return .register(0) }
    return nil
  }

  /// Replaces the program image (execve, execveat).
  public var isExec: Bool { traits.contains(.execs) }

  /// The tracer must see this call even when it is not shown, for its fd tables to stay true:
  /// it closes or replaces fds, replaces the image (close-on-exec), or may share the table.
  public var keepsFdModel: Bool {
    traits.contains(.changesFdTable) || traits.contains(.execs) || cloneFlagsArgument != nil
  }
}
