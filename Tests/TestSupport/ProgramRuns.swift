import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The result of running a program to its end: exit status (128+N when killed by N) and its output.
public struct ProgramResult {
  public var status: Int32
  public var stdout: String
  public var stderr: String
}

/// A temporary file a child writes its output to, read back by the test; removed on deinit.
public final class OutputFile {
  public let path: String
  /// Open for writing, close-on-exec: only the child it is handed to (by dup2) holds it.
  public let fd: Int32

  public init(_ name: String) {
    path = temporaryFile(name)
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
  }

  /// What was written so far.
  public var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

  deinit {
    close(fd)
    unlink(path)
  }
}

/// Runs `path args` (a name without a slash is looked up in PATH) in `directory` and waits for it,
/// killing it (by pid) after `timeout` seconds. Output goes to files, not pipes: nothing to drain
/// concurrently, and a process the command leaves behind holding them cannot make the test hang.
/// `environment` replaces the program's environment; `stdoutPath` and `stderrPath` (such as
/// /dev/full, or a log the test reads later) take its stdout or stderr instead of the captured file.
public func runProgram(
  _ path: String, _ args: [String], timeout: Double = 60, directory: String = "/",
  environment: [String: String]? = nil, stdoutPath: String? = nil, stderrPath: String? = nil
) throws -> ProgramResult {
  let out = OutputFile("stdout"), err = OutputFile("stderr")
  func given(_ path: String?) -> Int32? { path.map { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) } }
  let stdoutFd = given(stdoutPath), stderrFd = given(stderrPath)
  defer {
    if let stdoutFd { close(stdoutFd) }
    if let stderrFd { close(stderrFd) }
  }
  let child = try TestProcesses.spawn([path] + args, directory: directory, stdin: nil, stdout: stdoutFd ?? out.fd,
                                      stderr: stderrFd ?? err.fd, environment: environment)
  let status: Int32
  do {
    status = try child.wait(timeout: timeout)
  } catch {
    kill(child.pid, SIGKILL)
    child.wait()
    XCTFail("\(path) \(args) did not finish in \(timeout) s")
    throw error
  }
  return ProgramResult(status: status, stdout: out.text, stderr: err.text)
}

/// A program started for a test and left running; `stop()` (or deinit) kills it by pid and reaps it.
/// Each stream is an fd to give it (a `TestPipe` end, an `OutputFile`), or /dev/null.
public final class BackgroundProcess {
  public let child: Child
  public var pid: Int32 { child.pid }

  public init(_ path: String, _ args: [String], directory: String = "/", stdin: Int32? = nil, stdout: Int32? = nil,
              stderr: Int32? = nil, environment: [String: String]? = nil) throws {
    child = try TestProcesses.spawn([path] + args, directory: directory, stdin: stdin, stdout: stdout, stderr: stderr,
                                    environment: environment)
  }

  public var isRunning: Bool { child.isRunning }

  /// Waits for it to end on its own; returns its exit code or 128+signal.
  @discardableResult
  public func wait(timeout: Double = 60) throws -> Int32 { try child.wait(timeout: timeout) }

  public func stop() {
    if child.status == nil { kill(child.pid, SIGKILL) }
    child.wait()
  }

  deinit { stop() }
}

/// A field of /proc/PID/status (`TracerPid`, `State`, ...), nil when the process is gone.
public func procStatusField(_ pid: Int32, _ field: String) -> String? {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
  for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
    return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
  }
  return nil
}

/// A path for a temporary file of this test run (not created).
public func temporaryFile(_ name: String) -> String {
  NSTemporaryDirectory() + "pipetrace-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
}

/// A fixture that cc could not build.
public struct FixtureBuildFailed: Error, CustomStringConvertible {
  public var description: String
}

/// Compiles the C fixture Tests/Fixtures/NAME.c once per test run (one binary per flag set); returns
/// the binary's path, or throws `FixtureBuildFailed` with cc's errors.
public func compileFixture(_ name: String, flags: [String] = []) throws -> String {
  let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/\(name).c").path
  let dir = NSTemporaryDirectory() + "pipetrace-fixtures-\(getpid())"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  let out = dir + "/" + name + (flags.isEmpty ? "" : "-" + flags.joined().filter { $0.isLetter || $0.isNumber })
  if FileManager.default.fileExists(atPath: out) { return out }
  let r = try runProgram("/usr/bin/cc", ["-O0", "-g", "-pthread", "-o", out, source] + flags)
  // -m32 needs gcc-multilib (.ci/setup installs it).
  guard r.status == 0 else { throw FixtureBuildFailed(description: "cc cannot build \(name) \(flags): \(r.stderr)") }
  return out
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
  (try? waitUntil("condition", timeout: timeout, condition)) != nil
}

/// A seeded random source for tests that pick random moments: the seed is printed, and
/// PIPETRACE_TEST_SEED=N replays a run.
public struct TestRandom: RandomNumberGenerator {
  private var state: UInt64
  public let seed: UInt64

  public init(_ test: String) {
    seed = ProcessInfo.processInfo.environment["PIPETRACE_TEST_SEED"].flatMap { UInt64($0) }
      ?? UInt64.random(in: 0...UInt64.max)
    state = seed
    print("\(test): random seed \(seed) (PIPETRACE_TEST_SEED=\(seed) replays it)")
  }

  /// SplitMix64.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
