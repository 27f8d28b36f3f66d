import PipeTraceKit

#if canImport(Glibc)
import Glibc
#endif

/// Writes all of `text` to `fd`. A failure (a full disk, `/dev/full`, a reader gone) is the one-line
/// error `NAME: REASON` with exit status 1, as strace reports it: nothing is cut silently.
func writeOut(_ text: String, to fd: Int32 = 1, name: String = "stdout") throws {
  var t = text
  do {
    try t.withUTF8 { try writeAll(fd, UnsafeRawBufferPointer($0)) }
  } catch let error as Errno {
    throw CLIFailure("\(name): \(error.message)", code: 1)
  }
}

/// An output file given with `-o`, opened for writing (created, truncated).
func openForWriting(_ path: String) throws -> Int32 {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
  if fd < 0 { throw CLIFailure("\(path): \(Errno.current.message)", code: 1) }
  return fd
}

/// Closes an output file; a write error the file system reports only now is one too.
func closeWritten(_ fd: Int32, name: String) throws {
  if close(fd) != 0 { throw CLIFailure("\(name): \(Errno.current.message)", code: 1) }
}
