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
/// Every register is saved at the first stop; `detach()` restores them (and any memory written)
/// and lets the kernel itself restart the interrupted syscall (so a sleep keeps its deadline and no
/// EINTR leaks); signals that arrived meanwhile are queued again. A 32-bit (i386) thread gets its
/// own convention: `int $0x80` and i386 numbers. Must be used from one OS thread: ptrace binds a
/// tracee to the thread that attached it. Detaches in deinit if the caller did not.
public final class RemoteSyscallSession {
  public let pid: Int32
  public let tid: Int32
  private var attached = false
  /// The thread sits in a stop of ours and `original` holds its registers.
  private var stopped = false
  private var original = ct_regs()
  private var syscallInsn: UInt64?
  /// True once the thread sits in a syscall-exit stop of ours rather than in the signal path.
  private var ranSyscall = false
  /// Signals that reached the thread while we held it (signo, was thread-directed), once each.
  private var deferredSignals: [(Int32, Bool)] = []
  /// How often each signal was met: one that keeps coming back means we are looping.
  private var signalCounts: [Int32: Int] = [:]
  /// The target's memory we overwrote (address, what was there), put back on detach, last first.
  private var savedMemory: [(UInt64, [UInt8])] = []
  /// Set for an adopted thread: it stays with its tracer.
  private var adopted = false

  /// Whether the thread runs 32-bit x86 code (its syscalls are i386 ones).
  public var isI386: Bool { ct_regs_is_i386(&original) != 0 }

  /// Seizes `tid` of process `pid` and waits (up to `timeout` seconds) for it to stop.
  public convenience init(pid: ProcessID, tid: ThreadID, timeout: Double = 5) throws(InjectionError) {
    try self.init(seizing: tid.rawValue, of: pid.rawValue)
    try awaitStop(timeout: timeout)
  }

  /// Seizes and interrupts without waiting (see `awaitStop`): many threads can be asked to stop at once.
  init(seizing tid: Int32, of pid: Int32) throws(InjectionError) {
    self.pid = pid
    self.tid = tid
    // TRACESECCOMP: a process started under a seccomp-filtering tracer (pipetrace, strace
    // --seccomp-bpf) keeps its filter, and a filtered syscall with no tracer asking for seccomp
    // stops fails with ENOSYS; with the option it stops once more and then runs.
    do throws(Errno) {
      try Ptrace.seize(tid, [.traceSysGood, .traceSeccomp])
    } catch {
      throw InjectionError("cannot attach to \(tid): PTRACE_SEIZE failed: \(error)")
    }
    attached = true
    do throws(Errno) {
      try Ptrace.interrupt(tid)
    } catch {
      forget()
      throw InjectionError("cannot stop \(tid): PTRACE_INTERRUPT failed: \(error)")
    }
  }

  /// Waits for the interrupt stop, then saves the registers.
  func awaitStop(timeout: Double) throws(InjectionError) {
    // The thread may be inside an uninterruptible wait: poll so a stuck kernel call cannot hang us.
    let deadline = Clock.monotonic() + timeout
    var pause: UInt32 = 20
    waiting: while true {
      switch WaitResult.wait(tid, block: false) {
      case .failed(let e):
        forget()
        throw InjectionError("waiting for \(tid) to stop failed: \(e)")
      case .noChildren:
        forget()
        throw InjectionError("waiting for \(tid) to stop failed: \(Errno.ECHILD)")
      case .stop(_, let stop):
        switch towardInterruptStop(stop) {
        case .gone: throw InjectionError("\(tid) exited before it stopped")
        case .arrived: break waiting
        case .resumed: continue
        }
      case .nothing:
        break
      }
      if Clock.monotonic() > deadline {
        // Our exit (or a later detach) clears the pending interrupt; the thread never noticed.
        forget()
        throw InjectionError("\(tid) did not stop within \(Int(timeout)) s (uninterruptible sleep?)")
      }
      usleep(pause)
      pause = min(pause * 2, 10_000)
    }
    do throws(Errno) {
      original = try Ptrace.registers(tid)
    } catch {
      forget()
      throw InjectionError("cannot read the registers of \(tid): \(error)")
    }
    stopped = true
  }

