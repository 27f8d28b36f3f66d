/// How a pipe holder is related to the blocked process, from the ppid chains in /proc.
public enum Relation: String, Sendable {
  case itself = "self"
  case child, grandchild, descendant
  case parent, ancestor, sibling
  /// Its parent died and it was reparented to init or a subreaper: the signature of `cmd &` in a script.
  case orphan
  case unrelated

  /// Classifies `holder` relative to `reader`; `detail` says how in words.
  static func of(holder: ProcStat, reader: ProcStat) -> (Relation, String) {
    if holder.pid == reader.pid { return (.itself, "the blocked process itself") }
    let holderAncestors = ancestors(of: holder)
    if let depth = holderAncestors.firstIndex(where: { $0.pid == reader.pid }) {
      switch depth {
      case 0: return (.child, "a direct child of \(reader.pid)")
      case 1: return (.grandchild, "a grandchild of \(reader.pid) (via \(holderAncestors[0].pid) \(holderAncestors[0].comm))")
      default: return (.descendant, "a descendant of \(reader.pid), \(depth + 1) generations down")
      }
    }
    let readerAncestors = ancestors(of: reader)
    if let depth = readerAncestors.firstIndex(where: { $0.pid == holder.pid }) {
      return depth == 0 ? (.parent, "the parent of \(reader.pid)") : (.ancestor, "an ancestor of \(reader.pid)")
    }
    let family = holder.session == reader.session
      ? (holder.pgid == reader.pgid ? "same process group as \(reader.pid)" : "same session as \(reader.pid)")
      : "another session"
    let startedLater = holder.startTime >= reader.startTime ? ", started after it" : ""
    if holder.ppid == 1 {
      return (.orphan, "an orphan reparented to init (pid 1); \(family)\(startedLater)")
    }
    // Under the reader's own parent: a sibling (a stage of the same pipeline, or adopted by a
    // subreaper parent: /proc cannot tell; HolderClassifier weighs the evidence).
    if holder.ppid == reader.ppid { return (.sibling, "a sibling of \(reader.pid) (same parent \(reader.ppid))") }
    // Orphans go to the nearest subreaper ancestor; one that is also the reader's ancestor and shares
    // the reader's process group was most likely started (and abandoned) below the reader.
    if readerAncestors.contains(where: { $0.pid == holder.ppid }), holder.pgid == reader.pgid,
      holder.startTime >= reader.startTime
    {
      let reaper = readerAncestors.first { $0.pid == holder.ppid }!
      return (.orphan, "an orphan reparented to subreaper \(reaper.pid) (\(reaper.comm)); \(family)\(startedLater)")
    }
    // Below such an orphan (a backgrounded subshell and its own children) the same leak applies.
    if let top = holderAncestors.last(where: { $0.pid != 1 }), top.ppid == 1, top.pgid == reader.pgid,
      top.startTime >= reader.startTime
    {
      return (.orphan, "a descendant of orphan \(top.pid) (\(top.comm)), which was reparented to init; \(family)\(startedLater)")
    }
    return (.unrelated, "not related to \(reader.pid) by parentage; \(family)")
  }

  /// Parent, grandparent, … up to init.
  static func ancestors(of stat: ProcStat) -> [ProcStat] {
    var chain: [ProcStat] = []
    var next = stat.ppid
    while next > 0, chain.count < 128, let parent = ProcStat.read(next) {
      chain.append(parent)
      next = parent.ppid
    }
    return chain
  }
}
