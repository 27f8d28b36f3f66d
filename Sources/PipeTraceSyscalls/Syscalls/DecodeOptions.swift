/// What the decoders print, as strace's options choose it.
public struct DecodeOptions: Sendable {
  /// Bytes of each string and elements of each array shown (-s).
  public var stringLimit = 32
  /// -X: named constants as names, numbers, or both.
  public var xlatStyle: XlatStyle = .abbrev
  /// -v: structures in full (rusage), envp's strings, revents of poll.
  public var verbose = false
  /// -yy: fd targets with what strace -yy adds (socket addresses, device numbers, a pidfd's pid).
  public var fdDetails = false
  /// -y or -yy: AT_FDCWD with the working directory (read per call, as strace reads it; fds carry
  /// their targets whatever this says).
  public var workingDirectories = false

  public init(stringLimit: Int = 32, xlatStyle: XlatStyle = .abbrev, verbose: Bool = false, fdDetails: Bool = false,
              workingDirectories: Bool = false) {
    self.stringLimit = stringLimit
    self.xlatStyle = xlatStyle
    self.verbose = verbose
    self.fdDetails = fdDetails
    self.workingDirectories = workingDirectories
  }
}
