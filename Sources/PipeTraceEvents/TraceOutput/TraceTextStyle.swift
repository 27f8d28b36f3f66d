/// What a strace-style text line carries (the columns strace's -t/-tt/-ttt, -r, -T, -y and -a choose)
/// and which lines besides syscalls appear (-qq, -e signal=).
public struct TraceTextStyle: Sendable {
  public enum Timestamp: Sendable {
    case none
    /// -t: `HH:MM:SS` local time.
    case time
    /// -tt: `HH:MM:SS.uuuuuu` local time.
    case timeMicroseconds
    /// -ttt: epoch seconds with microseconds.
    case epochMicroseconds
  }

  public var timestamp: Timestamp
  /// -r: seconds since the previous line, `     0.000123` (after the -t column when both are given).
  public var relative = false
  /// -T: ` <0.000012>` after the return value.
  public var durations: Bool
  /// -y: `3<pipe:[123]>`.
  public var fdPaths: Bool
  /// -a: the column ` = RET` is padded to (counted from the line's start, pid column included, as
  /// strace does); 0 = no padding.
  public var alignment: Int
  /// strace's informational lines left out (-q, -qq, -e quiet=): `+++ exited with N +++` (exit),
  /// `[ Process PID=N runs in 32 bit mode. ]` (personality). The one place that decides.
  public var quiet = QualifierSet.none
  /// The signals whose `--- SIG... ---` and `+++ killed by SIG... +++` lines appear (-e signal=).
  public var signals = QualifierSet.all

  public init(timestamp: Timestamp, relative: Bool = false, durations: Bool, fdPaths: Bool, alignment: Int) {
    self.timestamp = timestamp
    self.relative = relative
    self.durations = durations
    self.fdPaths = fdPaths
    self.alignment = alignment
  }

  /// pipetrace's own lines: `strace -ttt -T -y`, ` = ` right after the call.
  public static let pipetrace = TraceTextStyle(timestamp: .epochMicroseconds, durations: true, fdPaths: true, alignment: 0)
  /// strace's lines with no column option given: no timestamp, no duration, no fd paths, ` = ` at 40.
  public static let strace = TraceTextStyle(timestamp: .none, durations: false, fdPaths: false, alignment: 40)
}
