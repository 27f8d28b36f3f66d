import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Plain reads of /proc with libc only (no Foundation): `why` must stay cheaper than lsof. The one
/// place that knows /proc's layout: every other file asks here for a file's content, a link, a stat
/// or an open fd.
public enum ProcFS {
  // MARK: paths

  /// `/proc/PID/NAME` (NAME may be empty: the process's directory). A thread id works as PID too.
  package static func path(_ pid: Int32, _ name: String = "") -> String { "/proc/\(pid)/" + name }

  /// `/proc/PID/task/TID/NAME`.
  package static func taskPath(_ pid: Int32, tid: Int32, _ name: String) -> String { "/proc/\(pid)/task/\(tid)/" + name }

  /// `/proc/PID/fd/FD`: the magic link to what the fd points to (stat or open it to reach that).
  package static func fdPath(_ pid: Int32, fd: Int32) -> String { "/proc/\(pid)/fd/\(fd)" }

  /// `/proc/thread-self/NAME`: the calling thread's own file.
  package static func ownThreadPath(_ name: String) -> String { "/proc/thread-self/" + name }

  // MARK: reads

  /// The whole content of a small /proc file, or nil when it cannot be read (process gone, no permission).
  public static func read(_ path: String) -> String? {
    guard let bytes = readBytes(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  package static func readBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        return result.isEmpty ? nil : result
      }
      if n == 0 { return result }
      result.append(contentsOf: chunk[0..<n])
    }
  }

  /// A task's file (`/proc/PID/task/TID/NAME`: `syscall`, `stack`, `children`, `schedstat`, …).
  package static func taskFile(_ pid: Int32, tid: Int32, _ name: String) -> String? {
    read(taskPath(pid, tid: tid, name))
  }

  /// A file of /proc read into a stack buffer of `capacity` bytes (no heap: for files read on every
  /// stop or tick, `/proc/loadavg`, `schedstat`); `body` gets what one read returned, nil when the
  /// file cannot be opened or read.
  package static func withSmallFile<R>(_ path: String, capacity: Int, _ body: (UnsafeRawBufferPointer) -> R?) -> R? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    return withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 8) { buf -> R? in
      let n = Glibc.read(fd, buf.baseAddress, buf.count)
      guard n > 0 else { return nil }
      return body(UnsafeRawBufferPointer(start: buf.baseAddress, count: n))
    }
  }

  /// An fd on a /proc file, kept open by the caller to read again with pread (a thread's
  /// `schedstat` at every stop); -1 when it cannot be opened.
  package static func openTaskFile(_ pid: Int32, tid: Int32, _ name: String) -> Int32 {
    open(taskPath(pid, tid: tid, name), O_RDONLY | O_CLOEXEC)
  }

  /// The fd directory of a process (or of a thread with its own fd table) opened for readdir and
  /// readlinkat; -1 with errno set when it cannot be (EACCES: another user's).
  package static func openFdDirectory(_ pid: Int32, tid: Int32? = nil) -> Int32 {
    open(tid.map { taskPath(pid, tid: $0, "fd") } ?? path(pid, "fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  }

  /// Whether this process may read `pid`'s fd table; false with errno set.
  package static func canReadFds(_ pid: Int32) -> Bool {
    access(path(pid, "fd/"), R_OK) == 0
  }

  /// An O_PATH fd on what `pid`'s fd points to (no driver's open runs); -1 when not open.
  package static func openFdTarget(_ pid: Int32, fd: Int32) -> Int32 {
    open(fdPath(pid, fd: fd), Int32(CT_O_PATH | CT_O_CLOEXEC))
  }

  /// stat of what `pid`'s fd points to, or with `follow` false of the link itself (its mode bits
  /// tell how the fd was opened); nil when not open.
  package static func fdStat(_ pid: Int32, fd: Int32, follow: Bool = true) -> stat? {
    var st = stat()
    let path = fdPath(pid, fd: fd)
    guard (follow ? stat(path, &st) : lstat(path, &st)) == 0 else { return nil }
    return st
  }

  /// The link count of /proc/PID/task (a link per thread plus two): one stat tells a
  /// single-threaded process without listing the directory. nil when it cannot be read.
  package static func taskLinkCount(_ pid: Int32) -> UInt64? {
    var st = stat()
    guard stat(path(pid, "task"), &st) == 0 else { return nil }
    return UInt64(st.st_nlink)
  }

  /// The fd's link text (`pipe:[1]`, a path), bytes kept; nil when not open.
  package static func fdLink(_ pid: Int32, fd: Int32) -> String? {
    readLink(fdPath(pid, fd: fd))
  }

  /// The executable a task runs (/proc/PID/exe's link), bytes kept.
  static func executable(_ pid: Int32) -> String? {
    readLink(path(pid, "exe"))
  }

  /// Yama's ptrace_scope (0 classic, 1 restricted to descendants, 2 admin only, 3 none); nil
  /// without Yama.
  package static var yamaPtraceScope: Int? {
    read("/proc/sys/kernel/yama/ptrace_scope").flatMap { Int($0.prefix { $0.isNumber }) }
  }

  /// The fourth field of /proc/loadavg, `R/T`: R tasks runnable now (read into a stack buffer:
  /// the tracer's spin policy asks every 10 ms).
  package static func runnableTasks() -> Int? {
    withSmallFile("/proc/loadavg", capacity: 64) { raw -> Int? in
      var spaces = 0
      var value = 0
      for c in raw {
        if c == UInt8(ascii: " ") {
          spaces += 1
        } else if spaces == 3 {
          if c == UInt8(ascii: "/") { return value }
          guard c >= 48 && c <= 57 else { return nil }
          value = value * 10 + Int(c - 48)
        }
      }
      return nil
    }
  }

  /// pipetrace's own executable (/proc/self/exe), bytes kept.
  static var ownExecutable: String? { readLink("/proc/self/exe") }

  /// The target of a symlink such as /proc/PID/fd/N, or nil; its bytes kept exactly (see
  /// `DisplayText.decode`: a path need not be UTF-8). On the tracer's path for every new fd: no
  /// heap buffer, the link text is read into a stack buffer.
  public static func readLink(_ path: String) -> String? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buf in
      let n = readlink(path, buf.baseAddress!, buf.count)
      guard n >= 0 else { return nil }
      return DisplayText.decode(UnsafeRawBufferPointer(start: buf.baseAddress, count: n))
    }
  }

  /// Names in a directory, without "." and "..".
  public static func list(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// Every numeric entry of /proc: the processes (thread group leaders) on the system.
  public static func allPids() -> [Int32] {
    list("/proc").compactMap { Int32($0) }.sorted()
  }

  public static func threadIds(of pid: Int32) -> [Int32] {
    list(path(pid, "task")).compactMap { Int32($0) }.sorted()
  }

  /// The calling thread's id (/proc/thread-self is `PID/task/TID`).
  package static var currentThreadId: Int32 {
    readLink("/proc/thread-self").flatMap { $0.split(separator: "/").last.flatMap { Int32($0) } } ?? getpid()
  }

  /// A task's working directory (readlink of /proc/TID/cwd, bytes kept), nil when it cannot be read.
  package static func workingDirectory(_ tid: Int32) -> String? {
    readLink(path(tid, "cwd"))
  }

  public static func exists(_ pid: Int32) -> Bool {
    pid > 0 && access(path(pid), F_OK) == 0
  }

  /// NUL-separated argv joined with spaces; empty for kernel threads and zombies.
  public static func cmdline(_ pid: Int32) -> String {
    arguments(pid).joined(separator: " ").trimmingSuffixSpaces()
  }

  /// The argv of /proc/PID/cmdline without loss (bytes that are not UTF-8 as `DisplayText.decode`
  /// keeps them); empty for kernel threads and zombies.
  public static func arguments(_ pid: Int32) -> [String] {
    guard let bytes = readBytes(path(pid, "cmdline")) else { return [] }
    var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { DisplayText.decode($0) }
    if parts.last == "" { parts.removeLast() }
    return parts
  }

  public static func wchan(_ pid: Int32, tid: Int32) -> String? {
    guard let text = taskFile(pid, tid: tid, "wchan"), !text.isEmpty, text != "0" else { return nil }
    return text
  }

  /// The `flags:` of /proc/PID/fdinfo/FD (octal), or nil.
  public static func fdFlags(_ pid: Int32, fd: Int32) -> Int? {
    fdInfoField(pid, fd: fd, "flags").flatMap { Int($0, radix: 8) }
  }

  /// A field of /proc/PID/fdinfo/FD (`flags`, `tty-index`, …), trimmed.
  public static func fdInfoField(_ pid: Int32, fd: Int32, _ name: String) -> String? {
    guard let text = read(path(pid, "fdinfo/\(fd)")) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
      return String(line.dropFirst(name.count + 1)).trimmingCharacters()
    }
    return nil
  }

  /// An epoll instance's interest list from its fdinfo: per watched fd the events it asks for
  /// (`tfd:        5 events:       19 data: ...`, the mask in hex).
  public static func epollInterest(_ pid: Int32, epfd: Int32) -> [(fd: Int32, events: UInt32)] {
    guard let text = read(path(pid, "fdinfo/\(epfd)")) else { return [] }
    return text.split(separator: "\n").compactMap { line -> (Int32, UInt32)? in
      guard line.hasPrefix("tfd:") else { return nil }
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard words.count >= 4, words[2] == "events:", let fd = Int32(words[1]), let events = UInt32(words[3], radix: 16)
      else { return nil }
      return (fd, events)
    }
  }

  /// Whether the process runs a 32-bit x86 program (ELF class 1 in /proc/PID/exe): its syscall
  /// numbers are i386 ones.
  public static func isI386(_ pid: Int32) -> Bool {
    #if arch(x86_64)
    let fd = open(path(pid, "exe"), O_RDONLY | O_CLOEXEC)
    if fd < 0 { return false }
    defer { close(fd) }
    var header = [UInt8](repeating: 0, count: 20)
    let n = header.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 20) }
    // EI_CLASS 1 (32-bit) with e_machine 3 (EM_386); an x32 program is class 1 with EM_X86_64.
    return n == 20 && header[0..<4].elementsEqual([0x7F, 0x45, 0x4C, 0x46]) && header[4] == 1 && header[18] == 3
    #else
    return false
    #endif
  }

  /// The fd numbers open in a process.
  public static func openFds(_ pid: Int32) -> [Int32] {
    list(path(pid, "fd")).compactMap { Int32($0) }.sorted()
  }

  /// What an fd points to; a path's bytes are kept exactly.
  public static func fdTarget(_ pid: Int32, fd: Int32) -> FdTarget? {
    fdLink(pid, fd: fd).map(FdTarget.init(link:))
  }
}

