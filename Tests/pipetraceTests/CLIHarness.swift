import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The built `pipetrace` binary, run as a real process through TestSupport (posix_spawn, default
/// signal state, reaped by pid).
enum CLI {
  /// The binary SwiftPM built next to this test bundle (PIPETRACE_TEST_BINARY: another build, to see
  /// a test fail on the code before a fix).
  static var binary: String {
    if let other = ProcessInfo.processInfo.environment["PIPETRACE_TEST_BINARY"] { return other }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return exe.deletingLastPathComponent().appendingPathComponent("pipetrace").path
  }

  /// What /proc/PID/comm shows for the binary once it runs (the kernel keeps 15 bytes).
  static var comm: String { String(URL(fileURLWithPath: binary).lastPathComponent.prefix(15)) }

  /// Runs pipetrace with `args` and waits for it (killing it, by pid, after `timeout` seconds).
  /// `environment` replaces pipetrace's environment; `stdoutPath` names a file (such as /dev/full)
  /// to write its stdout to instead of capturing it.
  static func run(_ args: [String], timeout: Double = 60, environment: [String: String]? = nil,
                  stdoutPath: String? = nil) throws -> ProgramResult {
    try runProgram(binary, args, timeout: timeout, environment: environment, stdoutPath: stdoutPath)
  }

  /// The pid of the first exec in a `--json` trace being written, once that process sleeps in
  /// nanosleep (a traced `sleep`); 0 when that did not happen in time.
  static func sleepingExec(inTrace trace: String) -> Int32 {
    var pid: Int32 = 0
    let asleep = eventually {
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
  static func launchTracedSleep(_ seconds: Int, trace: String) throws -> (pipetrace: BackgroundProcess, sleeper: Int32) {
    let p = try BackgroundProcess(binary, ["--json", "-o", trace, "--", "/bin/sleep", "\(seconds)"])
    let sleeper = sleepingExec(inTrace: trace)
    guard sleeper > 0 else {
      p.stop()
      throw NotStarted()
    }
    return (p, sleeper)
  }

  /// Built with the address sanitizer (.ci/run's second pass): its quarantine and red zones hold
  /// freed memory, so peak-memory bounds do not apply.
  static let isAddressSanitized = dlsym(nil, "__asan_init") != nil
}
