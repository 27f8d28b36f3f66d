#if canImport(Glibc)
import Glibc
#endif

/// The few /proc facts the tracer needs before attaching: does the process exist, is it a kernel
/// thread or a zombie, who traces it, which threads and children it has.
struct ProcStatus {
  let pid: Int32
  let fields: [Substring: Substring]

  init?(pid: Int32) {
    guard let text = ProcFS.read("/proc/\(pid)/status") else { return nil }
    self.pid = pid
    var f: [Substring: Substring] = [:]
    for line in text.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      f[line[..<colon]] = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
    }
    fields = f
  }

  var name: String { fields["Name"].map(String.init) ?? "?" }
  var state: Character { fields["State"]?.first ?? "?" }
  var tgid: Int32? { fields["Tgid"].flatMap { Int32($0) } }
  var ppid: Int32? { fields["PPid"].flatMap { Int32($0) } }
  var tracerPid: Int32 { fields["TracerPid"].flatMap { Int32($0) } ?? 0 }

  var isKernelThread: Bool { ProcStat.read(pid)?.isKernelThread ?? false }

  static func threads(of pid: Int32) -> [Int32] { ProcFS.threadIds(of: pid) }

  /// Every live descendant of `pid`, from the PPid of every process (breadth first).
  static func descendants(of pid: Int32) -> [Int32] {
    var children: [Int32: [Int32]] = [:]
    for p in ProcFS.allPids() {
      guard let s = ProcStatus(pid: p), let pp = s.ppid else { continue }
      children[pp, default: []].append(p)
    }
    var out: [Int32] = []
    var queue = children[pid] ?? []
    while !queue.isEmpty {
      let p = queue.removeFirst()
      out.append(p)
      queue.append(contentsOf: children[p] ?? [])
    }
    return out
  }
}
