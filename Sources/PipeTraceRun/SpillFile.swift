#if canImport(Glibc)
import Glibc
#endif

/// An unlinked temporary file in $TMPDIR (default /tmp) that holds the part of a stream that does
/// not fit in memory, until it is printed; the file vanishes with its fd.
public final class SpillFile: @unchecked Sendable {
  let fd: Int32
  public let directory: String
  public private(set) var size = 0

  /// Creates the file; throws why not (no such directory, a full disk, no permission).
  init() throws(Errno) {
    directory = SpillFile.temporaryDirectory
    var template = Array((directory + "/pipetrace-run-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if fd < 0 { throw Errno.current }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
    self.fd = fd
  }

  deinit { close(fd) }

  /// $TMPDIR, or /tmp.
  static var temporaryDirectory: String {
    let env = getenv("TMPDIR").map { String(cString: $0) }
    return env?.isEmpty == false ? env! : "/tmp"
  }

  func append(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
    try writeAll(fd, bytes)
    size += bytes.count
  }

  func append(_ bytes: [UInt8]) throws(Errno) {
    try writeAll(fd, bytes)
    size += bytes.count
  }

  /// Copies the whole file to `out` (from its start, whatever was read before).
  func copy(to out: Int32) throws(Errno) {
    var offset = 0
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    while offset < size {
      let n = try retryOnInterrupt { pread(fd, buffer.baseAddress, min(chunk, size - offset), off_t(offset)) }
      if n == 0 { throw Errno(EIO) }  // the file shrank: never print less without saying so
      try writeAll(out, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      offset += n
    }
  }
}
