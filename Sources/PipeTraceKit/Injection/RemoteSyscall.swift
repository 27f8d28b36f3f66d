import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Why a remote syscall could not be run.
public struct InjectionError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// One thread of another process held under ptrace to run syscalls in it, then let go exactly as it was.
///
/// PTRACE_SEIZE + PTRACE_INTERRUPT stop it without a signal (no SIGSTOP a waiting shell could see).
/// Every register is saved at the first stop; `detach()` restores them and lets the kernel itself
/// restart the interrupted syscall (so a sleep keeps its deadline and no EINTR leaks); signals that
/// arrived meanwhile are queued again. Must be used from one OS thread: ptrace binds a tracee to
/// the thread that attached it. Detaches in deinit if the caller did not.
public final class RemoteSyscallSession {
  public let pid: Int32
  public let tid: Int32
  private var attached = false
  private var original = ct_regs()
  private var syscallInsn: UInt64?
  /// True once the thread sits in a syscall-exit stop of ours rather than in the signal path.
  private var ranSyscall = false
  /// Signals that reached the thread while we held it (signo, was thread-directed).
  private var deferredSignals: [(Int32, Bool)] = []

  /// PTRACE_SYSCALL stops report SIGTRAP | 0x80 with TRACESYSGOOD.
  private static let syscallStopSignal = SIGTRAP | 0x80

  /// Seizes `tid` of process `pid` and waits (up to `timeout` seconds) for it to stop.
  public init(pid: Int32, tid: Int32, timeout: Double = 5) throws(InjectionError) {
    self.pid = pid
    self.tid = tid
    // TRACESECCOMP: a process started under a seccomp-filtering tracer (pipetrace, strace
    // --seccomp-bpf) keeps its filter, and a filtered syscall with no tracer asking for seccomp
    // stops fails with ENOSYS; with the option it stops once more and then runs.
    if ct_seize(tid, UInt(CT_O_TRACESYSGOOD | CT_O_TRACESECCOMP)) != 0 {
      let e = Errno.current
      throw InjectionError("cannot attach to \(tid): PTRACE_SEIZE failed: \(e)")
    }
    attached = true
    if ct_interrupt(tid) != 0 {
      let e = Errno.current
      forget()
      throw InjectionError("cannot stop \(tid): PTRACE_INTERRUPT failed: \(e)")
    }
    // The thread may be inside an uninterruptible wait: poll so a stuck kernel call cannot hang us.
    let deadline = InjectionClock.now() + timeout
    var pause: UInt32 = 20
    while true {
      var status: Int32 = 0
      let r = ct_waitpid(tid, &status, Int32(CT_WNOHANG), 1)
      if r < 0 {
        let e = Errno.current
        forget()
        throw InjectionError("waiting for \(tid) to stop failed: \(e)")
      }
      if r == tid {
        if ct_wifexited(status) != 0 || ct_wifsignaled(status) != 0 {
          attached = false
          throw InjectionError("\(tid) exited before it stopped")
        }
        if ct_wstopevent(status) == Int32(CT_EVENT_STOP) { break }
        // A signal arrived first: keep it for later and let the pending interrupt stop follow.
        rememberSignal(ct_wstopsig(status))
        _ = ct_cont(tid, 0)
        continue
      }
      if InjectionClock.now() > deadline {
        // Our exit (or a later detach) clears the pending interrupt; the thread never noticed.
        forget()
        throw InjectionError("\(tid) did not stop within \(Int(timeout)) s (uninterruptible sleep?)")
      }
      usleep(pause)
      pause = min(pause * 2, 10_000)
    }
    if ct_regs_get(tid, &original) != 0 {
      let e = Errno.current
      detach()
      throw InjectionError("cannot read the registers of \(tid): \(e)")
    }
  }

  /// Adopts a thread the caller already traces (seized, with TRACESYSGOOD) and holds in a
  /// PTRACE_INTERRUPT stop: a tracer injecting into its own tracee. `detach()` then leaves it in
  /// such a stop again, every register restored, still traced by the caller.
  public init(adopting tid: Int32, of pid: Int32) throws(InjectionError) {
    self.pid = pid
    self.tid = tid
    adopted = true
    if ct_regs_get(tid, &original) != 0 {
      throw InjectionError("cannot read the registers of \(tid): \(Errno.current)")
    }
    attached = true
  }

  /// Set for an adopted thread: it stays with its tracer.
  private var adopted = false

  deinit { detach() }

  /// Runs syscall `number(args)` in the thread and returns its raw result (negative errno on failure).
  public func run(_ number: Int64, _ args: [UInt64]) throws(InjectionError) -> Int64 {
    guard attached else { throw InjectionError("\(tid) is no longer attached") }
    let insn = try syscallInstruction()
    var regs = original
    var six = [UInt64](repeating: 0, count: 6)
    for (i, a) in args.prefix(6).enumerated() { six[i] = a }
    six.withUnsafeBufferPointer { ct_regs_setup_syscall(&regs, insn, number, $0.baseAddress) }
    if ct_regs_set(tid, &regs) != 0 {
      throw InjectionError("cannot set the registers of \(tid): \(Errno.current)")
    }
    try resumeUntilSyscallStop()  // entry
    ranSyscall = true
    try resumeUntilSyscallStop()  // exit
    var after = ct_regs()
    if ct_regs_get(tid, &after) != 0 {
      throw InjectionError("cannot read the result in \(tid): \(Errno.current)")
    }
    return ct_regs_return_value(&after)
  }