/// /proc/PID/status (or a thread's): names, ids, tracer and signal masks, as `Field:\tvalue` lines.
public struct ProcStatus: Sendable {
  public let pid: Int32
  /// Every field, its value trimmed.
  public let fields: [Substring: Substring]

  private let tid: Int32?

  public init?(pid: Int32, tid: Int32? = nil) {
    let path = tid.map { ProcFS.taskPath(pid, tid: $0, "status") } ?? ProcFS.path(pid, "status")
    guard let text = ProcFS.read(path) else { return nil }
    self.pid = pid
    self.tid = tid
    var f: [Substring: Substring] = [:]
    for line in text.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      var value = line[line.index(after: colon)...]
      while let c = value.first, c == " " || c == "\t" { value = value.dropFirst() }
      while let c = value.last, c == " " || c == "\t" { value = value.dropLast() }
      f[line[..<colon]] = value
    }
    fields = f
  }

  /// The comm as the process set it, from /proc/PID/stat (as `why` reads it): status's Name is
  /// escaped by the kernel (a newline there is `\n`), and text output would escape it again.
  public var name: String { ProcStat.read(pid, tid: tid)?.comm ?? fields["Name"].map(String.init) ?? "?" }
  /// R, S, D, T, t, Z, X, I …
  public var state: Character { fields["State"]?.first ?? "?" }
  public var tgid: Int32? { fields["Tgid"].flatMap { Int32($0) } }
  public var ppid: Int32? { fields["PPid"].flatMap { Int32($0) } }
  /// The tracing process, 0 when untraced.
  public var tracerPid: Int32 { fields["TracerPid"].flatMap { Int32($0) } ?? 0 }
  /// Real, effective, saved and file-system user ids.
  public var uids: [UInt32] {
    fields["Uid"]?.split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { UInt32($0) } ?? []
  }
  /// Signals pending on this thread itself (SigPnd; bit N-1 for signal N).
  public var pendingSignals: UInt64? { fields["SigPnd"].flatMap { UInt64($0, radix: 16) } }
  /// Signals this thread blocks (SigBlk; bit N-1 for signal N).
  public var blockedSignals: UInt64? { fields["SigBlk"].flatMap { UInt64($0, radix: 16) } }

  package var isKernelThread: Bool { ProcStat.read(pid)?.isKernelThread ?? false }

  /// Every live descendant of `pid`, from the PPid of every process (breadth first).
  package static func descendants(of pid: Int32) -> [Int32] {
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

/// The fields of /proc/PID/stat that diagnosis uses.
public struct ProcStat: Sendable, Equatable {
  public var pid: Int32
  public var comm: String
  /// R, S, D, T, t, Z, X, I …
  public var state: Character
  public var ppid: Int32
  public var pgid: Int32
  public var session: Int32
  /// PF_* flags; PF_KTHREAD marks kernel threads.
  public var flags: UInt64
  /// Clock ticks after boot.
  public var startTime: UInt64
  /// The CPU it last ran on (field 39); nil in a stat line too short to have it.
  public var processor: Int32? = nil

  public var isKernelThread: Bool { flags & 0x0020_0000 != 0 }
  public var isZombie: Bool { state == "Z" || state == "X" }

  /// Reads /proc/PID/stat (or a thread's with `tid`).
  public static func read(_ pid: Int32, tid: Int32? = nil) -> ProcStat? {
    let path = tid.map { ProcFS.taskPath(pid, tid: $0, "stat") } ?? ProcFS.path(pid, "stat")
    guard let bytes = ProcFS.readBytes(path) else { return nil }
    return parse(bytes: bytes)
  }

  /// `pid (comm) state ppid pgrp session tty tpgid flags … starttime(22)`; comm may hold spaces and ')'.
  public static func parse(_ text: String) -> ProcStat? { parse(bytes: Array(text.utf8)) }

  /// The same over the file's bytes (`why --all` parses one per task on the machine: no String
  /// splitting). comm is whatever the process set (prctl PR_SET_NAME): any bytes, kept exactly.
  static func parse(bytes: [UInt8]) -> ProcStat? {
    guard let open = bytes.firstIndex(of: UInt8(ascii: "(")), let close = bytes.lastIndex(of: UInt8(ascii: ")")),
      open < close, let pid = decimal(bytes[..<open]).map(Int32.init(truncatingIfNeeded:))
    else { return nil }
    // Fields 3… after ") ": field n starts after the (n-3)th space.
    var fields: [ArraySlice<UInt8>] = []
    fields.reserveCapacity(37)
    var start = close + 2
    var i = start
    while i <= bytes.count, fields.count < 37 {
      if i == bytes.count || bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\n") {
        if start < bytes.count { fields.append(bytes[start..<i]) }
        start = i + 1
      }
      i += 1
    }
    guard fields.count >= 20, let state = fields[0].first, let ppid = signed(fields[1]), let pgid = signed(fields[2]),
      let session = signed(fields[3]), let flags = decimal(fields[6]), let startTime = decimal(fields[19])
    else { return nil }
    return ProcStat(pid: pid, comm: DisplayText.decode(bytes[(open + 1)..<close]), state: Character(Unicode.Scalar(state)),
                    ppid: Int32(truncatingIfNeeded: ppid), pgid: Int32(truncatingIfNeeded: pgid),
                    session: Int32(truncatingIfNeeded: session), flags: flags, startTime: startTime,
                    processor: fields.count == 37 ? signed(fields[36]).map { Int32(truncatingIfNeeded: $0) } : nil)
  }

  /// An unsigned decimal (spaces around it allowed), nil for anything else.
  static func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
    var value: UInt64 = 0
    var seen = false
    var ended = false
    for b in digits {
      if b == UInt8(ascii: " ") {
        ended = seen
        continue
      }
      if ended { return nil }
      guard b >= 0x30 && b <= 0x39 else { return nil }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
      if o1 || o2 { return nil }
      value = a
      seen = true
    }
    return seen ? value : nil
  }

  static func signed(_ digits: ArraySlice<UInt8>) -> Int64? {
    if digits.first == UInt8(ascii: "-") { return decimal(digits.dropFirst()).flatMap { $0 <= UInt64(Int64.max) ? -Int64($0) : nil } }
    return decimal(digits).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil }
  }

  public var stateName: String { ProcStat.stateName(state) }

  /// A state letter in words.
  public static func stateName(_ state: Character) -> String {
    switch state {
    case "R": return "running"
    case "S": return "sleeping"
    case "D": return "disk sleep"
    case "T": return "stopped"
    case "t": return "tracing stop"
    case "Z": return "zombie"
    case "X": return "dead"
    case "I": return "idle"
    default: return String(state)
    }
  }
}