  /// Adopts a thread the caller already traces (seized, with TRACESYSGOOD) and holds in a
  /// PTRACE_INTERRUPT stop: a tracer injecting into its own tracee. `detach()` then leaves it in
  /// such a stop again, every register restored, still traced by the caller.
  public init(adopting tid: Int32, of pid: Int32) throws(InjectionError) {
    self.pid = pid
    self.tid = tid
    adopted = true
    do throws(Errno) {
      original = try Ptrace.registers(tid)
    } catch {
      throw InjectionError("cannot read the registers of \(tid): \(error)")
    }
    attached = true
    stopped = true
  }

  /// The registers at an injected call's exit stop. A seccomp filter that traps the call skips it
  /// and queues SIGSYS (the registers then hold the call number, not a result): nothing was done.
  private func registersAfterCall() throws(InjectionError) -> ct_regs {
    if let fault = pendingFault() {
      throw InjectionError("the injected syscall in \(tid) raised \(Signals.name(fault)); registers restored, nothing done")
    }
    do throws(Errno) {
      return try Ptrace.registers(tid)
    } catch {
      throw InjectionError("cannot read the result in \(tid): \(error)")
    }
  }

  deinit { detach() }

  /// Runs syscall `number(args)` in the thread and returns its raw result (negative errno on
  /// failure). `number` is in the thread's own convention (i386 numbers for a 32-bit thread).
  public func run(_ number: Int64, _ args: [UInt64]) throws(InjectionError) -> Int64 {
    guard attached else { throw InjectionError("\(tid) is no longer attached") }
    let insn = try syscallInstruction()
    var regs = original
    var six = [UInt64](repeating: 0, count: 6)
    for (i, a) in args.prefix(6).enumerated() { six[i] = a }
    let i386 = isI386
    if i386 {
      ct_regs_setup_syscall_i386(&regs, insn, number, six)
    } else {
      ct_regs_setup_syscall(&regs, insn, number, six)
    }
    do throws(Errno) {
      try Ptrace.setRegisters(tid, regs)
    } catch {
      throw InjectionError("cannot set the registers of \(tid): \(error)")
    }
    injecting = true
    try resumeUntilSyscallStop()  // entry
    ranSyscall = true
    try resumeUntilSyscallStop()  // exit
    var after = try registersAfterCall()
    return i386 ? ct_regs_return_value_i386(&after) : ct_regs_return_value(&after)
  }

  /// Puts `bytes` in the target below its stack pointer (past the red zone), to be restored on
  /// detach; returns their address. For a path argument such as "/dev/null".
  public func scratch(_ bytes: [UInt8]) throws(InjectionError) -> UInt64 {
    let sp = ct_regs_sp(&original) & (isI386 ? 0xFFFF_FFFF : UInt64.max)
    let address = (sp - 512 - UInt64((bytes.count + 7) / 8 * 8)) & ~UInt64(15)
    try write(bytes, at: address)
    return address
  }

  /// Writes `bytes` into the target at `address` (8-byte aligned; whole words are written), the
  /// old content kept to be put back on detach.
  private func write(_ bytes: [UInt8], at address: UInt64) throws(InjectionError) {
    let length = (bytes.count + 7) / 8 * 8
    var old = [UInt8](repeating: 0, count: length)
    let got = old.withUnsafeMutableBytes { ct_read_memory(tid, UInt(address), $0.baseAddress, length) }
    guard got == length else { throw InjectionError("cannot read the stack of \(tid): \(Errno.current)") }
    var new = old
    new.replaceSubrange(0..<bytes.count, with: bytes)
    let put = new.withUnsafeBytes { ct_write_memory(tid, UInt(address), $0.baseAddress, length) }
    guard put == length else { throw InjectionError("cannot write the stack of \(tid): \(Errno.current)") }
    savedMemory.append((address, old))
  }

