import CTrace

/// The cBPF program installed in a launched child: SECCOMP_RET_TRACE for the syscalls pipetrace
/// must see, SECCOMP_RET_ALLOW for the rest, so untraced syscalls never stop the tracee.
enum SeccompFilter {
  static let retAllow: UInt32 = 0x7fff_0000
  static let retTrace: UInt32 = 0x7ff0_0000
  static let ldAbsW: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
  static let jeqK: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
  static let jgeK: UInt16 = 0x35  // BPF_JMP | BPF_JGE | BPF_K
  static let retK: UInt16 = 0x06  // BPF_RET | BPF_K

  /// Traces `numbers`; anything from a foreign ABI (another audit arch, x32) is traced too, to be safe.
  static func program(tracing numbers: [Int]) -> [ct_bpf_insn] {
    let nrs = Array(Set(numbers)).sorted()
    precondition(nrs.count < 250, "a jump offset must fit in 8 bits")
    let n = nrs.count
    var p: [ct_bpf_insn] = []
    p.append(ct_bpf_insn(code: ldAbsW, jt: 0, jf: 0, k: 4))  // seccomp_data.arch
    p.append(ct_bpf_insn(code: jeqK, jt: 1, jf: 0, k: ct_native_audit_arch))
    p.append(ct_bpf_insn(code: retK, jt: 0, jf: 0, k: retTrace))
    p.append(ct_bpf_insn(code: ldAbsW, jt: 0, jf: 0, k: 0))  // seccomp_data.nr
    p.append(ct_bpf_insn(code: jgeK, jt: UInt8(n + 1), jf: 0, k: 0x4000_0000))  // x32 ABI
    for (i, nr) in nrs.enumerated() {
      p.append(ct_bpf_insn(code: jeqK, jt: UInt8(n - i), jf: 0, k: UInt32(nr)))
    }
    p.append(ct_bpf_insn(code: retK, jt: 0, jf: 0, k: retAllow))
    p.append(ct_bpf_insn(code: retK, jt: 0, jf: 0, k: retTrace))
    return p
  }
}
