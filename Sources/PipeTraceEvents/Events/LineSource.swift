#if canImport(Glibc)
import Glibc
#endif

/// Reads a file as lines with a fixed-size buffer, so memory does not grow with the file.
/// A line longer than `maxLineLength` is skipped and reported as `.tooLong` rather than buffered.
/// A line may end in CRLF (the CR is not part of it; strace and JSON escape a CR inside a value), and
/// a UTF-8 byte-order mark at the start of the file is skipped (an editor's or PowerShell's).
public final class LineSource {
  public enum Line {
    case text(UnsafeBufferPointer<UInt8>)
    case tooLong(length: Int)
  }

  public let path: String
  /// 1-based number of the line last returned.
  public private(set) var lineNumber = 0
  private let fd: Int32
  private let ownsFd: Bool
  private var buffer: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private let maxLineLength: Int
  private var start = 0
  private var end = 0
  private var atEOF = false
  /// Whether the start of the file was looked at for a byte-order mark.
  private var bomChecked = false

  public init(path: String, maxLineLength: Int = 4 << 20) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw ReadFailure("\(path): \(Errno.current.message)") }
    var st = stat()
    if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw ReadFailure("\(path): is a directory")
    }
    self.path = path
    self.fd = fd
    self.ownsFd = true
    self.maxLineLength = maxLineLength
    self.capacity = min(1 << 20, maxLineLength + 1)
    self.buffer = .allocate(capacity: capacity)
  }

  deinit {
    if ownsFd { close(fd) }
    buffer.deallocate()
  }

  /// The first bytes of the file, without consuming them (format detection).
  public func peek(_ count: Int) -> UnsafeBufferPointer<UInt8> {
    while end - start < count && !atEOF { fill() }
    return UnsafeBufferPointer(start: buffer + start, count: min(count, end - start))
  }

  /// The next line without its newline; nil at end of file. The text is valid until the next call.
  public func next() -> Line? {
    var scanFrom = start
    var skipped = 0  // bytes of an over-long line already thrown away
    while true {
      if let nl = findNewline(from: scanFrom) {
        lineNumber += 1
        let lineStart = start
        start = nl + 1
        if skipped > 0 { return .tooLong(length: skipped + nl - lineStart) }
        let cr = nl > lineStart && buffer[nl - 1] == 0x0D ? 1 : 0
        return .text(UnsafeBufferPointer(start: buffer + lineStart, count: nl - lineStart - cr))
      }
      if end - start > maxLineLength {
        skipped += end - start
        start = 0
        end = 0
        scanFrom = 0
      } else {
        scanFrom = end
      }
      if atEOF {
        if end > start || skipped > 0 {
          lineNumber += 1
          let lineStart = start
          start = end
          if skipped > 0 { return .tooLong(length: skipped + end - lineStart) }
          return .text(UnsafeBufferPointer(start: buffer + lineStart, count: end - lineStart))
        }
        return nil
      }
      let consumed = start
      fill()
      scanFrom -= consumed - start  // fill() may have moved the unread bytes to the front
    }
  }

  private func findNewline(from: Int) -> Int? {
    guard from < end else { return nil }
    let p = memchr(buffer + from, 0x0A, end - from)
    guard let p else { return nil }
    return buffer.distance(to: p.assumingMemoryBound(to: UInt8.self))
  }

  /// Moves the unread bytes to the front, grows the buffer if a line needs it, and reads more.
  private func fill() {
    if start > 0 {
      let unread = end - start
      if unread > 0 { memmove(buffer, buffer + start, unread) }
      start = 0
      end = unread
    }
    if end == capacity {
      let newCapacity = min(capacity * 2, maxLineLength + 1 + (1 << 20))
      if newCapacity > capacity {
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: buffer, count: end)
        buffer.deallocate()
        buffer = bigger
        capacity = newCapacity
      }
    }
    let n = Glibc.read(fd, buffer + end, capacity - end)
    if n <= 0 {
      if n < 0 && errno == EINTR { return }
      atEOF = true
    } else {
      end += n
    }
    if !bomChecked && (end - start >= 3 || atEOF) {
      bomChecked = true
      if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF { start += 3 }
    }
  }
}

/// A trace file that cannot be read at all: one line for the user.
public struct ReadFailure: Error, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// What a reader could not read: counted, with the first few line numbers kept for the report.
public struct BadLines: Sendable {
  public struct Sample: Sendable {
    public var file: String
    public var line: Int
    public var reason: String
  }
  public var count = 0
  public var samples: [Sample] = []
  public init() {}

  mutating func record(file: String, line: Int, reason: String) {
    count += 1
    if samples.count < 20 { samples.append(Sample(file: file, line: line, reason: reason)) }
  }

  package mutating func merge(_ other: BadLines) {
    count += other.count
    for s in other.samples where samples.count < 20 { samples.append(s) }
  }
}
