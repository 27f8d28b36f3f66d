import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// The ptrace requests the tracer makes, one wrapper each, failing with a typed `Errno` (as
/// swift-system's wrappers do). All of them must come from the thread that attached the tracee.
package enum Ptrace {
  /// PTRACE_O_* options.
  package struct Options: OptionSet {
    package let rawValue: UInt
    package init(rawValue: UInt) { self.rawValue = rawValue }
    package static let traceSysGood = Options(rawValue: UInt(CT_O_TRACESYSGOOD))
    static let traceFork = Options(rawValue: UInt(CT_O_TRACEFORK))
    static let traceVfork = Options(rawValue: UInt(CT_O_TRACEVFORK))
    static let traceClone = Options(rawValue: UInt(CT_O_TRACECLONE))
    package static let traceExec = Options(rawValue: UInt(CT_O_TRACEEXEC))
    package static let traceSeccomp = Options(rawValue: UInt(CT_O_TRACESECCOMP))
    package static let exitKill = Options(rawValue: UInt(CT_O_EXITKILL))
    /// Every new task and exec reported, syscall stops marked (SIGTRAP | 0x80).
    package static let followAll: Options = [.traceSysGood, .traceFork, .traceVfork, .traceClone, .traceExec]
  }

  /// How a stopped tracee goes on.
  package enum Resume {
    /// Until the next event or signal (seccomp stops still come when the filter asks).
    case cont
    /// Until the next syscall entry or exit, event or signal.
    case syscall
    /// Stays in its group-stop, but reports the end of it (PTRACE_LISTEN).
    case listen
  }

  @inline(__always)
  private static func check(_ r: Int) throws(Errno) {
    if r < 0 { throw Errno.current }
  }

  package static func seize(_ tid: Int32, _ options: Options) throws(Errno) {
    try check(ct_seize(tid, options.rawValue))
  }

  package static func interrupt(_ tid: Int32) throws(Errno) {
    try check(ct_interrupt(tid))
  }

  /// Resumes a stopped tracee, delivering `signal` (0: none) when the stop was a signal-delivery stop.
  package static func resume(_ tid: Int32, _ how: Resume, signal: Int32 = 0) throws(Errno) {
    switch how {
    case .cont: try check(ct_cont(tid, signal))
    case .syscall: try check(ct_syscall(tid, signal))
    case .listen: try check(ct_listen(tid))
    }
  }

  package static func detach(_ tid: Int32, signal: Int32 = 0) throws(Errno) {
    try check(ct_detach(tid, signal))
  }

  /// PTRACE_GETEVENTMSG: the new task's id at a fork/clone event, the former tid at an exec event.
  package static func eventMessage(_ tid: Int32) throws(Errno) -> UInt {
    var msg: UInt = 0
    try check(ct_geteventmsg(tid, &msg))
    return msg
  }

  /// PTRACE_GETSIGINFO, every field; fails with EINVAL at a group-stop.
  package static func signalInfo(_ tid: Int32) throws(Errno) -> ct_signal_info {
    var info = ct_signal_info()
    try check(ct_get_signal_info(tid, &info))
    return info
  }

  /// PTRACE_GET_SYSCALL_INFO.
  package static func syscallInfo(_ tid: Int32) throws(Errno) -> ct_syscall_info {
    var info = ct_syscall_info()
    try check(ct_get_syscall_info(tid, &info))
    return info
  }

  /// At a syscall-entry or seccomp stop: the call is skipped and returns `-error`, as the kernel
  /// skips one that a seccomp filter sends to a tracer that is not there.
  package static func skipSyscall(_ tid: Int32, failingWith error: Int32) throws(Errno) {
    var regs = try registers(tid)
    ct_regs_skip_syscall(&regs, -Int64(error))
    try check(ct_regs_set(tid, &regs))
  }

  /// The whole general-purpose register set (PTRACE_GETREGS).
  package static func registers(_ tid: Int32) throws(Errno) -> ct_regs {
    var regs = ct_regs()
    try check(ct_regs_get(tid, &regs))
    return regs
  }

  /// PTRACE_SETREGS.
  package static func setRegisters(_ tid: Int32, _ regs: ct_regs) throws(Errno) {
    var regs = regs
    try check(ct_regs_set(tid, &regs))
  }

  /// One word of the tracee's memory (PTRACE_PEEKDATA).
  static func peekWord(_ tid: Int32, at address: UInt64) throws(Errno) -> Int {
    var word = 0
    try check(ct_peekdata(tid, UInt(address), &word))
    return word
  }

  /// PTRACE_POKEDATA.
  static func pokeWord(_ tid: Int32, at address: UInt64, _ word: Int) throws(Errno) {
    try check(ct_pokedata(tid, UInt(address), word))
  }
}

/// What one `waitpid` returned.
package enum WaitResult {
  /// A task of ours changed state.
  case stop(tid: Int32, TraceStop)
  /// WNOHANG: nothing has happened yet.
  case nothing
  /// No children or tracees are left (ECHILD).
  case noChildren
  /// A signal interrupted the wait, or it failed otherwise.
  case failed(Errno)
}

extension WaitResult {
  /// waitpid(`pid`, __WALL): -1 for any tracee. `block` false returns `.nothing` at once when no
  /// task has changed state.
  package static func wait(_ pid: Int32 = -1, block: Bool, retryOnInterrupt: Bool = true) -> WaitResult {
    var status: Int32 = 0
    let r = ct_waitpid(pid, &status, block ? 0 : Int32(CT_WNOHANG), retryOnInterrupt ? 1 : 0)
    if r > 0 { return .stop(tid: r, TraceStop(status: status)) }
    if r == 0 { return .nothing }
    let e = Errno.current
    return e == .ECHILD ? .noChildren : .failed(e)
  }
}
