#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A Linux errno value with its symbolic name, as strace prints it (`EBADF (Bad file descriptor)`).
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
  public let rawValue: Int32
  public init(_ rawValue: Int32) { self.rawValue = rawValue }

  /// The errno of the last failed libc call on this thread.
  public static var current: Errno { Errno(errno) }

  public var name: String {
    if rawValue > 0 && Int(rawValue) < Errno.names.count, let n = Errno.names[Int(rawValue)] { return n }
    if let n = Errno.kernelInternal[rawValue] { return n }
    return "E\(rawValue)"
  }

  public var message: String {
    if let m = Errno.kernelInternalMessages[rawValue] { return m }
    return String(cString: strerror(rawValue))
  }

  public var description: String { "\(name) (\(message))" }

  public init?(name: String) {
    if let i = Errno.names.firstIndex(where: { $0 == name }) { self.init(Int32(i)) } else { return nil }
  }

  public static let EPERM = Errno(1), ENOENT = Errno(2), ESRCH = Errno(3), EINTR = Errno(4)
  public static let EBADF = Errno(9), ECHILD = Errno(10), EAGAIN = Errno(11), EACCES = Errno(13)
  public static let EINVAL = Errno(22), ENOSYS = Errno(38)
  /// The kernel will continue the call as restart_syscall (a tracer sees it; kernelInternal names it).
  public static let ERESTART_RESTARTBLOCK = Errno(516)

  /// Index = errno value (x86_64 / generic Linux numbering).
  static let names: [String?] = [
    nil, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
    "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
    "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
    "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY",
    "ELOOP", nil, "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH",
    "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", nil, "EBFONT",
    "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT",
    "ECOMM", "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG",
    "ELIBACC", "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS",
    "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL",
    "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN",
    "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",
    "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO",
    "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED",
    "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
  ]

  /// Values only a tracer sees: the kernel's restart codes, as strace names them.
  package static let kernelInternal: [Int32: String] = [
    512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND", 515: "ENOIOCTLCMD",
    516: "ERESTART_RESTARTBLOCK",
  ]
  static let kernelInternalMessages: [Int32: String] = [
    512: "To be restarted if SA_RESTART is set", 513: "To be restarted",
    514: "To be restarted if no handler", 516: "Interrupted by signal",
  ]
}

/// Calls `body` until it does not fail with EINTR; `-1` results become a thrown `Errno`.
@inline(__always)
package func retryOnInterrupt<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
  while true {
    let r = body()
    if r >= 0 { return r }
    let e = Errno.current
    if e != .EINTR { throw e }
  }
}
