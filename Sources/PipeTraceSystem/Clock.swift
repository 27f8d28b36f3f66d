#if canImport(Glibc)
import Glibc
#endif

/// The two clocks a trace line needs: wall time for timestamps, monotonic time for durations
/// (as strace's -ttt and -T use them).
public enum Clock {
  /// Epoch seconds: the system clock read once, carried forward by the monotonic clock. Every
  /// timestamp of a trace is then on the timeline its durations are measured on, so a call's end
  /// (timestamp + duration) and another event's timestamp compare the way they happened even when
  /// the system clock is stepped meanwhile (a VM's clock sync stepped it 0.7 s forward in the
  /// middle of a traced `demo` here, and the report then saw the read end before the close that
  /// ended it). The cost: a trace that outlives a step stays on the clock it started with.
  @inline(__always)
  public static func wall() -> Double { wallAtStart.wall + (monotonic() - wallAtStart.monotonic) }

  /// The system clock and the monotonic clock, read together at first use.
  private static let wallAtStart = (wall: read(CLOCK_REALTIME), monotonic: read(CLOCK_MONOTONIC))

  @inline(__always)
  public static func monotonic() -> Double { read(CLOCK_MONOTONIC) }

  @inline(__always)
  static func read(_ id: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(id, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }
}
