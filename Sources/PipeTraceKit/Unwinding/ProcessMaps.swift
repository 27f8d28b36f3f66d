/// One line of /proc/PID/maps that maps a file.
struct Mapping: Sendable {
  var start: UInt64
  var end: UInt64
  var offset: UInt64
  var executable: Bool
  var path: String

  /// Reads the file-backed mappings of `pid`, sorted by address.
  static func read(pid: Int32) -> [Mapping] {
    guard let text = ProcFS.read("/proc/\(pid)/maps") else { return [] }
    var out: [Mapping] = []
    for line in text.split(separator: "\n") {
      // start-end perms offset dev inode path
      let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
      guard fields.count == 6 else { continue }
      let path = fields[5].trimmingCharacters(in: " ")
      guard path.hasPrefix("/") else { continue }
      let range = fields[0].split(separator: "-")
      guard range.count == 2, let s = UInt64(range[0], radix: 16), let e = UInt64(range[1], radix: 16),
        let off = UInt64(fields[2], radix: 16)
      else { continue }
      out.append(Mapping(start: s, end: e, offset: off, executable: fields[1].contains("x"), path: path))
    }
    return out
  }
}

extension Substring {
  func trimmingCharacters(in set: Character) -> String {
    String(self.drop(while: { $0 == set }))
  }
}
