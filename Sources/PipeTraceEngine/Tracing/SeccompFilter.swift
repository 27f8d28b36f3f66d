import CTrace

/// The cBPF program installed in a launched child: SECCOMP_RET_TRACE for the syscalls pipetrace
/// must see, SECCOMP_RET_ALLOW for the rest, so untraced syscalls never stop the tracee.
/// The numbers are found by binary search (a few comparisons per syscall, not one per traced name):
/// the filter runs on every syscall the program makes.
///
/// Its SECCOMP_RET_TRACE carries `tag` in SECCOMP_RET_DATA: a seccomp stop whose data
/// (PTRACE_GETEVENTMSG) is another was asked for by the tracee's own filter, which the kernel
/// would answer with ENOSYS, no tracer having asked for it; so does the tracer.
package enum SeccompFilter {
  package static let retAllow = UInt32(CT_SECCOMP_RET_ALLOW)
  /// The 16 bits of SECCOMP_RET_DATA that mark pipetrace's stops ("pt").
  static let tag: UInt32 = 0x7074
  package static let retTrace = UInt32(CT_SECCOMP_RET_TRACE) | tag
  package static let ldAbsW = UInt16(CT_BPF_LD_W_ABS)
  package static let jeqK = UInt16(CT_BPF_JEQ_K)
  package static let jgeK = UInt16(CT_BPF_JGE_K)
  package static let ja = UInt16(CT_BPF_JA)  // 32-bit offset in k
  package static let retK = UInt16(CT_BPF_RET_K)

  static func insn(_ code: UInt16, _ k: UInt32, jt: Int = 0, jf: Int = 0) -> ct_bpf_insn {
    ct_bpf_insn(code: code, jt: UInt8(jt), jf: UInt8(jf), k: k)
  }

  /// Traces the calls of `set` in each ABI: x86_64 and i386 (`int 0x80`, -m32 programs) by their
  /// own numbers, x32 calls all. nil only if the program cannot be built (then trace without a
  /// filter).
  package static func program(tracing set: SyscallSet) -> [ct_bpf_insn]? {
    func section(_ arch: SyscallArch) -> [ct_bpf_insn]? {
      let nrs = set.numbers(arch).map(UInt32.init)
      var p: [ct_bpf_insn] = [insn(ldAbsW, UInt32(CT_SECCOMP_DATA_NR))]
      if arch == .x86_64 {
        p += [insn(jgeK, UInt32(CT_X32_SYSCALL_BIT), jt: 0, jf: 1), insn(retK, retTrace)]
      }
      if set.everythingElse {
        // Numbers past the table are in the set too (`!read`).
        p += [insn(jgeK, UInt32(arch.table.count), jt: 0, jf: 1), insn(retK, retTrace)]
      }
      guard let search = tree(nrs[...]) else { return nil }
      return p + search
    }
    guard let x86 = section(.x86_64), let i386 = section(.i386) else { return nil }
    let head: [ct_bpf_insn] = [
      insn(ldAbsW, UInt32(CT_SECCOMP_DATA_ARCH)),
      insn(jeqK, SyscallArch.i386.auditArch, jt: 0, jf: 1),
      insn(ja, UInt32(2 + x86.count)),  // to the i386 section (5 + x86.count)
      insn(jeqK, SyscallArch.x86_64.auditArch, jt: 1, jf: 0),
      insn(retK, retTrace),  // an ABI pipetrace does not know
    ]
    return head + x86 + i386
  }

  /// A search over sorted numbers: inner nodes split with JGE, leaves compare up to four with JEQ
  /// and end in their own ALLOW/TRACE returns (every jump is forward; long ones go through JA).
  static func tree(_ nrs: ArraySlice<UInt32>) -> [ct_bpf_insn]? {
    if nrs.count <= 4 {
      var leaf: [ct_bpf_insn] = []
      for (i, nr) in nrs.enumerated() {
        // To the TRACE return: past the remaining compares and the ALLOW return.
        leaf.append(insn(jeqK, nr, jt: nrs.count - i))
      }
      leaf.append(insn(retK, retAllow))
      leaf.append(insn(retK, retTrace))
      return leaf
    }
    let mid = nrs.startIndex + nrs.count / 2
    guard let left = tree(nrs[..<mid]), let right = tree(nrs[mid...]) else { return nil }
    if left.count <= 255 { return [insn(jgeK, nrs[mid], jt: left.count, jf: 0)] + left + right }
    // Too far for an 8-bit offset: JGE onto a JA over the left half.
    return [insn(jgeK, nrs[mid], jt: 0, jf: 1), insn(ja, UInt32(left.count))] + left + right
  }
}
