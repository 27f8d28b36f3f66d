#if canImport(Glibc)
import Glibc
#endif

/// The CPU time a thread has used, in nanoseconds: the first field of /proc/PID/task/TID/schedstat
/// (the scheduler's sum_exec_runtime). Read at a syscall's entry stop and again at its exit stop,
/// the difference is CPU time the thread spent in the kernel for that call, since a thread between
/// those stops runs no user code: what strace -c calls system time. (strace takes it from the rusage
/// wait4 returns at each stop: per process, and tick-sampled.) A stopped thread's figure is exact:
/// the scheduler updates it when the thread stops running. Another process's per-thread CPU clock
/// cannot be read with clock_gettime (the kernel allows it only within one's own thread group), so
/// the file is read, with one pread per stop on an fd kept open per thread.
final class ThreadCPUTime {
  private var files: [Int32: Int32] = [:]

  /// Whether this kernel exposes the figure (it needs CONFIG_SCHED_INFO).
  static var available: Bool {
    ProcFS.withSmallFile(ProcFS.ownThreadPath("schedstat"), capacity: 64, leadingNumber) != nil
  }

  func nanoseconds(pid: Int32, tid: Int32) -> UInt64? {
    let fd: Int32
    if let known = files[tid] {
      fd = known
    } else {
      fd = ProcFS.openTaskFile(pid, tid: tid, "schedstat")
      if fd < 0 { return nil }
      files[tid] = fd
    }
    return Self.read(fd)
  }

  /// The thread is gone (or will not be asked about again).
  func forget(tid: Int32) {
    if let fd = files.removeValue(forKey: tid) { close(fd) }
  }

  deinit {
    for fd in files.values { close(fd) }
  }

  /// The leading decimal number of the file, read from its start.
  private static func read(_ fd: Int32) -> UInt64? {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buf -> UInt64? in
      let n = pread(fd, buf.baseAddress, buf.count, 0)
      guard n > 0 else { return nil }
      return leadingNumber(UnsafeRawBufferPointer(start: buf.baseAddress, count: n))
    }
  }

  private static func leadingNumber(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
    var v: UInt64 = 0
    var digits = 0
    for b in bytes {
      guard b >= 0x30 && b <= 0x39 else { break }
      v = v &* 10 &+ UInt64(b - 0x30)
      digits += 1
    }
    return digits > 0 ? v : nil
  }
}