  /// One syscall of a chain: its number (the thread's convention) and up to six arguments.
  public struct Call: Equatable {
    public var number: Int64
    public var args: [UInt64]
    public init(_ number: Int64, _ args: [UInt64]) {
      self.number = number
      self.args = args
    }
  }

  /// Runs `calls` in the thread so that it would finish them and put itself back on its own: from
  /// the moment the first is set up, a pipetrace killed at any instant leaves a thread that completes
  /// the sequence and returns to exactly where it was (registers, FPU state, signal mask; an
  /// interrupted call is made again). Nothing of ours is left in it but bytes below its stack pointer
  /// (memory nothing reads).
  ///
  /// How: below the stack go the data, an XSAVE image of the FPU state and one rt_sigreturn frame
  /// per call, each setting every register for its call with pc at a `syscall; ret` and sp at an
  /// address of a `mov $15,%rax; syscall` (rt_sigreturn) followed by the next frame; the last frame
  /// holds the thread's own registers. A 32-bit thread gets the same in its own convention: compat
  /// rt_sigreturn frames (ucontext_ia32, the FSAVE environment before the XSAVE image), an
  /// `int $0x80; ret` (or the vDSO's `int $0x80; pop ×3; ret`, the three words left below each
  /// return address) and a `mov $173,%eax; int $0x80`. pipetrace follows the calls from syscall stop
  /// to syscall stop (the results are read there; `adjust` may change the arguments of later calls,
  /// rewritten in place), then, with the chain done, stops the thread before it returns to user mode
  /// and sets its own registers, so that the kernel restarts an interrupted call itself.
  ///
  /// `data` is written first; `calls` receives its address. Returns nil when the thread cannot run
  /// such a chain (a shadow stack, no such instructions in its code, a stack with no room): the
  /// caller then runs the calls one by one.
  public func runChain(data: [UInt8], calls makeCalls: (UInt64) -> [Call],
                       adjust: (_ index: Int, _ result: Int64, _ calls: inout [Call]) -> Void) throws(InjectionError) -> [Int64]? {
    #if arch(x86_64)
    let i386 = isI386
    guard attached, !hasShadowStack, let gadgets = chainGadgets(i386: i386), let fpu = fpuImage(i386: i386) else { return nil }
    let shape = ChainShape(i386: i386, pops: gadgets.pops)
    let mask = ProcStatus(pid: pid, tid: tid)?.blockedSignals ?? 0
    // Layout, upwards: frame 0, then per later frame its link (the words the call's gadget pops, the
    // last its return address: rt_sigreturn) and the frame; the data and the FPU image last
    // (highest), so that whatever runs on the stack meanwhile (a signal handler, if pipetrace is
    // gone) only overwrites frames already used.
    var probe = makeCalls(0)
    let frames = probe.count + 1
    let framesBytes = shape.firstFrame + (frames - 1) * shape.laterFrame
    let dataOffset = (framesBytes + 15) & ~15
    // The XSAVE image 64-byte aligned (a 32-bit thread's FSAVE environment comes right before it).
    let fpuOffset = ((dataOffset + data.count + shape.fpuPrefix + 63) & ~63) - shape.fpuPrefix
    let total = fpuOffset + fpu.count
    let sp = ct_regs_sp(&original) & (i386 ? 0xFFFF_FFFF : UInt64.max)
    let base = (sp - 128 - 256 - UInt64(total)) & ~UInt64(63)
    guard stackHasRoom(from: base, to: sp) else { return nil }
    probe = makeCalls(base + UInt64(dataOffset))
    var calls = probe
    var last = original
    ct_regs_restarted(&last)
    func frameStart(_ k: Int) -> UInt64 { base + UInt64(k == 0 ? 0 : shape.firstFrame + (k - 1) * shape.laterFrame) }
    /// The sp rt_sigreturn runs with to load frame k.
    func sigreturnSP(_ k: Int) -> UInt64 { frameStart(k) + UInt64(k == 0 ? 0 : shape.link) }
    func image() -> [UInt8] {
      var bytes = [UInt8](repeating: 0, count: total)
      for k in 0..<frames {
        var regs = original
        if k < calls.count {
          var six = [UInt64](repeating: 0, count: 6)
          for (i, a) in calls[k].args.prefix(6).enumerated() { six[i] = a }
          if i386 {
            ct_regs_setup_syscall_i386(&regs, gadgets.syscallRet, calls[k].number, six)
          } else {
            ct_regs_setup_syscall(&regs, gadgets.syscallRet, calls[k].number, six)
          }
          // Where the gadget after the call finds its words and rt_sigreturn, the next frame right above.
          ct_regs_set_sp(&regs, frameStart(k + 1))
        } else {
          regs = last
        }
        var frame = [UInt8](repeating: 0, count: shape.ucontextSize)
        let fpstate = base + UInt64(fpuOffset)
        if i386 {
          ct_sigframe_i386(&regs, mask, UInt32(fpstate), &frame)
        } else {
          ct_sigframe_x86_64(&regs, mask, fpstate, &frame)
        }
        let at = Int(sigreturnSP(k) - base) + shape.ucontextOffset
        bytes.replaceSubrange(at..<(at + frame.count), with: frame)
        if k > 0 {
          let ret = Int(frameStart(k) - base) + shape.link - shape.word
          let address = i386 ? withUnsafeBytes(of: UInt32(gadgets.sigreturn).littleEndian, Array.init)
            : withUnsafeBytes(of: gadgets.sigreturn.littleEndian, Array.init)
          bytes.replaceSubrange(ret..<(ret + shape.word), with: address)
        }
      }
      bytes.replaceSubrange(dataOffset..<(dataOffset + data.count), with: data)
      bytes.replaceSubrange(fpuOffset..<total, with: fpu)
      return bytes
    }
    try write(image(), at: base)
    // From here on the thread runs the chain to its end by itself if we are gone.
    var start = original
    ct_regs_setup_sigreturn(&start, gadgets.syscallRet, sigreturnSP(0))
    do throws(Errno) {
      try Ptrace.setRegisters(tid, start)
    } catch {
      throw InjectionError("cannot set the registers of \(tid): \(error)")
    }
    injecting = true
    ranSyscall = true
    var results: [Int64] = []
    for k in 0..<calls.count {
      try resumeUntilSyscallStop()  // rt_sigreturn entry
      try resumeUntilSyscallStop()  // rt_sigreturn exit
      try resumeUntilSyscallStop()  // the call's entry
      try resumeUntilSyscallStop()  // its exit
      var after = try registersAfterCall()
      guard ct_regs_syscall_nr(&after) == calls[k].number else {
        throw InjectionError("\(tid) left the injected calls (stopped in syscall \(ct_regs_syscall_nr(&after)))")
      }
      let r = i386 ? ct_regs_return_value_i386(&after) : ct_regs_return_value(&after)
      results.append(r)
      let before = calls
      adjust(k, r, &calls)
      if calls != before { try write(image(), at: base) }
    }
    // Done: stop it before it returns to user mode (it would rt_sigreturn to its own registers with
    // the call made again), then give it its registers there: the kernel restarts the call itself.
    try interruptBeforeUserMode()
    do throws(Errno) {
      try Ptrace.setRegisters(tid, original)
    } catch {
      throw InjectionError("cannot restore the registers of \(tid): \(error)")
    }
    ranSyscall = false
    injecting = false
    return results
    #else
    return nil
    #endif
  }

