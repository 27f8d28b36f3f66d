import CTrace

/// The tracer's view of decoding: a call is begun at its entry stop (number and registers, no
/// memory read), its in-arguments decoded if it is shown, and completed at its exit stop (the
/// out-arguments, the result, what strace prints after the result, the target of a returned fd).
/// The fd cache is updated by the call's effect in between, so `dup2(3, 4) = 4</new/target>`.
package struct SyscallDecoder: Sendable {
  var options: DecodeOptions

  package init(options: DecodeOptions = DecodeOptions()) {
    self.options = options
  }

  /// A call between its entry and exit.
  package struct Call: Sendable {
    package let arch: SyscallArch
    package let row: SyscallRow
    /// The registers, cut to the ABI's width.
    package let raw: [UInt64]
    /// Where the entry part stopped (argument kind, register); nil when it printed everything.
    var resume: (kind: Int, register: Int)?
    /// The entry part ended inside an argument that the exit completes (clone3's ` => {…}`).
    var continuesAtExit = false
    var name: String { row.name }
    var number: Int { row.number }

    /// The call may have mapped, unmapped or changed executable memory (cached unwind info is
    /// stale): munmap and mremap always may, mmap and mprotect only with PROT_EXEC.
    package var mayChangeCode: Bool {
      guard row.traits.contains(.mapsCode) else { return false }
      guard let prot = row.id.spec.protArgument, row.special.map({ if case .oldMmap = $0 { return false } else { return true } }) ?? true
      else { return true }
      return raw[prot] & UInt64(CT_PROT_EXEC) != 0
    }
  }

  /// A call at its entry stop: `auditArch` and `number` as PTRACE_GET_SYSCALL_INFO gives them.
  package func begin(auditArch: UInt32, number: Int64, args: [UInt64]) -> Call {
    let (arch, nr) = SyscallArch.of(auditArch: auditArch, number: number)
    let row = arch.table.row(nr)
    let raw = arch.registerBits == 32 ? args.map { $0 & 0xffff_ffff } : args
    return Call(arch: arch, row: row, raw: raw)
  }

  package func begin(arch: SyscallArch, number: Int, args: [UInt64]) -> Call {
    begin(auditArch: arch.auditArch, number: Int64(number) | (arch == .x32 ? 0x4000_0000 : 0), args: args)
  }

  private func decoder(_ call: Call, _ memory: TraceeMemory, _ fds: FdTargetCache) -> ArgumentDecoder {
    ArgumentDecoder(arch: call.arch, memory: memory, fds: fds, options: options, raw: call.raw)
  }

  /// The arguments known at entry, into `record.args`; `record.moreArgsAtExit` says whether the
  /// line goes on at exit with more arguments.
  package func decodeEntry(_ call: inout Call, into record: inout SyscallRecord, memory: TraceeMemory, fds: FdTargetCache) {
    let d = decoder(call, memory, fds)
    record.identify(call.row, abi: call.arch)
    var values: [ArgValue]
    switch call.row.special {
    case .clone?:
      let (v, more) = d.cloneEntry()
      values = v
      // strace ends the entry part after the flags; the exit part starts `, parent_tid=`.
      call.resume = more ? (0, 0) : nil
      call.continuesAtExit = more
    case .oldSelect?:
      if let args = d.indirectArgs(5) {
        let sub = ArgumentDecoder(arch: call.arch, memory: memory, fds: fds, options: options, raw: args)
        values = sub.decode(SyscallCatalogue.selectArgs, from: 0, register: 0).values
      } else {
        values = [d.address(call.raw[0])]
      }
    case .oldMmap?:
      values = d.indirectArgs(6).map { d.mmap($0, pageOffset: false) } ?? [d.address(call.raw[0])]
    case .mmap(let pageOffset)?:
      values = d.mmap(call.raw, pageOffset: pageOffset)
    case nil:
      if let kinds = call.row.args {
        let (v, stop) = d.decode(kinds, from: 0, register: 0)
        values = v
        call.resume = stop.map { (kind: $0.0, register: $0.1) }
        if case .cloneArgs? = kinds.first, d.clone3HasExitPart() {
          // clone3 whose struct the kernel writes: ` => {parent_tid=[N]}, SIZE` comes at exit.
          values = Array(values.prefix(1))
          call.resume = (1, 1)
          call.continuesAtExit = true
        }
      } else {
        values = (0..<call.row.argCount).map { .hex(call.raw[$0]) }
      }
    }
    record.args = values
    record.moreArgsAtExit = call.resume != nil && !call.continuesAtExit
  }

  /// Completes `record` at the exit stop: the remaining arguments, the result and its detail.
  /// `rval` is PTRACE_GET_SYSCALL_INFO's (a negative errno when `isError`). Applies the call's fd
  /// effect to `fds` between the arguments (decoded as they were) and the result.
  package func decodeExit(_ call: Call, into record: inout SyscallRecord, rval: Int64, isError: Bool,
                         memory: TraceeMemory, fds: FdTargetCache) {
    var d = decoder(call, memory, fds)
    d.exiting = true
    let ret = call.arch == .i386 ? Int64(Int32(truncatingIfNeeded: rval)) : rval
    d.ret = ret
    d.failed = isError && ret < 0
    if let (kind, register) = call.resume {
      switch call.row.special {
      case .clone?: record.args.append(contentsOf: d.cloneExit())
      default:
        if let kinds = call.row.args {
          if call.continuesAtExit, let first = record.args.first {
            record.args[0] = d.clone3Exit(entry: first)
          }
          record.args.append(contentsOf: d.decode(kinds, from: kind, register: register).values)
        }
      }
    }
    if d.failed {
      record.ret = -1
      record.errno = Errno(Int32(truncatingIfNeeded: -ret))
      applyFdEffects(of: record, call, fds)
      return
    }
    switch call.row.returns {
    case .hex:
      record.ret = call.arch == .i386 ? Int64(UInt32(truncatingIfNeeded: rval)) : rval
      record.retIsHex = true
    default:
      record.ret = ret
    }
    // The fd cache first, so a returned fd (dup2's new one) shows its new target.
    applyFdEffects(of: record, call, fds)
    if returnsFd(call), ret >= 0 {
      record.retTarget = fds.target(of: Int32(truncatingIfNeeded: ret), tid: memory.tid, details: options.fdDetails)
    }
    record.retDetail = resultDetail(call, d, &record)
  }

  /// What strace prints after the result, with its parentheses: `(Timeout)`, `(in [3])`.
  private func resultDetail(_ call: Call, _ d: ArgumentDecoder, _ record: inout SyscallRecord) -> String? {
    let name = call.row.name
    if call.row.traits.contains(.waitsOnFds) {
      switch call.row.special {
      case .oldSelect?:
        guard let args = d.indirectArgs(5) else { return nil }
        let sub = ArgumentDecoder(arch: call.arch, memory: d.memory, fds: d.fds, options: options, raw: args)
        var s = sub
        s.exiting = true
        s.ret = d.ret
        s.failed = d.failed
        return s.selectResult(args, timeoutKind: .timeval).map { "(" + $0 + ")" }
      default: break
      }
      guard let kinds = call.row.args else { return nil }
      if case .pollFds? = kinds.first {
        let timeout: ArgKind? = kinds.count > 2 && name != "poll" ? kinds[2] : nil
        return d.pollResult(timeoutArg: timeout).map { "(" + $0 + ")" }
      }
      if kinds.count >= 5, case .fdSet = kinds[1] {
        return d.selectResult(call.raw, timeoutKind: kinds[4]).map { "(" + $0 + ")" }
      }
      return nil
    }
    if call.row.args?.count == 3, case .fcntlArg? = call.row.args?.last, let (hex, detail) = d.fcntlResult() {
      record.retIsHex = hex
      if hex { record.ret = Int64(UInt32(truncatingIfNeeded: d.ret)) }
      return detail.map { "(" + $0 + ")" }
    }
    return nil
  }

  /// Whether a successful call returns a new fd.
  func returnsFd(_ call: Call) -> Bool {
    if call.row.returns == .fd || call.row.traits.contains(.returnsFd) { return true }
    if case .fcntlArg? = call.row.args?.last { return FcntlDecoder.returnsFd(command: UInt32(truncatingIfNeeded: call.raw[1])) }
    return false
  }

  /// Keeps the fd cache true after a finished call: its `FdEffect`s, derived from the record as
  /// the post-mortem model derives them.
  private func applyFdEffects(of record: SyscallRecord, _ call: Call, _ fds: FdTargetCache) {
    guard call.row.traits.contains(.hasFdEffect) else { return }
    for effect in FdEffect.of(record) { fds.apply(effect) }
  }

  /// The same for a call that is not shown (its arguments were never decoded): the effect is
  /// derived from its registers as bare numbers (every fd-table argument is a C int).
  package func applyFdEffect(_ call: Call, rval: Int64, isError: Bool, fds: FdTargetCache) {
    guard let rule = call.row.id.spec.fdRule else { return }
    let failed = isError && rval < 0
    let effects = rule.effects(
      ret: failed ? -1 : rval, errno: failed ? Errno(Int32(truncatingIfNeeded: -rval)) : nil,
      args: call.raw.prefix(call.row.argCount).map { Int64($0 & 0xffff_ffff) }, pair: [])
    for effect in effects { fds.apply(effect) }
  }
}
