#if canImport(Glibc)
import Glibc
#endif

/// A byte buffer in front of an fd: trace lines are formatted into it and written in large chunks.
public final class OutputBuffer {
  public let fd: Int32
  /// What the output is called in the error message: the `-o` path, or `stderr`.
  public let name: String
  package var bytes: [UInt8] = []
  let limit: Int
  /// Set when a write failed (a full disk, a reader gone); further output is dropped. The failure
  /// is reported once on stderr as it happens, as strace does: `pipetrace: NAME: REASON`.
  public private(set) var failed: Errno?

  /// Reports a failure; nil: the one line `pipetrace: NAME: REASON` on stderr.
  let report: ((String) -> Void)?

  public init(fd: Int32, name: String = "stderr", limit: Int = 1 << 16, report: ((String) -> Void)? = nil) {
    self.fd = fd
    self.name = name
    self.limit = limit
    self.report = report
    bytes.reserveCapacity(limit + 4096)
  }

  @inline(__always) func append(_ s: String) {
    var s = s
    s.withUTF8 { bytes.append(contentsOf: $0) }
  }

  @inline(__always) func append(_ s: StaticString) {
    s.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  @inline(__always) package func append(byte: UInt8) { bytes.append(byte) }

  func append(int v: Int64) {
    if v < 0 {
      bytes.append(UInt8(ascii: "-"))
      append(uint: v == Int64.min ? UInt64(Int64.max) + 1 : UInt64(-v))
    } else {
      append(uint: UInt64(v))
    }
  }

  /// Decimal digits, zero-padded to `width`.
  @inline(__always) package func append(uint v: UInt64, width: Int = 1) {
    NumberText.appendDecimal(v, width: width, to: &bytes)
  }

  package func append(hex v: UInt64) {
    append(NumberText.hex(v))
  }

  /// `seconds.micro` with six digits, as strace's -ttt and -T print.
  package func append(seconds v: Double) {
    NumberText.appendFixed(max(0, v), places: 6, to: &bytes)
  }

  /// Writes out when the buffer is full.
  @inline(__always) func lineDone() {
    if bytes.count >= limit { flush() }
  }

  public func flush() {
    guard !bytes.isEmpty else { return }
    if failed == nil {
      do throws(Errno) {
        try writeAll(fd, bytes)
      } catch {
        fail(error)
      }
    }
    if bytes.capacity > 4 * limit + 4096 {
      // A huge line (a large -s) went out: do not hold its memory for the rest of the trace.
      bytes = []
      bytes.reserveCapacity(limit + 4096)
    } else {
      bytes.removeAll(keepingCapacity: true)
    }
  }

  /// Text written out at once, after what is buffered (the report that ends a trace).
  public func write(_ text: String) {
    append(text)
    flush()
  }

  /// Flushes, closes the fd when `closing` (a file given with -o; a delayed write error of the
  /// file system shows here), and returns the first failure, already reported.
  @discardableResult
  public func finish(closing: Bool) -> Errno? {
    flush()
    if closing && Glibc.close(fd) != 0 && failed == nil { fail(Errno.current) }
    return failed
  }

  private func fail(_ error: Errno) {
    failed = error
    let line = "pipetrace: \(name): \(error.message)"
    if let report { report(line) } else { printError(line) }
  }
}
