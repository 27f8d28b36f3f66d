extension StackSnapshot {
  /// Stacks of the threads sleeping in a syscall, for every process of the diagnosis's chain.
  public static func capture(_ diagnosis: HangDiagnosis) -> [ThreadStack] {
    var pids: [Int32] = []
    for step in diagnosis.chain where !pids.contains(step.pid) { pids.append(step.pid) }
    if pids.isEmpty { pids = [diagnosis.pid] }
    let unwinder = StackUnwinder()
    var out: [ThreadStack] = []
    for pid in pids {
      guard let snapshot = ProcessSnapshot.read(pid) else { continue }
      for thread in snapshot.threads where thread.blocked != nil {
        out.append(capture(pid: pid, tid: thread.tid, unwinder: unwinder))
      }
    }
    return out
  }
}
