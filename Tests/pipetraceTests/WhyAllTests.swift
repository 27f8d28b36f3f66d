import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `why --all` on a machine with a planted seed hang and a planted healthy pipeline: the seed is
/// listed with its Fix, the pipeline only counted. Other processes on the machine may be listed
/// too; the tests look only at the pids they started.
final class WhyAllTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  /// `sh -c '(sleep 300; echo data) | wc -c'`: wc reads a pipe whose writer is a live stage of the
  /// same pipeline, started and waited for by a live shell. Returns wc's pid once it blocks in read.
  func startHealthyPipeline() throws -> Int32 {
    let output = TestPipe()
    let sh = try procs.launch(["/bin/sh", "-c", "(sleep 300; echo data) | wc -c"], stdout: output.writeEnd)
    output.closeWrite()
    var wc: Int32 = 0
    try waitUntil("wc blocked in read") {
      for child in childrenOf(sh.pid) {
        if (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)) == "wc\n", blockedSyscall(child) == 0 {
          wc = child
          return true
        }
      }
      return false
    }
    // The subshell and its sleep are grandchildren: adopted so that clean-up ends them by pid.
    for child in childrenOf(sh.pid) where child != wc {
      procs.adopt(child)
      for grandchild in childrenOf(child) { procs.adopt(grandchild) }
    }
    procs.adopt(wc)
    return wc
  }

  /// `why --all --json` until `ready` holds for its entries (each blocked time grows as we wait).
  func survey(_ extra: [String] = [], until ready: ([Int32: [String: Any]]) -> Bool) throws -> (Int32, [String: Any]) {
    var last: (Int32, [String: Any]) = (-1, [:])
    try waitUntil("why --all lists the planted processes", timeout: 60) {
      let r = try CLI.run(["why", "--all", "--json"] + extra)
      guard let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else { return false }
      last = (r.status, object)
      return ready(entries(object))
    }
    return last
  }

  func entries(_ survey: [String: Any]) -> [Int32: [String: Any]] {
    var byPid: [Int32: [String: Any]] = [:]
    for e in survey["entries"] as? [[String: Any]] ?? [] {
      if let pid = e["pid"] as? Int { byPid[Int32(pid)] = e }
    }
    return byPid
  }

  func testListsThePlantedLeakWithItsFixAndOnlyCountsTheHealthyPipeline() throws {
    let (python, _, sleeper) = try procs.startSeedHang()
    let wc = try startHealthyPipeline()
    let (status, survey) = try self.survey(["--min", "0.5"]) { e in e[python.pid] != nil && e[wc] != nil }
    XCTAssertEqual(status, 2, "\(survey)")
    let all = entries(survey)
    let seed = try XCTUnwrap(all[python.pid])
    XCTAssertEqual(seed["category"] as? String, "leak")
    XCTAssertEqual(seed["stuck"] as? Bool, true)
    XCTAssertGreaterThanOrEqual(seed["blocked_for"] as? Double ?? 0, 0.5)
    let fix = (seed["diagnosis"] as? [String: Any])?["fix"] as? String ?? ""
    XCTAssertTrue(fix.contains("--inject-close \(sleeper) "), fix)
    let healthy = try XCTUnwrap(all[wc])
    XCTAssertEqual(healthy["stuck"] as? Bool, false, "\(healthy)")
    XCTAssertEqual((healthy["diagnosis"] as? [String: Any])?["fix"] is NSNull, true, "\(healthy)")

    // Text: the seed's line and Fix; the healthy reader only with --verbose.
    let text = try CLI.run(["why", "--all", "--min", "0.5"])
    XCTAssertEqual(text.status, 2, text.stderr)
    let lines = text.stdout.split(separator: "\n").map(String.init)
    let seedLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("\(python.pid) ") }, text.stdout)
    XCTAssertTrue(lines[seedLine].contains("[leak, blocked "), lines[seedLine])
    XCTAssertTrue(lines[(seedLine + 1)...].prefix(2).contains { $0.hasPrefix("  Fix: ") && $0.contains(" \(sleeper) ") }, text.stdout)
    XCTAssertFalse(lines.contains { $0.hasPrefix("\(wc) ") }, text.stdout)
    XCTAssertTrue(lines.last { $0.contains(" stuck of ") }?.contains("--verbose lists the healthy ones") == true, text.stdout)
    let verbose = try CLI.run(["why", "--all", "--min", "0.5", "--verbose"])
    XCTAssertTrue(verbose.stdout.split(separator: "\n").contains { $0.hasPrefix("\(wc) wc [waiting, blocked ") }, verbose.stdout)
  }

  /// Each CPU's scheduler clock is its own, and on a VM two may differ by more than any --min
  /// (0.56 s between the two CPUs of the machine this was written on): a reader that last ran on
  /// any CPU is blocked, as `why --all` says, for no longer than it has existed and no shorter than
  /// it has been seen blocked. (The pause is what is measured, not a wait for something.)
  func testBlockedTimeIsRightWhicheverCPUTheReaderLastRanOn() throws {
    let cpus = min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 4)
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { close(null) }
    for cpu in 0..<cpus {
      let input = TestPipe()
      let born = ProcessInfo.processInfo.systemUptime
      let cat = try procs.launch(["taskset", "-c", String(cpu), "cat"], stdin: input.readEnd, stdout: null)
      input.closeRead()
      try waitUntil("cat on CPU \(cpu) blocked in read") { blockedSyscall(cat.pid) == 0 }
      usleep(300_000)
      let r = try CLI.run(["why", "--all", "--json", "--min", "0"])
      let age = ProcessInfo.processInfo.systemUptime - born
      let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
      let blocked = try XCTUnwrap(entries(object)[cat.pid]?["blocked_for"] as? Double, "CPU \(cpu): \(r.stdout)")
      XCTAssertGreaterThanOrEqual(blocked, 0.25, "CPU \(cpu): seen blocked for 0.3 s")
      XCTAssertLessThanOrEqual(blocked, age + 0.05, "CPU \(cpu): it exists for \(age) s")
      input.closeWrite()
    }
  }

  /// A wait younger than --min is not listed.
  func testMinLeavesOutShorterWaits() throws {
    let (python, _, _) = try procs.startSeedHang()
    let r = try CLI.run(["why", "--all", "--json", "--min", "100000"])
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    XCTAssertNil(entries(object)[python.pid])
    XCTAssertEqual(object["timing"] as? String, "scheduler")
    XCTAssertGreaterThan(object["processes"] as? Int ?? 0, 0)
  }

  func testBadInputIsOneLineAndNonZero() throws {
    for (args, message) in [
      (["why", "--all", "1"], "give no pid"), (["why", "--all", "--min=-1"], "invalid --min"),
      (["why", "--min", "3", "1"], "go with --all"), (["why", "--all", "--stack"], "--stack goes with a pid"),
    ] {
      let r = try CLI.run(args)
      XCTAssertNotEqual(r.status, 0, "\(args)")
      XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
    }
  }
}