  /// The sizes of a chain's pieces in the thread's convention (bytes).
  private struct ChainShape {
    /// A stack word.
    var word: Int
    /// The ucontext rt_sigreturn loads, and how far above its sp it lies.
    var ucontextSize: Int, ucontextOffset: Int
    /// The words between two frames: those the call's gadget pops, then its return address.
    var link: Int
    /// A 32-bit fpstate's FSAVE environment before the XSAVE image.
    var fpuPrefix: Int
    var firstFrame: Int { ucontextOffset + ucontextSize }
    var laterFrame: Int { link + firstFrame }

    init(i386: Bool, pops: Int) {
      word = i386 ? 4 : 8
      ucontextSize = Int(i386 ? CT_UCONTEXT_I386_SIZE : CT_UCONTEXT_SIZE)
      ucontextOffset = i386 ? Int(CT_SIGFRAME_I386_UC_OFFSET) : 0
      link = (pops + 1) * word
      fpuPrefix = i386 ? Int(CT_FREGS_I386_SIZE) : 0
    }
  }

  /// The thread's FPU state as a signal frame's fpstate: the XSAVE image (with the software bytes
  /// rt_sigreturn checks), for a 32-bit thread after its FSAVE-format environment.
  private func fpuImage(i386: Bool) -> [UInt8]? {
    var fpu = [UInt8](repeating: 0, count: 1 << 16)
    let got = fpu.withUnsafeMutableBytes { ct_xstate_get(tid, $0.baseAddress!, $0.count) }
    guard got > 0 else { return nil }
    let fpuLength = fpu.withUnsafeMutableBytes { ct_xstate_prepare_sigframe($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int(got), $0.count) }
    guard fpuLength > 0 else { return nil }
    fpu = Array(fpu.prefix(Int(fpuLength)))
    guard i386 else { return fpu }
    var environment = [UInt8](repeating: 0, count: Int(CT_FREGS_I386_SIZE))
    let envLength = environment.withUnsafeMutableBufferPointer { ct_fpregs_i386_get(tid, $0.baseAddress!) }
    guard envLength == Int(CT_FREGS_I386_ENV_SIZE) else { return nil }
    return environment + fpu
  }

