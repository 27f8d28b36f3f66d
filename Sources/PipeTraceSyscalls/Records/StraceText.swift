/// Renders decoded arguments in strace's syntax: `"str"...`, `3<pipe:[1]>`, `[{fd=3, events=POLLIN}]`.
/// Every byte that comes from a tracee or /proc (strings, fd paths) is escaped as strace escapes it,
/// so no file name can split a line or reach a terminal as a control sequence.
public enum StraceText {
  public static func render(_ v: ArgValue) -> String {
    var out: [UInt8] = []
    append(v, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// `fdPaths` false leaves out the `<path>` after fds (strace without -y).
  package static func append(_ v: ArgValue, to out: inout [UInt8], fdPaths: Bool = true) {
    switch v {
    case .int(let i): out.append(contentsOf: String(i).utf8)
    case .uint(let u): out.append(contentsOf: String(u).utf8)
    case .hex(let h):
      // C's %#llx: `0` for zero.
      if h == 0 { out.append(UInt8(ascii: "0")) } else { out.append(contentsOf: ("0x" + String(h, radix: 16)).utf8) }
    case .null: out.append(contentsOf: "NULL".utf8)
    case .fd(let fd, let target):
      out.append(contentsOf: String(fd).utf8)
      if fdPaths, let t = target { appendTarget(t, to: &out) }
    case .string(let bytes, let truncated):
      StraceEscape.appendQuoted(bytes, to: &out)
      if truncated { out.append(contentsOf: "...".utf8) }
    case .symbol(let s), .raw(let s): out.append(contentsOf: s.utf8)
    case .array(let items, let truncated):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(contentsOf: ", ".utf8) }
        append(item, to: &out, fdPaths: fdPaths)
      }
      if truncated { out.append(contentsOf: (items.isEmpty ? "..." : ", ...").utf8) }
      out.append(UInt8(ascii: "]"))
    case .bitset(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: " ")) }
        append(item, to: &out, fdPaths: fdPaths)
      }
      out.append(UInt8(ascii: "]"))
    case .structure(let fields):
      out.append(UInt8(ascii: "{"))
      for (i, f) in fields.enumerated() {
        if i > 0 { out.append(contentsOf: ", ".utf8) }
        // A field without a name is strace's `...` or a comment inside a struct.
        if !f.name.isEmpty {
          out.append(contentsOf: f.name.utf8)
          out.append(UInt8(ascii: "="))
        }
        append(f.value, to: &out, fdPaths: fdPaths)
      }
      out.append(UInt8(ascii: "}"))
    case .changed(let before, let after):
      append(before, to: &out, fdPaths: fdPaths)
      out.append(contentsOf: " => ".utf8)
      append(after, to: &out, fdPaths: fdPaths)
    case .workingDirectory(let value, let path):
      append(value, to: &out, fdPaths: fdPaths)
      if fdPaths { appendAnnotation(path, to: &out) }
    }
  }

  /// `<path>` with the path's bytes as the kernel gave them (a path need not be UTF-8), escaped as
  /// strace does, `<` and `>` too, so the annotation cannot be closed early.
  static func appendAnnotation(_ path: String, inner: String? = nil, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "<"))
    StraceEscape.appendBody(DisplayText.encode(path), hex: StraceEscape.hexStrings, extra: "<>", to: &out)
    if let inner {
      out.append(UInt8(ascii: "<"))
      out.append(contentsOf: inner.utf8)
      out.append(UInt8(ascii: ">"))
    }
    out.append(UInt8(ascii: ">"))
  }

  /// `<path>` of -y (`appendAnnotation`); a deleted file's ` (deleted)` goes after the brackets, as
  /// strace prints an fd's. `inner`: -yy's device numbers, inside the brackets after the path
  /// (`</dev/null<char 1:3>>`).
  public static func appendTarget(_ path: String, inner: String? = nil, to out: inout [UInt8]) {
    let suffix = " (deleted)"
    let deleted = path.hasSuffix(suffix) && path.hasPrefix("/")
    appendAnnotation(deleted ? String(path.dropLast(suffix.count)) : path, inner: inner, to: &out)
    if deleted { out.append(contentsOf: "(deleted)".utf8) }
  }

  /// An fd's annotation: its `<path>`, or what -yy shows, as strace 6.1 -yy prints it: a socket's
  /// text in place of `socket:[N]` (`<TCP:[127.0.0.1:5432->127.0.0.1:40000]>`, printed as built:
  /// its one tracee-given part, a UNIX socket's path, is quoted and escaped already), a device's
  /// numbers after its path, a pidfd's process in place of `anon_inode:[pidfd]` (`<pid:1234>`).
  public static func appendTarget(_ t: FdTarget, to out: inout [UInt8]) {
    switch t.detail {
    case nil:
      appendTarget(t.path, to: &out)
    case .socket(let text)?:
      out.append(UInt8(ascii: "<"))
      out.append(contentsOf: text.utf8)
      out.append(UInt8(ascii: ">"))
    case .device(let numbers)?:
      appendTarget(t.path, inner: numbers, to: &out)
    case .process(let pid)?:
      out.append(contentsOf: "<pid:\(pid)>".utf8)
    }
  }

  /// A signal line's body: `SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, …}` (strace prints it
  /// between `--- ` and ` ---`).
  public static func signal(_ info: SignalInfo, style: XlatStyle = .abbrev, fdTarget: (Int32) -> FdTarget? = { _ in nil }) -> String {
    Signals.name(info.signo) + " " + render(.structure(info.fields(style: style) { .fd($0, fdTarget($0)) }))
  }
}
