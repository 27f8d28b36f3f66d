#if canImport(Glibc)
import Glibc
#endif

/// The two clocks a trace line needs: wall time for timestamps, monotonic time for durations
/// (as strace's -ttt and -T use them).
public enum Clock {
  @inline(__always)
  public static func wall() -> Double { read(CLOCK_REALTIME) }

  @inline(__always)
  public static func monotonic() -> Double { read(CLOCK_MONOTONIC) }

  @inline(__always)
  static func read(_ id: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(id, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }
}
