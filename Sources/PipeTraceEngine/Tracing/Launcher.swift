import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Starting a command traced from its first instruction: PATH lookup as execvp does it (so a
/// missing command is a clear error before anything starts), then the C shim's fork/exec, which
/// stops the child before exec for the tracer to seize.
enum Launcher {
  /// A child seized in its pre-exec stop and sent on its way (SIGCONT already sent).
  struct Child {
    var pid: Int32
    /// Read end of the child's close-on-exec error pipe: EOF once exec succeeded, a
    /// `ct_spawn_failure` when it did not.
    var errorFd: Int32
  }

  /// Forks `argv` with the seccomp `filter` (empty: none) installed just before its execve, seizes
  /// it with `options` and lets it run to exec. The caller takes its stops from now on.
  static func start(
    _ argv: [[UInt8]], io: Tracer.LaunchIO, filter: [ct_bpf_insn], options: Ptrace.Options
  ) throws(TraceError) -> Child {
    guard let name = argv.first else { throw .commandNotFound("") }
    let first = DisplayText.decode(name)
    let path = try resolveExecutable(name)
    var pid: Int32 = 0
    var errorFd: Int32 = -1
    var failure = ct_spawn_failure()
    let rc = withCStrings(argv) { cArgv in
      (path + [0]).withUnsafeBufferPointer { p in
        let cPath = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
        return filter.withUnsafeBufferPointer { f in
          var request = ct_spawn_request(
            path: cPath, argv: cArgv, envp: nil,
            flags: Int32(CT_SPAWN_TRACED | (io.closeOtherFds ? CT_SPAWN_CLOSE_FDS : 0)),
            stdin_fd: io.stdin, stdout_fd: io.stdout, stderr_fd: io.stderr,
            filter: f.isEmpty ? nil : f.baseAddress, filter_len: UInt16(f.count))
          return ct_spawn(&request, &pid, &errorFd, &failure)
        }
      }
    }
    if rc < 0 {
      if failure.stage == Int32(CT_STAGE_EXEC) { throw .notExecutable(first, Errno(failure.error)) }
      throw .spawnFailed(first, Errno(-rc))
    }
    // Seized while in its own group-stop: it re-traps at once with PTRACE_EVENT_STOP; SIGCONT then
    // ends the group-stop (its delivery is a pre-exec stop that is not shown).
    do throws(Errno) {
      try Ptrace.seize(pid, options)
      guard case .stop(pid, let stop) = WaitResult.wait(pid, block: true), !stop.isTermination else {
        throw Errno(ECHILD)
      }
    } catch {
      kill(pid, SIGKILL)
      _ = WaitResult.wait(pid, block: true)
      if errorFd >= 0 { close(errorFd) }
      throw .spawnFailed(first, error)
    }
    kill(pid, SIGCONT)
    return Child(pid: pid, errorFd: errorFd)
  }

  /// Why the exec of a launched child failed, read from its error pipe once it died before exec.
  static func execFailure(errorFd: Int32, command: String) -> TraceError? {
    var failure = ct_spawn_failure()
    let n = read(errorFd, &failure, MemoryLayout<ct_spawn_failure>.size)
    guard n == MemoryLayout<ct_spawn_failure>.size else { return nil }
    return .notExecutable(command, Errno(failure.error))
  }

  /// PATH lookup as execvp does it, on bytes (a name or PATH need not be UTF-8).
  static func resolveExecutable(_ name: [UInt8]) throws(TraceError) -> [UInt8] {
    func check(_ p: [UInt8]) -> Errno? {
      (p + [0]).withUnsafeBufferPointer { b -> Errno? in
        let c = UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self)
        var st = stat()
        if stat(c, &st) != 0 { return Errno.current }
        if (st.st_mode & S_IFMT) == S_IFDIR { return Errno(EACCES) }
        return access(c, X_OK) == 0 ? nil : Errno.current
      }
    }
    let shown = DisplayText.decode(name)
    if name.contains(UInt8(ascii: "/")) {
      if let e = check(name) {
        if e == .ENOENT { throw .commandNotFound(shown) }
        throw .notExecutable(shown, e)
      }
      return name
    }
    let path = getenv("PATH").map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
      ?? Array("/usr/local/bin:/usr/bin:/bin".utf8)
    var denied: Errno?
    for dir in path.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
      let candidate = (dir.isEmpty ? [UInt8(ascii: ".")] : Array(dir)) + [UInt8(ascii: "/")] + name
      if let e = check(candidate) {
        if e == .EACCES { denied = e }
        continue
      }
      return candidate
    }
    if let e = denied { throw .notExecutable(shown, e) }
    throw .commandNotFound(shown)
  }
}

/// Runs `body` with a NULL-terminated C array of the byte strings.
func withCStrings<R>(_ strings: [[UInt8]], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
  let copies = strings.map { s -> UnsafeMutablePointer<CChar>? in
    let c = malloc(s.count + 1)!
    if !s.isEmpty { s.withUnsafeBytes { c.copyMemory(from: $0.baseAddress!, byteCount: s.count) } }
    c.storeBytes(of: 0, toByteOffset: s.count, as: UInt8.self)
    return c.assumingMemoryBound(to: CChar.self)
  }
  defer { copies.forEach { free($0) } }
  return (copies + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
}