  /// Whether the thread runs with a CET shadow stack (a `ret` it did not call would fault).
  private var hasShadowStack: Bool {
    ProcStatus(pid: pid, tid: tid)?.fields["x86_Thread_features"].map { $0.contains("shstk") } ?? false
  }

  /// Whether [from, to) lies in one writable mapping (the stack cannot grow under ptrace's writes).
  private func stackHasRoom(from: UInt64, to: UInt64) -> Bool {
    Mapping.read(pid: pid).contains { $0.start <= from && to <= $0.end && $0.permissions.hasPrefix("rw") }
  }

  /// In the thread's executable mappings: a syscall instruction followed by `ret` (with the number of
  /// words popped before it), and rt_sigreturn. x86_64: `syscall; ret` and `mov $15,%rax; syscall`
  /// (glibc's and musl's __restore_rt). i386 (below 4 GiB): ld.so's `int $0x80; ret`, else the
  /// vDSO's `int $0x80; pop %ebp; pop %edx; pop %ecx; ret`, and `mov $173,%eax; int $0x80` (the
  /// vDSO's __kernel_rt_sigreturn, glibc's __restore_rt).
  private func chainGadgets(i386: Bool) -> (syscallRet: UInt64, pops: Int, sigreturn: UInt64)? {
    let callers: [(bytes: [UInt8], pops: Int)] = i386
      ? [([0xCD, 0x80, 0xC3], 0), ([0xCD, 0x80, 0x5D, 0x5A, 0x59, 0xC3], 3)]
      : [([0x0F, 0x05, 0xC3], 0)]
    let sigreturn: [UInt8] = i386 ? [0xB8, 0xAD, 0x00, 0x00, 0x00, 0xCD, 0x80]
      : [0x48, 0xC7, 0xC0, 0x0F, 0x00, 0x00, 0x00, 0x0F, 0x05]
    let wanted = callers.map(\.bytes) + [sigreturn]
    var found = [UInt64?](repeating: nil, count: wanted.count)
    // Enough once rt_sigreturn and the preferred caller are found: a later caller is only looked
    // for while the first is missing (a 32-bit program's vDSO is not read when ld.so has one).
    func enough() -> Bool { found[callers.count] != nil && found[0] != nil }
    let memory = TraceeMemory(tid: tid)
    // A 32-bit thread can only jump below 4 GiB.
    for mapping in Mapping.read(pid: pid) where mapping.permissions.hasPrefix("r-x") && (!i386 || mapping.end <= 0x1_0000_0000) {
      if enough() { break }
      var start = mapping.start
      while start < mapping.end && !enough() {
        let length = Int(min(mapping.end - start, 1 << 20))
        let bytes = memory.bytes(at: start, count: length)
        for (n, pattern) in wanted.enumerated() where found[n] == nil {
          if let i = Self.firstIndex(of: pattern, in: bytes) { found[n] = start + UInt64(i) }
        }
        start += UInt64(length)
      }
    }
    guard let sigreturnAt = found[callers.count], let n = callers.indices.first(where: { found[$0] != nil }) else { return nil }
    return (found[n]!, callers[n].pops, sigreturnAt)
  }

