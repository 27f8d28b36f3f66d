/// Opens saved traces: detects the format of each file and merges several (`strace -ff` sets) into
/// one stream ordered by time.
public enum TraceInput {
  public enum Format: String, Sendable {
    case pipetraceJSON = "pipetrace JSON lines"
    case strace = "strace log"
  }

  /// The format of `path`; throws a one-line `ReadFailure` when it is not a trace at all.
  public static func detect(path: String) throws -> Format {
    try detect(LineSource(path: path), path: path)
  }

  /// Detects from the first lines without consuming them, so the same source (a pipe, a FIFO,
  /// `<(zcat trace.gz)`, which cannot be opened twice) is then read from its start. A line longer
  /// than the window (a write shown with a large -s) is judged by how it starts, never read whole.
  static func detect(_ source: LineSource, path: String) throws -> Format {
    let window = 4096
    let head = source.peek(window)
    if head.isEmpty { throw ReadFailure("\(path): empty file, not a trace") }
    let complete = head.count < window  // all of the file is in view
    var checked = 0
    var lineStart = 0
    for k in 0...head.count where k == head.count || head[k] == 0x0A {
      let cut = k == head.count && !complete  // a line longer than the window
      let trimmed = StraceSyntax.trim(Array(head[lineStart..<k])[...])
      lineStart = k + 1
      if trimmed.isEmpty { continue }
      // A damaged line (NUL bytes among them) is not judged: the reader counts it as unreadable.
      if trimmed.contains(0) { continue }
      if trimmed.first == UInt8(ascii: "{") { return .pipetraceJSON }
      if cut ? startsLikeStrace(trimmed) : StraceLogReader.looksLikeStrace(Array(trimmed)) { return .strace }
      checked += 1
      if checked == 20 || cut { break }
    }
    if head.contains(0) { throw ReadFailure("\(path): binary data, not a pipetrace JSON trace or strace log") }
    throw ReadFailure("\(path): not a pipetrace JSON trace or strace log")
  }

  /// The start of an strace line: an optional `[pid N] ` or pid column, an optional timestamp
  /// (`-t`, `-tt`, `-ttt`, `-r`), then a call `name(`, a resumed call `<... `, a signal `--- ` or
  /// an exit `+++ `.
  package static func startsLikeStrace(_ line: ArraySlice<UInt8>) -> Bool {
    var i = line.startIndex
    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    func skipSpaces() { while i < line.endIndex && line[i] == 0x20 { i += 1 } }
    func digits() -> Int {
      let from = i
      while i < line.endIndex && isDigit(line[i]) { i += 1 }
      return i - from
    }
    if line[i...].starts(with: "[pid ".utf8) {
      i += 5
      skipSpaces()
      guard digits() > 0, i < line.endIndex, line[i] == UInt8(ascii: "]") else { return false }
      i += 1
      skipSpaces()
    }
    // A pid column, a timestamp, or both: runs of digits with '.' or ':' inside, then spaces.
    var fields = 0
    while i < line.endIndex && isDigit(line[i]) && fields < 2 {
      while i < line.endIndex && (isDigit(line[i]) || line[i] == UInt8(ascii: ".") || line[i] == UInt8(ascii: ":")) { i += 1 }
      guard i < line.endIndex, line[i] == 0x20 else { return false }
      skipSpaces()
      fields += 1
    }
    let rest = line[i...]
    if rest.starts(with: "<... ".utf8) || rest.starts(with: "--- ".utf8) || rest.starts(with: "+++ ".utf8) { return true }
    var n = i
    while n < line.endIndex, line[n] == UInt8(ascii: "_") || (line[n] >= 0x61 && line[n] <= 0x7A) || (n > i && isDigit(line[n])) {
      n += 1
    }
    return n > i && n < line.endIndex && line[n] == UInt8(ascii: "(")
  }

  /// The pid an `strace -ff -o NAME` file carries in its name: `NAME.1234`.
  package static func pidSuffix(_ path: String) -> Int32? {
    guard let dot = path.lastIndex(of: "."), !path[path.index(after: dot)...].contains("/") else { return nil }
    return Int32(path[path.index(after: dot)...])
  }

  /// One reader over all `paths`. `keepData: false` leaves out the bytes of data arguments of
  /// pipetrace JSON traces (a report never shows them; strace logs are read whole either way).
  /// `prefetch`: read ahead on another thread (see `PrefetchingReader`).
  public static func open(paths: [String], keepData: Bool = true, prefetch: Bool = false) throws -> TraceReader {
    var readers: [TraceReader] = []
    for path in paths {
      let source = try LineSource(path: path)
      switch try detect(source, path: path) {
      case .pipetraceJSON: readers.append(JSONLinesReader(source: source, keepData: keepData))
      case .strace: readers.append(StraceLogReader(source: source, filePid: pidSuffix(path)))
      }
    }
    let reader = readers.count == 1 ? readers[0] : MergedReader(readers)
    return prefetch ? PrefetchingReader.wrap(reader) : reader
  }
}

/// Merges several traces by the time each event was written (a syscall at its exit).
final class MergedReader: TraceReader {
  private let readers: [TraceReader]
  private var heads: [Event?]

  init(_ readers: [TraceReader]) {
    self.readers = readers
    self.heads = readers.map { $0.next() }
  }

  var timeResolution: Double { readers.map(\.timeResolution).max() ?? 0.000001 }
  var hasTimestamps: Bool { readers.allSatisfy(\.hasTimestamps) }

  var badLines: BadLines {
    var all = BadLines()
    for r in readers { all.merge(r.badLines) }
    return all
  }

  static func writtenAt(_ e: Event) -> Double {
    if case .syscall(let r) = e { return r.timestamp + (r.duration ?? 0) }
    return e.timestamp
  }

  func next() -> Event? {
    var best = -1
    var bestTs = Double.infinity
    for (k, head) in heads.enumerated() {
      guard let head else { continue }
      let t = Self.writtenAt(head)
      if best < 0 || t < bestTs {
        best = k
        bestTs = t
      }
    }
    guard best >= 0 else { return nil }
    let e = heads[best]
    heads[best] = readers[best].next()
    return e
  }
}
