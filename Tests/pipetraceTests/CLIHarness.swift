import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Drives the built `pipetrace` binary and the fixtures as real processes.
enum CLI {
  /// The binary SwiftPM built next to this test bundle (PIPETRACE_TEST_BINARY: another build, to see
  /// a test fail on the code before a fix).
  static var binary: String {
    if let other = ProcessInfo.processInfo.environment["PIPETRACE_TEST_BINARY"] { return other }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return exe.deletingLastPathComponent().appendingPathComponent("pipetrace").path
  }

  struct Result {
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String
  }

  /// Runs pipetrace with `args` and waits for it (killing it, by pid, after `timeout` seconds).
  static func run(_ args: [String], timeout: Double = 60) throws -> Result {
    try runProgram(binary, args, timeout: timeout)
  }

  static func runProgram(_ path: String, _ args: [String], timeout: Double = 60) throws -> Result {
    // Output goes to files, not pipes: nothing to drain concurrently, and a process the command
    // leaves behind holding them cannot make the test hang.
    let outPath = temporaryFile("stdout"), errPath = temporaryFile("stderr")
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { unlink(outPath); unlink(errPath) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(2000) }
    if p.isRunning {
      kill(p.processIdentifier, SIGKILL)
      XCTFail("\(path) \(args) did not finish in \(timeout) s")
    }
    p.waitUntilExit()
    return Result(
      status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
  }

  /// A process started for a test, killed and reaped by pid when the test ends.
  final class Background {
    let process = Process()
    var pid: Int32 { process.processIdentifier }

    init(_ path: String, _ args: [String]) throws {
      process.executableURL = URL(fileURLWithPath: path)
      process.arguments = args
      process.standardInput = FileHandle.nullDevice
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
    }

    func stop() {
      if process.isRunning {
        kill(pid, SIGKILL)
      }
      process.waitUntilExit()
    }

    deinit { stop() }
  }

  /// Compiles a C fixture from Tests/Fixtures once per test run.
  static func fixture(_ name: String, flags: [String] = []) throws -> String {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/\(name).c").path
    let dir = NSTemporaryDirectory() + "pipetrace-fixtures-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let out = dir + "/" + name
    if FileManager.default.fileExists(atPath: out) { return out }
    let r = try runProgram("/usr/bin/cc", ["-O0", "-g", "-pthread", "-o", out, source] + flags)
    XCTAssertEqual(r.status, 0, "cc failed: \(r.stderr)")
    return out
  }

  /// Polls `condition` every 5 ms until it holds or `timeout` passes.
  static func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if condition() { return true }
      usleep(5000)
    }
    return condition()
  }

  /// The pid of the first exec in a `--json` trace being written, once that process sleeps in
  /// nanosleep (a traced `sleep`); 0 when that did not happen in time.
  static func sleepingExec(inTrace trace: String) -> Int32 {
    var pid: Int32 = 0
    let asleep = waitUntil {
      if let e = ((try? JSONLines.read(trace)) ?? []).first(where: { $0["event"] as? String == "exec" }) {
        pid = Int32(e["pid"] as? Int ?? 0)
      }
      return pid > 0 && (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8))?.hasPrefix("230 ") == true
    }
    return asleep ? pid : 0
  }

  struct NotStarted: Error, CustomStringConvertible {
    var description: String { "the traced sleep never started" }
  }

  /// `pipetrace --json -o TRACE -- /bin/sleep SECONDS` in the background, and the sleep's pid once it
  /// sleeps. Throws (pipetrace killed and reaped) when the sleep never started, so that no test
  /// signals pid 0, its own process group.
  static func launchTracedSleep(_ seconds: Int, trace: String) throws -> (pipetrace: Process, sleeper: Int32) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["--json", "-o", trace, "--", "/bin/sleep", "\(seconds)"]
    try p.run()
    let sleeper = sleepingExec(inTrace: trace)
    guard sleeper > 0 else {
      if p.isRunning { kill(p.processIdentifier, SIGKILL) }
      p.waitUntilExit()
      throw NotStarted()
    }
    return (p, sleeper)
  }

  static func procStatus(_ pid: Int32, _ field: String) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
      return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
  }

  static func temporaryFile(_ name: String) -> String {
    NSTemporaryDirectory() + "pipetrace-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
  }
}