/// /proc/PID/task/TID/syscall: what a thread is doing in the kernel right now.
public enum SyscallState: Sendable, Equatable {
  /// On a CPU or runnable: nothing to decode.
  case running
  /// Blocked, but not inside a syscall (e.g. a page fault or a ptrace stop).
  case outside(sp: UInt64, pc: UInt64)
  case inSyscall(number: Int, args: [UInt64], sp: UInt64, pc: UInt64)

  public static func read(_ pid: Int32, tid: Int32) -> SyscallState? {
    ProcFS.taskFile(pid, tid: tid, "syscall").flatMap(parse)
  }

  public static func parse(_ text: String) -> SyscallState? {
    let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
    if words.first == "running" { return .running }
    func hex(_ s: Substring) -> UInt64? {
      UInt64(s.hasPrefix("0x") ? s.dropFirst(2) : s, radix: 16)
    }
    if words.count == 3, words[0] == "-1", let sp = hex(words[1]), let pc = hex(words[2]) {
      return .outside(sp: sp, pc: pc)
    }
    guard words.count == 9, let nr = Int(words[0]) else { return nil }
    let values = words[1...].compactMap(hex)
    guard values.count == 8 else { return nil }
    return .inSyscall(number: nr, args: Array(values[0..<6]), sp: values[6], pc: values[7])
  }
}

extension StringProtocol {
  package func trimmingCharacters() -> String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" || c == "\n" { s = s.dropFirst() }
    while let c = s.last, c == " " || c == "\t" || c == "\n" { s = s.dropLast() }
    return String(s)
  }

  func trimmingSuffixSpaces() -> String {
    var s = Substring(self)
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}
