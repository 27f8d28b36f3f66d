import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A child started with posix_spawn and reaped only by us (waitpid on its pid): no runtime
/// monitor can reap it behind our back, so exit statuses are exact and nothing is left over.
public final class Child {
  public let pid: Int32
  public private(set) var status: Int32?

  public init(pid: Int32) { self.pid = pid }

  public var isRunning: Bool { status == nil && isAlive(pid) }

  /// The code it passed to exit, once waited for; nil when a signal ended it.
  public var exitCode: Int32? { status.flatMap { $0 & 0x7f == 0 ? ($0 >> 8) & 0xff : nil } }

  /// The signal that ended it, once waited for; nil when it exited.
  public var terminatingSignal: Int32? { status.flatMap { $0 & 0x7f != 0 ? $0 & 0x7f : nil } }

  /// Blocks until it exits; returns the exit code, or 128 + signal.
  @discardableResult
  public func wait() -> Int32 {
    if status == nil {
      var s: Int32 = 0
      while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
      status = s
    }
    return code
  }

  /// Waits at most `timeout` seconds for it to exit (throws `Timeout`, leaving it running).
  @discardableResult
  public func wait(timeout: Double) throws -> Int32 {
    try waitUntil("process \(pid) to exit", timeout: timeout) {
      if status != nil { return true }
      var s: Int32 = 0
      if waitpid(pid, &s, WNOHANG) == pid { status = s }
      return status != nil
    }
    return code
  }

  private var code: Int32 {
    let s = status!
    return s & 0x7f == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
  }
}

/// A pipe whose ends the test owns.
public final class TestPipe {
  public var readEnd: Int32
  public var writeEnd: Int32
  public init() {
    var fds: [Int32] = [-1, -1]
    _ = pipe(&fds)
    // Close-on-exec so only the child a test hands an end to (by dup2) holds it.
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    readEnd = fds[0]
    writeEnd = fds[1]
  }
  public func closeWrite() { if writeEnd >= 0 { close(writeEnd); writeEnd = -1 } }
  public func closeRead() { if readEnd >= 0 { close(readEnd); readEnd = -1 } }
  public func write(_ text: String) {
    var t = text
    t.withUTF8 { _ = Glibc.write(writeEnd, $0.baseAddress, $0.count) }
  }
  /// Everything until EOF, or throws after `timeout` seconds.
  public func readToEOF(timeout: Double = 15) throws -> String {
    var data: [UInt8] = []
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let left = deadline.timeIntervalSinceNow
      if left <= 0 { throw Timeout(description: "no EOF within \(timeout) s (got \(data.count) bytes)") }
      var p = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
      let r = poll(&p, 1, Int32(left * 1000) + 1)
      if r <= 0 { continue }
      let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
      if n == 0 { return String(decoding: data, as: UTF8.self) }
      if n > 0 { data += buffer[0..<n] }
    }
  }
  deinit {
    closeRead()
    closeWrite()
  }
}

/// Processes a test starts, cleaned up by pid when the test ends: killed, then reaped (children by
/// waitpid, orphans by watching /proc until init has reaped them). Nothing is ever killed by name.
public final class TestProcesses {
  private var children: [Child] = []
  private var orphans: [Int32] = []
  public let directory: URL

