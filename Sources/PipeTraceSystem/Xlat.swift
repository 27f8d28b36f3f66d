import CTrace

/// A table of named kernel values (strace's "xlat"), read once from the C shim, which takes them
/// from the kernel's UAPI headers: no flag value is written as a number in Swift.
package struct Xlat: Sendable {
  package let entries: [(value: UInt64, name: String)]

  init(_ id: Int32) {
    let t = ct_xlat_table(id)
    var list: [(value: UInt64, name: String)] = []
    if let table = t.entries {
      list.reserveCapacity(Int(t.count))
      for e in UnsafeBufferPointer(start: table, count: Int(t.count)) {
        list.append((e.value, String(cString: e.name)))
      }
    }
    entries = list
  }

  package func name(of value: UInt64) -> String? {
    for e in entries where e.value == value { return e.name }
    return nil
  }

  /// The value of a name in the table (for names the decoders branch on).
  package func value(of name: String) -> UInt64? {
    entries.first { $0.name == name }?.value
  }

  package static let openAccessModes = Xlat(Int32(CT_XLAT_OPEN_ACCESS_MODES))
  package static let openModeFlags = Xlat(Int32(CT_XLAT_OPEN_MODE_FLAGS))
  package static let cloneFlags = Xlat(Int32(CT_XLAT_CLONE_FLAGS))
  package static let clone3Flags = Xlat(Int32(CT_XLAT_CLONE3_FLAGS))
  package static let pollEvents = Xlat(Int32(CT_XLAT_POLL_EVENTS))
  package static let waitOptions = Xlat(Int32(CT_XLAT_WAIT_OPTIONS))
  package static let waitidTypes = Xlat(Int32(CT_XLAT_WAITID_TYPES))
  package static let epollEvents = Xlat(Int32(CT_XLAT_EPOLL_EVENTS))
  package static let epollCtlOps = Xlat(Int32(CT_XLAT_EPOLL_CTL_OPS))
  package static let epollCreateFlags = Xlat(Int32(CT_XLAT_EPOLL_CREATE_FLAGS))
  package static let fcntlCommands = Xlat(Int32(CT_XLAT_FCNTL_COMMANDS))
  package static let fdFlags = Xlat(Int32(CT_XLAT_FD_FLAGS))
  package static let lockTypes = Xlat(Int32(CT_XLAT_LOCK_TYPES))
  package static let seekWhence = Xlat(Int32(CT_XLAT_SEEK_WHENCE))
  package static let fOwnerTypes = Xlat(Int32(CT_XLAT_F_OWNER_TYPES))
  package static let notifyFlags = Xlat(Int32(CT_XLAT_NOTIFY_FLAGS))
  package static let rwHints = Xlat(Int32(CT_XLAT_RW_HINTS))
  package static let seals = Xlat(Int32(CT_XLAT_SEALS))
  package static let closeRangeFlags = Xlat(Int32(CT_XLAT_CLOSE_RANGE_FLAGS))
  package static let atFlags = Xlat(Int32(CT_XLAT_AT_FLAGS))
  package static let execveatFlags = Xlat(Int32(CT_XLAT_EXECVEAT_FLAGS))
  static let sigprocmaskHow = Xlat(Int32(CT_XLAT_SIGPROCMASK_HOW))
  package static let siCodes = Xlat(Int32(CT_XLAT_SI_CODES))
  package static let cldCodes = Xlat(Int32(CT_XLAT_CLD_CODES))
  package static let segvCodes = Xlat(Int32(CT_XLAT_SEGV_CODES))
  package static let busCodes = Xlat(Int32(CT_XLAT_BUS_CODES))
  package static let illCodes = Xlat(Int32(CT_XLAT_ILL_CODES))
  package static let fpeCodes = Xlat(Int32(CT_XLAT_FPE_CODES))
  package static let trapCodes = Xlat(Int32(CT_XLAT_TRAP_CODES))
  package static let pollCodes = Xlat(Int32(CT_XLAT_POLL_CODES))
  package static let sysCodes = Xlat(Int32(CT_XLAT_SYS_CODES))
  static let signals = Xlat(Int32(CT_XLAT_SIGNALS))
  package static let mmapProt = Xlat(Int32(CT_XLAT_MMAP_PROT))
  package static let mmapFlags = Xlat(Int32(CT_XLAT_MMAP_FLAGS))
  static let sigactionFlags = Xlat(Int32(CT_XLAT_SIGACTION_FLAGS))
  package static let accessModes = Xlat(Int32(CT_XLAT_ACCESS_MODES))
  static let pipe2Flags = Xlat(Int32(CT_XLAT_PIPE2_FLAGS))
  package static let clockIds = Xlat(Int32(CT_XLAT_CLOCK_IDS))
  package static let timerFlags = Xlat(Int32(CT_XLAT_TIMER_FLAGS))
  package static let auditArches = Xlat(Int32(CT_XLAT_AUDIT_ARCHES))
  package static let ptraceEvents = Xlat(Int32(CT_XLAT_PTRACE_EVENTS))
  package static let addressFamilies = Xlat(Int32(CT_XLAT_ADDRESS_FAMILIES))
  package static let socketTypes = Xlat(Int32(CT_XLAT_SOCKET_TYPES))
  package static let socketTypeFlags = Xlat(Int32(CT_XLAT_SOCKET_TYPE_FLAGS))
}