  /// Where `pattern` first occurs in `bytes` (memchr for its first byte: a debug build's generic
  /// search takes a tenth of a second over a libc).
  private static func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
    bytes.withUnsafeBytes { b -> Int? in
      guard let base = b.baseAddress, b.count >= pattern.count else { return nil }
      var from = 0
      while from <= b.count - pattern.count,
            let hit = memchr(base + from, Int32(pattern[0]), b.count - pattern.count + 1 - from) {
        let at = base.distance(to: UnsafeRawPointer(hit))
        if pattern.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, pattern.count) }) == 0 { return at }
        from = at + 1
      }
      return nil
    }
  }

  /// From a syscall-exit stop: the thread stops again (a PTRACE_INTERRUPT stop) before it returns to
  /// user mode; signals met on the way are kept for after the detach.
  private func interruptBeforeUserMode() throws(InjectionError) {
    do throws(Errno) {
      try Ptrace.interrupt(tid)
      try Ptrace.resume(tid, .cont)
    } catch {
      throw InjectionError("cannot stop \(tid) after the injected calls: \(error)")
    }
    while case .stop(_, let stop) = WaitResult.wait(tid, block: true) {
      switch towardInterruptStop(stop) {
      case .gone: throw InjectionError("\(tid) exited after the injected calls")
      case .arrived: return
      case .resumed: continue
      }
    }
    throw InjectionError("waiting for \(tid) after the injected calls failed")
  }

  /// Restores every register and detaches, leaving no stop behind. Safe to call twice.
  public func detach() {
    guard attached else { return }
    if !stopped {
      // Seized but not yet stopped: nothing was changed; take the stop, then let go.
      do { try awaitStop(timeout: 1) } catch { return }
    }
    for (at, old) in savedMemory.reversed() { _ = old.withUnsafeBytes { ct_write_memory(tid, UInt(at), $0.baseAddress, old.count) } }
    savedMemory = []
    if ranSyscall && pendingFault() != nil {
      // A fault our call raised is queued on the thread. An interrupt stop would come before it and
      // the signal would reach the target after the detach: take it as a signal-delivery stop now
      // (rememberSignal drops it), still before any instruction of the target runs.
      if (try? Ptrace.resume(tid, .cont)) != nil, case .stop(_, let stop) = WaitResult.wait(tid, block: true) {
        if stop.isTermination {
          attached = false
          return
        }
        if case .signal(let signo) = stop { rememberSignal(signo) }
      }
    }
    try? Ptrace.setRegisters(tid, original)
    if ranSyscall {
      // We sit in a syscall-exit stop, where the kernel would not restart the original call. Go back
      // through the signal path (an interrupt stop) so that on detach the kernel restarts it itself,
      // with its own rules (ERESTARTSYS, restart_syscall for sleeps).
      if (try? Ptrace.interrupt(tid)) != nil && (try? Ptrace.resume(tid, .cont)) != nil {
        waiting: while case .stop(_, let stop) = WaitResult.wait(tid, block: true) {
          switch towardInterruptStop(stop) {
          case .gone: return
          case .arrived: break waiting
          case .resumed: continue
          }
        }
      }
    }
    // Queued while the thread is stopped, these are delivered normally once it runs untraced.
    for (signo, threadDirected) in deferredSignals {
      _ = threadDirected ? ct_tgkill(pid, tid, signo) : kill(pid, signo)
    }
    deferredSignals = []
    if !adopted { try? Ptrace.detach(tid) }
    attached = false
  }

  private enum Approach { case arrived, resumed, gone }

  /// One stop met on the way to our PTRACE_INTERRUPT stop: there (or in a group-stop, as good);
  /// gone; or anything else, resumed, a signal kept to be sent again after the detach (the pending
  /// interrupt stop follows it).
  private func towardInterruptStop(_ stop: TraceStop) -> Approach {
    switch stop {
    case .exited, .killed:
      attached = false
      return .gone
    case .interrupt, .groupStop:
      return .arrived
    case .signal(let signo):
      rememberSignal(signo)
    default:
      break
    }
    try? Ptrace.resume(tid, .cont)
    return .resumed
  }

  /// Detaches without restoring anything (nothing was changed yet).
  private func forget() {
    try? Ptrace.detach(tid)
    attached = false
  }

  /// Synchronous signals: made by the kernel (si_code > 0) for the instruction the thread ran.
  private static let faults: Set<Int32> = [SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS]

  /// Keeps a signal to send again after the detach, once per signal; returns what it was. A fault
  /// the kernel raised for our own injected instruction (a trapping seccomp filter's SIGSYS, an
  /// illegal instruction) is not the target's: it is dropped, never delivered to it.
  @discardableResult
  private func rememberSignal(_ signo: Int32) -> ct_signal_info {
    let fetched = try? Ptrace.signalInfo(tid)
    let known = fetched != nil
    let info = fetched ?? ct_signal_info()
    signalCounts[signo, default: 0] += 1
    if known && info.code > 0 && Self.faults.contains(signo) && injecting { return info }
    let threadDirected = known && info.code == Int32(CT_SI_TKILL)
    if !deferredSignals.contains(where: { $0.0 == signo && $0.1 == threadDirected }) {
      deferredSignals.append((signo, threadDirected))
    }
    return info
  }

  /// Set while our registers are in the thread (from the first resume of an injected call).
  private var injecting = false

  /// A synchronous fault signal queued on the thread itself (SigPnd of its status), if any.
  private func pendingFault() -> Int32? {
    guard let mask = ProcStatus(pid: pid, tid: tid)?.pendingSignals else { return nil }
    return Self.faults.sorted().first { mask & (UInt64(1) << UInt64($0 - 1)) != 0 }
  }

  /// Resumes with PTRACE_SYSCALL until the next syscall stop; signals met on the way are deferred.
  /// A fault raised by the injected instruction itself (SIGILL, SIGSEGV, …), or any signal that
  /// keeps coming back, ends the attempt: the caller detaches, which restores everything.
  private func resumeUntilSyscallStop() throws(InjectionError) {
    while true {
      do throws(Errno) {
        try Ptrace.resume(tid, .syscall)
      } catch {
        throw InjectionError("PTRACE_SYSCALL on \(tid) failed: \(error)")
      }
      let sig: Int32
      switch WaitResult.wait(tid, block: true) {
      case .failed(let e):
        throw InjectionError("waiting for \(tid) failed: \(e)")
      case .noChildren:
        throw InjectionError("waiting for \(tid) failed: \(Errno.ECHILD)")
      case .nothing:
        continue
      case .stop(_, let stop):
        switch stop {
        case .exited, .killed:
          attached = false
          throw InjectionError("\(tid) died during the injected syscall")
        case .syscall:
          return
        case .signal(let signo):
          sig = signo
        default:
          // Event stops (a group stop begun by another thread) are simply resumed.
          continue
        }
      }
      let info = rememberSignal(sig)
      if Self.faults.contains(sig) && info.code > 0 {
        // Kernel-made: our instruction faulted (dropped, see rememberSignal). Stop here.
        throw InjectionError("the injected syscall in \(tid) raised \(Signals.name(sig)); registers restored, nothing done")
      }
      if signalCounts[sig, default: 0] > 3 {
        throw InjectionError("\(Signals.name(sig)) keeps arriving at \(tid) during the injected syscall; "
          + "gave up and restored it")
      }
    }
  }

  /// The thread's syscall instruction: right before pc when it stopped in a syscall, else the first
  /// one in an executable mapping (the vDSO's `int $0x80` for a 32-bit thread).
  private func syscallInstruction() throws(InjectionError) -> UInt64 {
    if let syscallInsn { return syscallInsn }
    let wanted = isI386 ? [ct_i386_syscall_insn.0, ct_i386_syscall_insn.1] : Self.syscallInsnBytes
    let insnLength = wanted.count
    let beforePc = ct_regs_syscall_insn_before_pc(&original)
    if TraceeMemory(tid: tid).bytes(at: beforePc, count: insnLength) == wanted {
      syscallInsn = beforePc
      return beforePc
    }
    let memory = TraceeMemory(tid: tid)
    for mapping in Mapping.read(pid: pid) where mapping.permissions.hasPrefix("r-x") {
      // A 32-bit thread can only jump below 4 GiB.
      if isI386 && mapping.end > 0x1_0000_0000 { continue }
      var start = mapping.start
      while start < mapping.end {
        let length = Int(min(mapping.end - start, 1 << 20))
        let bytes = memory.bytes(at: start, count: length)
        if bytes.count < insnLength { break }
        for i in 0...(bytes.count - insnLength) where bytes[i] == wanted[0] && Array(bytes[i..<(i + insnLength)]) == wanted {
          syscallInsn = start + UInt64(i)
          return start + UInt64(i)
        }
        start += UInt64(length)
      }
    }
    throw InjectionError("no \(isI386 ? "int $0x80" : "syscall") instruction found in an executable mapping of \(pid)")
  }

  /// The architecture's syscall instruction bytes, from the C layer.
  private static var syscallInsnBytes: [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 16)
    let n = ct_syscall_insn_copy(&bytes, Int32(bytes.count))
    return Array(bytes.prefix(max(0, Int(n))))
  }
}

