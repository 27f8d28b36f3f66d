#if canImport(Glibc)
import Glibc
#endif

/// Whether the tracer should poll for the next stop before it sleeps. On an idle VM, waking a
/// sleeping vCPU costs more than a ptrace stop, and a tracee that makes syscalls back to back stops
/// again within microseconds: polling wins (20,000 traced read/write calls: 9.7 s without, 1.5 s
/// with). On a busy machine the polling tracer takes the CPU a runnable task is waiting for (the
/// tracee itself, or `make -j2`'s other compiler): sleeping wins. So it polls only while the tasks
/// ready to run (the kernel's count in /proc/loadavg, this tracer included) fit on the usable CPUs,
/// read at most every 10 ms (one read costs about 4 µs).
///
/// Each poll (waitpid(-1, WNOHANG) that finds nothing) walks the kernel's list of every tracee, so it
/// costs time linear in their number: beyond `maxTracees` (a deep fork chain has thousands alive)
/// the tracer never polls, it sleeps in waitpid at once.
struct SpinPolicy {
  /// The most tracees a poll is cheap for (a walk of this many tasks takes some microseconds).
  static let maxTracees = 256
  /// How long to poll, in seconds; 0: never.
  let window: Double
  let cpus: Int
  /// Decide from the machine's load; false: always poll (an explicit `--spin-us`).
  let adaptive: Bool
  private var checkedAt = -Double.infinity
  private var busy = false

  init(microseconds: Int, cpus: Int, adaptive: Bool = true) {
    window = cpus > 1 || !adaptive ? Double(max(0, microseconds)) * 1e-6 : 0
    self.cpus = cpus
    self.adaptive = adaptive
  }

  mutating func shouldSpin(tracees: Int) -> Bool {
    guard window > 0, tracees <= SpinPolicy.maxTracees else { return false }
    guard adaptive else { return true }
    let now = Clock.monotonic()
    if now - checkedAt >= 0.01 {
      checkedAt = now
      busy = (ProcFS.runnableTasks() ?? 0) > cpus
    }
    return !busy
  }

}
