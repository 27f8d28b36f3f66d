#if canImport(Glibc)
import Glibc
#endif

/// Why the kernel refused to let this process ptrace another, in the user's terms.
public enum PtracePermission {
  public static func explain(pid: Int32) -> String {
    let status = ProcStatus(pid: pid)
    let name = status?.name ?? "?"
    let me = getuid()
    var reasons: [String] = []
    // Uid: real effective saved fs
    if let uids = status?.uids, uids.count == 4, Set(uids) != [me] {
      reasons.append("it runs as uid \(uids[0])\(Set(uids).count > 1 ? " (ids \(uids.map(String.init).joined(separator: "/")))" : "") and pipetrace as uid \(me); ptrace needs the same user on all ids, or CAP_SYS_PTRACE (root)")
    }
    if let scope = ProcFS.yamaPtraceScope, scope > 0 {
      let rule = [1: "only a parent may trace its descendants", 2: "only CAP_SYS_PTRACE may trace", 3: "no process may be traced"][scope] ?? "restricted"
      reasons.append("yama ptrace_scope is \(scope): \(rule)")
    }
    if reasons.isEmpty {
      reasons.append("the process may be non-dumpable (setuid, or prctl PR_SET_DUMPABLE 0); ptrace needs CAP_SYS_PTRACE for it")
    }
    return "not allowed to trace process \(pid) (\(DisplayText.escape(name))): " + reasons.joined(separator: "; ")
  }
}
