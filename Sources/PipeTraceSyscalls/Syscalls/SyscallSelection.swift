#if canImport(Glibc)
import Glibc
#endif

/// strace's `-e trace=SET`: comma-separated names, `%class`es (`%file`, `%desc`, `%%stat`...),
/// `/regex`es (POSIX extended, matched anywhere in the name), numbers, `?` before an element that
/// may be unknown in some ABI (no error then), `NAME@64`/`@32`/`@x32` for one ABI only; a leading
/// `!` inverts the whole set; `all` and `none`.
public enum SyscallSelection {
  public struct InvalidSyscall: Error, CustomStringConvertible, Equatable {
    public let token: String
    public let reason: String
    public var description: String { "unknown syscall name '\(token)' in -e trace=\(reason.isEmpty ? "" : ": " + reason)" }
  }

  /// The set an expression names (the value of `trace=`).
  public static func parse(_ expression: String) throws(InvalidSyscall) -> SyscallSet {
    var s = Substring(expression)
    var invert = false
    while s.first == "!" {
      invert.toggle()
      s = s.dropFirst()
    }
    var set = SyscallSet()
    if s == "none" {
      // nothing
    } else if s == "all" {
      set = .all
    } else {
      let tokens = s.split(separator: ",", omittingEmptySubsequences: true)
      if tokens.isEmpty { throw InvalidSyscall(token: expression, reason: "") }
      for token in tokens { set = set.union(try element(token)) }
    }
    return invert ? set.inverted() : set
  }

  /// The default: the pipe set of every ABI.
  public static var defaultSet: SyscallSet { SyscallSet { $0.traits.contains(.shownByDefault) } }

  private static func element(_ token: Substring) throws(InvalidSyscall) -> SyscallSet {
    var t = token
    var optional = false
    while t.first == "?" {
      optional = true
      t = t.dropFirst()
    }
    var arches = SyscallArch.allCases
    if let at = t.lastIndex(of: "@") {
      let suffix = t[t.index(after: at)...]
      let arch: SyscallArch? = suffix == "64" ? .x86_64 : suffix == "32" ? .i386 : suffix == "x32" ? .x32 : nil
      guard let arch else { throw InvalidSyscall(token: String(token), reason: "unknown ABI '@\(suffix)'") }
      arches = [arch]
      t = t[..<at]
    }
    var set = SyscallSet()
    var found = false
    if let first = t.first, first.isNumber {
      guard let nr = Int(t) else { throw InvalidSyscall(token: String(token), reason: "") }
      for arch in arches where nr < arch.table.count && arch.table.rows[nr] != nil {
        set.insert(arch, nr)
        found = true
      }
    } else if t.first == "/" {
      let rows = try matching(regex: String(t.dropFirst()), token: token)
      for arch in arches {
        for nr in arch.table.numbers(where: rows) {
          set.insert(arch, nr)
          found = true
        }
      }
    } else if let cls = className(t) {
      for arch in arches {
        for nr in arch.table.numbers(where: { $0.classes.isSuperset(of: cls) }) { set.insert(arch, nr) }
      }
      found = true
    } else {
      for arch in arches {
        for nr in arch.table.numbers(where: { $0.name == t }) {
          set.insert(arch, nr)
          found = true
        }
      }
    }
    if !found && !optional { throw InvalidSyscall(token: String(token), reason: "") }
    return set
  }

  /// `%desc`, `%%stat`, and strace's legacy names without `%` (`file`, `process`...).
  private static func className(_ t: Substring) -> SyscallClass? {
    let legacy = ["desc", "file", "memory", "process", "signal", "ipc", "network"]
    let name: Substring
    if t.hasPrefix("%") {
      name = t.dropFirst()
    } else if legacy.contains(String(t)) {
      name = t
    } else {
      return nil
    }
    return SyscallClass.byName.first { $0.0 == name.lowercased() }?.1
  }

  /// A matcher for a POSIX extended regex (glibc's regcomp, as strace uses).
  private static func matching(regex: String, token: Substring) throws(InvalidSyscall) -> (SyscallRow) -> Bool {
    var re = regex_t()
    let rc = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB)
    if rc != 0 {
      var buf = [CChar](repeating: 0, count: 256)
      regerror(rc, &re, &buf, buf.count)
      let message = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
      throw InvalidSyscall(token: String(token), reason: String(decoding: message, as: UTF8.self))
    }
    // Names are matched once here, not at each stop: the set of calls is built and the regex freed.
    var calls = Set<SyscallID>()
    for arch in SyscallArch.allCases {
      for row in arch.table.allRows where regexec(&re, row.name, 0, nil, 0) == 0 { calls.insert(row.id) }
    }
    regfree(&re)
    return { calls.contains($0.id) }
  }
}