  /// Restores every register and detaches, leaving no stop behind. Safe to call twice.
  public func detach() {
    guard attached else { return }
    _ = ct_regs_set(tid, &original)
    if ranSyscall {
      // We sit in a syscall-exit stop, where the kernel would not restart the original call. Go back
      // through the signal path (an interrupt stop) so that on detach the kernel restarts it itself,
      // with its own rules (ERESTARTSYS, restart_syscall for sleeps).
      if ct_interrupt(tid) == 0 && ct_cont(tid, 0) == 0 {
        while true {
          var status: Int32 = 0
          if ct_waitpid(tid, &status, 0, 1) < 0 { break }
          if ct_wifexited(status) != 0 || ct_wifsignaled(status) != 0 {
            attached = false
            return
          }
          if ct_wstopevent(status) == Int32(CT_EVENT_STOP) { break }
          if ct_wstopsig(status) != Self.syscallStopSignal { rememberSignal(ct_wstopsig(status)) }
          _ = ct_cont(tid, 0)
        }
      }
    }
    // Queued while the thread is stopped, these are delivered normally once it runs untraced.
    for (signo, threadDirected) in deferredSignals {
      _ = threadDirected ? ct_tgkill(pid, tid, signo) : kill(pid, signo)
    }
    deferredSignals = []
    if !adopted { _ = ct_detach(tid, 0) }
    attached = false
  }

  /// Detaches without restoring anything (nothing was changed yet).
  private func forget() {
    _ = ct_detach(tid, 0)
    attached = false
  }

  private func rememberSignal(_ signo: Int32) {
    var info = ct_siginfo()
    let threadDirected = ct_getsiginfo(tid, &info) == 0 && info.code == -6  // SI_TKILL
    deferredSignals.append((signo, threadDirected))
  }

  /// Resumes with PTRACE_SYSCALL until the next syscall stop; signals met on the way are deferred.
  private func resumeUntilSyscallStop() throws(InjectionError) {
    var signal: Int32 = 0
    while true {
      if ct_syscall(tid, signal) != 0 {
        throw InjectionError("PTRACE_SYSCALL on \(tid) failed: \(Errno.current)")
      }
      signal = 0
      var status: Int32 = 0
      if ct_waitpid(tid, &status, 0, 1) < 0 {
        throw InjectionError("waiting for \(tid) failed: \(Errno.current)")
      }
      if ct_wifexited(status) != 0 || ct_wifsignaled(status) != 0 {
        attached = false
        throw InjectionError("\(tid) died during the injected syscall")
      }
      let sig = ct_wstopsig(status)
      if sig == Self.syscallStopSignal { return }
      if ct_wstopevent(status) == 0 { rememberSignal(sig) }
      // Event stops (a group stop begun by another thread) are simply resumed.
    }
  }

  /// A `syscall` instruction in the target: right before pc when it stopped in a syscall, else the
  /// first one in an executable mapping.
  private func syscallInstruction() throws(InjectionError) -> UInt64 {
    if let syscallInsn { return syscallInsn }
    let insnLength = Int(ct_syscall_insn_len)
    let wanted = Self.syscallInsnBytes
    let beforePc = ct_regs_syscall_insn_before_pc(&original)
    if readMemory(beforePc, insnLength) == wanted {
      syscallInsn = beforePc
      return beforePc
    }
    for mapping in ProcFS.read("/proc/\(pid)/maps")?.split(separator: "\n") ?? [] {
      let fields = mapping.split(separator: " ")
      guard fields.count >= 2, fields[1].hasPrefix("r-x") else { continue }
      let range = fields[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
      guard range.count == 2 else { continue }
      var start = range[0]
      while start < range[1] {
        let length = Int(min(range[1] - start, 1 << 20))
        let bytes = readMemory(start, length)
        if bytes.count < insnLength { break }
        for i in 0...(bytes.count - insnLength) where bytes[i] == wanted[0] && Array(bytes[i..<(i + insnLength)]) == wanted {
          syscallInsn = start + UInt64(i)
          return start + UInt64(i)
        }
        start += UInt64(length)
      }
    }
    throw InjectionError("no syscall instruction found in an executable mapping of \(pid)")
  }

  /// The architecture's syscall instruction bytes, from the C layer.
  private static var syscallInsnBytes: [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 16)
    let n = bytes.withUnsafeMutableBufferPointer { ct_syscall_insn_copy($0.baseAddress, 16) }
    return Array(bytes.prefix(max(0, Int(n))))
  }

  private func readMemory(_ address: UInt64, _ count: Int) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: count)
    let n = buffer.withUnsafeMutableBytes { ct_read_memory(pid, UInt(address), $0.baseAddress, count) }
    return n > 0 ? Array(buffer[0..<n]) : []
  }
}

/// CLOCK_MONOTONIC seconds, for timeouts.
enum InjectionClock {
  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
}