/// Every other thread of a process held stopped while one thread runs injected syscalls, so no
/// thread can change the fd table between the check and the act. Let go as it was.
final class ThreadGroupHold {
  private var held: [RemoteSyscallSession] = []

  /// Stops every thread of `pid` but `except`; threads started meanwhile are caught on a re-read.
  init(pid: ProcessID, except: ThreadID, timeout: Double = 5) throws(InjectionError) {
    let pid = pid.rawValue
    var seen: Set<Int32> = [except.rawValue]
    for _ in 0..<16 {
      let fresh = ProcFS.threadIds(of: pid).filter { !seen.contains($0) }
      if fresh.isEmpty { return }
      var started: [RemoteSyscallSession] = []
      for tid in fresh {
        seen.insert(tid)
        do {
          started.append(try RemoteSyscallSession(seizing: tid, of: pid))
        } catch {
          // A thread that exited meanwhile cannot change anything; any other failure can.
          if ProcStat.read(pid, tid: tid).map({ !$0.isZombie }) ?? false { release(); throw error }
        }
      }
      for session in started {
        do {
          try session.awaitStop(timeout: timeout)
          held.append(session)
        } catch {
          if ProcStat.read(pid, tid: session.tid).map({ !$0.isZombie }) ?? false { release(); throw error }
        }
      }
    }
    release()
    throw InjectionError("process \(pid) keeps starting threads: could not stop them all")
  }

  func release() {
    for session in held { session.detach() }
    held = []
  }

  deinit { release() }
}

