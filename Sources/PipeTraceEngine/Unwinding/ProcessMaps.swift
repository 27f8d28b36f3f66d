/// One line of /proc/PID/maps: `start-end perms offset dev inode [path]`.
package struct Mapping: Sendable {
  package var start: UInt64
  package var end: UInt64
  /// `r-xp`, `rw-s`, …
  package var permissions: Substring
  package var offset: UInt64
  /// The mapped file, a `[name]` such as `[vdso]` or `[stack]`, or "" for anonymous memory.
  package var path: String

  package var executable: Bool { permissions.contains("x") }
  /// Backed by a file (the unwinder reads its symbols).
  package var isFile: Bool { path.hasPrefix("/") }

  /// Every mapping of `pid`, in address order; empty when the file cannot be read.
  package static func read(pid: Int32) -> [Mapping] {
    guard let text = ProcFS.read(ProcFS.path(pid, "maps")) else { return [] }
    return text.split(separator: "\n").compactMap(parse)
  }

  package static func parse(_ line: Substring) -> Mapping? {
    // A path may hold spaces: everything after the fifth field is the path.
    let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
    guard fields.count >= 5 else { return nil }
    let range = fields[0].split(separator: "-")
    guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
      let offset = UInt64(fields[2], radix: 16)
    else { return nil }
    let path = fields.count == 6 ? String(fields[5].drop(while: { $0 == " " })) : ""
    return Mapping(start: start, end: end, permissions: fields[1], offset: offset, path: path)
  }
}
