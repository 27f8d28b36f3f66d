import CTrace

/// The cBPF program installed in a launched child: SECCOMP_RET_TRACE for the syscalls pipetrace
/// must see, SECCOMP_RET_ALLOW for the rest, so untraced syscalls never stop the tracee.
/// The numbers are found by binary search (a few comparisons per syscall, not one per traced name):
/// the filter runs on every syscall the program makes.
enum SeccompFilter {
  static let retAllow: UInt32 = 0x7fff_0000
  static let retTrace: UInt32 = 0x7ff0_0000
  static let ldAbsW: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
  static let jeqK: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
  static let jgeK: UInt16 = 0x35  // BPF_JMP | BPF_JGE | BPF_K
  static let retK: UInt16 = 0x06  // BPF_RET | BPF_K

  static func insn(_ code: UInt16, _ k: UInt32, jt: Int = 0, jf: Int = 0) -> ct_bpf_insn {
    ct_bpf_insn(code: code, jt: UInt8(jt), jf: UInt8(jf), k: k)
  }

  /// Traces `numbers`; anything from a foreign ABI (another audit arch, x32) is traced too, to be
  /// safe. nil when the set is too large for 8-bit jump offsets (then trace without a filter).
  static func program(tracing numbers: [Int]) -> [ct_bpf_insn]? {
    let nrs = Array(Set(numbers)).sorted().map(UInt32.init)
    var p: [ct_bpf_insn] = [
      insn(ldAbsW, 4),  // seccomp_data.arch
      insn(jeqK, ct_native_audit_arch, jt: 1),
      insn(retK, retTrace),
      insn(ldAbsW, 0),  // seccomp_data.nr
      insn(jgeK, 0x4000_0000, jt: 0, jf: 1),  // x32 ABI numbers
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