/// strace's -X: how named constants are printed.
public enum XlatStyle: String, Sendable {
  /// `O_CLOEXEC` (the default).
  case abbrev
  /// `0x80000`.
  case raw
  /// `0x80000 /* O_CLOEXEC */`.
  case verbose
}

/// Renders values against an `Xlat` the way strace's printflags/printxval do.
package struct XlatPrinter {
  package var style: XlatStyle = .abbrev

  package init(style: XlatStyle = .abbrev) { self.style = style }

  /// A flag set: `A|B|0x40`, `0x1 /* O_??? */` when no name matches, `0` (or the table's name
  /// for 0) when empty. `dflt` is strace's default comment (`O_???`).
  package func flags(_ value: UInt64, _ tables: [Xlat], _ dflt: String?) -> String {
    if style == .raw { return value == 0 && dflt == nil ? "" : hex(value) }
    var rest = value
    var names: [String] = []
    outer: for table in tables {
      // A zero entry names an empty set; any other names its bits (strace's printflags).
      for e in table.entries where e.value == 0 ? rest == 0 : rest & e.value == e.value {
        names.append(e.name)
        rest &= ~e.value
        if rest == 0 { break outer }
      }
    }
    if names.isEmpty {
      if value == 0 { return dflt == nil ? "" : "0" }
      return dflt.map { hex(value) + " /* " + $0 + " */" } ?? hex(value)
    }
    var text = names.joined(separator: "|")
    if rest != 0 { text += "|" + hex(rest) }
    if style == .verbose { return (value == 0 ? "0" : hex(value)) + " /* " + text + " */" }
    return text
  }

  package func flags(_ value: UInt64, _ table: Xlat, _ dflt: String?) -> String { flags(value, [table], dflt) }

  /// One named value: `F_SETFD`, `0x42 /* F_??? */` when unknown.
  package func xval(_ value: UInt64, _ table: Xlat, _ dflt: String?) -> String {
    let number = hex(value)
    let name = table.name(of: value)
    switch style {
    case .raw: return number
    case .verbose: return number + " /* " + (name ?? dflt ?? "") + " */"
    case .abbrev:
      if let name { return name }
      return dflt.map { number + " /* " + $0 + " */" } ?? number
    }
  }

  /// C's `%#llx`: `0` for zero, `0x…` otherwise.
  package func hex(_ v: UInt64) -> String { v == 0 ? "0" : NumberText.hex(v) }
}
