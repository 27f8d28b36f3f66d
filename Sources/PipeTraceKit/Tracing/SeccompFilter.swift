import CTrace

/// The cBPF program installed in a launched child: SECCOMP_RET_TRACE for the syscalls pipetrace
/// must see, SECCOMP_RET_ALLOW for the rest, so untraced syscalls never stop the tracee.
/// The numbers are found by binary search (a few comparisons per syscall, not one per traced name):
/// the filter runs on every syscall the program makes.
enum SeccompFilter {
  static let retAllow = UInt32(CT_SECCOMP_RET_ALLOW)
  static let retTrace = UInt32(CT_SECCOMP_RET_TRACE)
  static let ldAbsW = UInt16(CT_BPF_LD_W_ABS)
  static let jeqK = UInt16(CT_BPF_JEQ_K)
  static let jgeK = UInt16(CT_BPF_JGE_K)
  static let retK = UInt16(CT_BPF_RET_K)

  static func insn(_ code: UInt16, _ k: UInt32, jt: Int = 0, jf: Int = 0) -> ct_bpf_insn {
    ct_bpf_insn(code: code, jt: UInt8(jt), jf: UInt8(jf), k: k)
  }

  /// Traces `numbers`; anything from a foreign ABI (another audit arch, x32) is traced too, to be
  /// safe. nil when the set is too large for 8-bit jump offsets (then trace without a filter).
  static func program(tracing numbers: [Int]) -> [ct_bpf_insn]? {
    let nrs = Array(Set(numbers)).sorted().map(UInt32.init)
    var p: [ct_bpf_insn] = [
      insn(ldAbsW, UInt32(CT_SECCOMP_DATA_ARCH)),
      insn(jeqK, ct_native_audit_arch, jt: 1),
      insn(retK, retTrace),
      insn(ldAbsW, UInt32(CT_SECCOMP_DATA_NR)),
      insn(jgeK, UInt32(CT_X32_SYSCALL_BIT), jt: 0, jf: 1),  // x32 ABI numbers
      insn(retK, retTrace),
    ]
    guard let search = tree(nrs[...]) else { return nil }
    p.append(contentsOf: search)
    return p
  }

  /// A search over sorted numbers: inner nodes split with JGE, leaves compare up to four with JEQ
  /// and end in their own ALLOW/TRACE returns (so every jump is short and forward).
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
    guard let left = tree(nrs[..<mid]), let right = tree(nrs[mid...]), left.count <= 255 else { return nil }
    return [insn(jgeK, nrs[mid], jt: left.count, jf: 0)] + left + right
  }
}
