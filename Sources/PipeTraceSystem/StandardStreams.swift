#if canImport(Glibc)
import Glibc
#endif

/// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
  var offset = 0
  while offset < bytes.count {
    let n = try retryOnInterrupt { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
    offset += n
  }
}

/// `writeAll` of an array (its closure-taking accessors do not carry a typed error).
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
  let failure = bytes.withUnsafeBytes { raw -> Errno? in
    do throws(Errno) {
      try writeAll(fd, raw)
      return nil
    } catch {
      return error
    }
  }
  if let failure { throw failure }
}

/// One line on stderr, unbuffered (the tracer's own messages).
public func printError(_ line: String) {
  var text = line
  if !text.hasSuffix("\n") { text += "\n" }
  text.withUTF8 { try? writeAll(2, UnsafeRawBufferPointer($0)) }
}