  /// The real interpreter (python3 on PATH may be a shell shim that forks).
  public static let python: String = {
    let out = TestPipe()
    let env = ProcessInfo.processInfo.environment
    let candidates: [String] = (env["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
    let path: String = candidates.first { (c: String) in access(c, X_OK) == 0 } ?? "/usr/bin/python3"
    let child = try! TestProcesses.spawn([path, "-c", "import sys; print(sys.executable)"], directory: "/",
                                         stdin: nil, stdout: out.writeEnd, stderr: nil)
    out.closeWrite()
    let text = (try? out.readToEOF()) ?? ""
    child.wait()
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }()

  public init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("pipetrace-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  /// Starts argv (argv[0] "python3" means the real interpreter) in the test directory; each stream is
  /// an fd to give the child, or /dev/null.
  @discardableResult
  public func launch(_ argv: [String], stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws -> Child {
    var args = argv
    if args[0] == "python3" { args[0] = TestProcesses.python }
    let child = try TestProcesses.spawn(args, directory: directory.path, stdin: stdin, stdout: stdout, stderr: stderr)
    children.append(child)
    return child
  }

  public static func spawn(
    _ argv: [String], directory: String, stdin: Int32?, stdout: Int32?, stderr: Int32?, environment: [String: String]? = nil
  ) throws -> Child {
    // `cd DIR; close fds above 2; exec ARGV`: the pid stays the program's own after exec, and the
    // test runner's own fds (its output pipe among them) do not leak into the targets.
    let script = "cd \"$0\" || exit 127; for f in /proc/$$/fd/*; do n=${f##*/}; "
      + "[ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done; exec \"$@\""
    let full = ["/bin/bash", "-c", script, directory] + argv
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    defer { close(null) }
    posix_spawn_file_actions_adddup2(&actions, stdin ?? null, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout ?? null, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr ?? null, 2)
    // A program starts as from a shell: no signal blocked or ignored (the test runner's threads
    // may block or ignore some, and both would survive exec).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var cArgs: [UnsafeMutablePointer<CChar>?] = full.map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }
    var cEnv: [UnsafeMutablePointer<CChar>?]? = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { for e in cEnv ?? [] { free(e) } }
    var pid: Int32 = 0
    let rc: Int32
    if cEnv != nil {
      rc = posix_spawn(&pid, "/bin/bash", &actions, &attributes, &cArgs, &cEnv!)
    } else {
      rc = posix_spawn(&pid, "/bin/bash", &actions, &attributes, &cArgs, environ)
    }
    if rc != 0 { throw Timeout(description: "posix_spawn failed: \(rc)") }
    return Child(pid: pid)
  }

  /// A process this test caused to exist but is not our child (e.g. a backgrounded grandchild).
  /// Never pid 1, 0 or a negative (a pid file read wrong would otherwise aim clean-up's SIGKILL at
  /// init or a process group), nor the test runner itself.
  public func adopt(_ pid: Int32) {
    guard pid > 1, pid != getpid() else { return }
    orphans.append(pid)
  }

  /// The first child of `parent` once it sleeps in syscall `number`, adopted for clean-up.
  public func blockedChild(of parent: Int32, in number: Int, _ what: String) throws -> Int32 {
    var child: Int32 = 0
    try waitUntil(what) {
      guard let c = childrenOf(parent).first else { return false }
      child = c
      return blockedSyscall(c) == number
    }
    adopt(child)
    return child
  }

  public func write(_ name: String, _ text: String, executable: Bool = false) throws {
    let url = directory.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    if executable { chmod(url.path, 0o755) }
  }

  /// Reads a pid a script wrote into a file, waiting until the file is complete.
  public func pid(fromFile name: String) throws -> Int32 {
    let path = directory.appendingPathComponent(name).path
    var pid: Int32?
    try waitUntil("\(name) written") {
      pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
        $0.hasSuffix("\n") ? Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
      }
      return pid != nil
    }
    adopt(pid!)
    return pid!
  }

  public func cleanUp() {
    for pid in orphans where isAlive(pid) { kill(pid, SIGKILL) }
    for c in children where c.status == nil { kill(c.pid, SIGKILL) }
    for c in children { c.wait() }
    for pid in orphans { try? waitUntil("orphan \(pid) reaped", timeout: 10) { !isAlive(pid) } }
    try? FileManager.default.removeItem(at: directory)
  }
}

/// Alive and not a zombie.
public func isAlive(_ pid: Int32) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return false }
  let state = stat[stat.index(close, offsetBy: 2)]
  return state != "Z" && state != "X"
}

public struct Timeout: Error, CustomStringConvertible {
  public var description: String
}

/// Polls `condition` until it holds (a wait on a condition, not a fixed sleep).
public func waitUntil(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws {
  let deadline = Date().addingTimeInterval(timeout)
  while try !condition() {
    if Date() > deadline { throw Timeout(description: "timed out waiting for \(what)") }
    usleep(2000)
  }
}

/// The syscall number a sleeping thread is in (/proc/PID/task/TID/syscall), nil when not in one.
public func blockedSyscall(_ pid: Int32, tid: Int32? = nil) -> Int? {
  let path = "/proc/\(pid)/task/\(tid ?? pid)/syscall"
  guard let text = try? String(contentsOfFile: path, encoding: .utf8),
    let first = text.split(separator: " ").first, let nr = Int(first), nr >= 0
  else { return nil }
  let statText = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid ?? pid)/stat", encoding: .utf8)) ?? ""
  guard let close = statText.lastIndex(of: ")"), statText[statText.index(close, offsetBy: 2)] == "S" else { return nil }
  return nr
}

/// Waits until `pid` sleeps in one of `numbers` (x86_64: 0 read, 61 wait4, 230 clock_nanosleep, …)
/// with `comm` (so a shell before its exec does not count).
public func waitUntilBlocked(_ pid: Int32, in numbers: Set<Int>, tid: Int32? = nil, comm: String? = nil) throws {
  try waitUntil("\(pid) blocked in \(numbers.sorted())") {
    if let comm, (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix(comm) != true {
      return false
    }
    return blockedSyscall(pid, tid: tid).map { numbers.contains($0) } ?? false
  }
}

/// The children of a process, from /proc/PID/task/PID/children.
public func childrenOf(_ pid: Int32) -> [Int32] {
  ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
    .split(separator: " ").compactMap { Int32($0) }
}
