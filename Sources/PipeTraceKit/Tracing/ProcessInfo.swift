#if canImport(Glibc)
import Glibc
#endif

/// The few /proc facts the tracer needs before attaching: does the process exist, is it a kernel
/// thread or a zombie, who traces it, which threads and children it has.
struct ProcStatus {
  let pid: Int32
  let fields: [Substring: Substring]

  init?(pid: Int32) {
    guard let text = readProcFile("/proc/\(pid)/status") else { return nil }
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

  /// PF_KTHREAD in the flags field of /proc/PID/stat.
  var isKernelThread: Bool {
    guard let stat = readProcFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
    let rest = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state ppid pgrp session tty_nr tpgid flags ...
    guard rest.count > 6, let flags = UInt64(rest[6]) else { return false }
    return flags & 0x0020_0000 != 0
  }

  static func threads(of pid: Int32) -> [Int32] {
    listDirectory("/proc/\(pid)/task").compactMap { Int32($0) }.sorted()
  }

  /// Every live descendant of `pid`, from the PPid of every process (breadth first).
  static func descendants(of pid: Int32) -> [Int32] {
    var children: [Int32: [Int32]] = [:]
    for name in listDirectory("/proc") {
      guard let p = Int32(name), let s = ProcStatus(pid: p), let pp = s.ppid else { continue }
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

/// A small /proc file read whole (these files report size 0, so read until EOF).
func readProcFile(_ path: String) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var data: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    data.append(contentsOf: chunk[0..<n])
  }
  return String(decoding: data, as: UTF8.self)
}

func listDirectory(_ path: String) -> [String] {
  guard let dir = opendir(path) else { return [] }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  return names
}
