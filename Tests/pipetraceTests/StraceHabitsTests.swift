import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// strace's options, run side by side with the real strace on the same command: columns, the -c
/// table, -ff files, the signal/status/path filters and the attach messages.
final class StraceHabitsTests: XCTestCase {
  static let strace = "/usr/bin/strace"

  override func setUpWithError() throws {
    try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.strace), "strace is not installed")
  }

  /// Runs pipetrace and strace with the same flags on `command`, each writing its trace to a file
  /// (`-f -o FILE`), and returns both traces and both stderr texts.
  /// `nullStdio`: both tools (so the command too) get /dev/null as stdout and stderr instead of the
  /// harness's files, whose names differ between the runs and would show in -y paths.
  func both(_ flags: [String], _ command: [String], pipetraceOnly: [String] = [], nullStdio: Bool = false)
    throws -> (ours: String, theirs: String, ourErr: String, theirErr: String)
  {
    let ours = temporaryFile("ours.txt"), theirs = temporaryFile("strace.txt")
    defer { unlink(ours); unlink(theirs) }
    func run(_ tool: String, _ args: [String]) throws -> ProgramResult {
      guard nullStdio else { return try runProgram(tool, args) }
      return try runProgram("/bin/sh", ["-c", "exec \"$@\" >/dev/null 2>&1", "sh", tool] + args)
    }
    let a = try run(CLI.binary, pipetraceOnly + flags + ["-f", "-o", ours, "--"] + command)
    let b = try run(Self.strace, flags + ["-f", "-o", theirs, "--"] + command)
    // strace ends itself with the signal that killed the command, pipetrace exits 128+N: the
    // harness gives both as 128+N.
    XCTAssertEqual(a.status, b.status, "pipetrace: \(a.stderr) strace: \(b.stderr)")
    return (try String(contentsOfFile: ours, encoding: .utf8), try String(contentsOfFile: theirs, encoding: .utf8),
            a.stderr, b.stderr)
  }

  /// Every digit as 0 (and the hex digits of addresses): pids, times, durations and addresses stop
  /// differing while every column keeps its width, so the ` = ` alignment is still compared.
  static func zeroDigits(_ text: String) -> String {
    // A child's CPU time in SIGCHLD's siginfo differs between two runs, and strace (as pipetrace)
    // adds `/* 0.01 s */` only when it is not 0: the comment goes, the number is zeroed below.
    let text = text.replacingOccurrences(of: #"(si_[us]time=[0-9]+) /\* [0-9.]+ s \*/"#, with: "$1",
                                         options: .regularExpression)
    // A child's pid in a siginfo may have one digit more in one run than in the other (9999, 10000).
    .replacingOccurrences(of: #"si_pid=[0-9]+"#, with: "si_pid=P", options: .regularExpression)
    // The pid column keeps its width (pids of 3 to 5 digits fill the same 6 columns) but not its
    // digit count: it becomes P and spaces.
    .split(separator: "\n", omittingEmptySubsequences: false).map { l -> String in
      guard let m = l.firstMatch(of: #/^\d+ +/#) else { return String(l) }
      return "P" + String(repeating: " ", count: m.output.count - 1) + l[m.range.upperBound...]
    }.joined(separator: "\n")
    var out = "", inHex = false, previous: Character = " "
    for c in text {
      if inHex && !c.isHexDigit { inHex = false }
      if previous == "0" && c == "x" { inHex = true }
      out.append(c.isASCII && (c.isNumber || (inHex && c.isHexDigit)) ? "0" : c)
      previous = c
    }
    return out
  }

  /// For the filter tests: zeroDigits with each number one 0 (the two runs' pids may differ in
  /// length: pids wrap), one space before ` = ` (alignment is the column tests' business), and what
  /// pipetrace does not decode like strace yet (SIGCHLD's si_utime/si_stime, fcntl's FD_CLOEXEC)
  /// left out of both sides.
  static func normalized(_ text: String) -> String {
    var t = text.replacingOccurrences(of: #", si_utime=\d+( /\* [^*]* \*/)?, si_stime=\d+( /\* [^*]* \*/)?"#, with: "", options: .regularExpression)
    t = t.replacingOccurrences(of: "F_SETFD, FD_CLOEXEC", with: "F_SETFD, 1")
    t = t.replacingOccurrences(of: #"\) +="#, with: ") =", options: .regularExpression)
    return zeroDigits(t).replacingOccurrences(of: "0+", with: "0", options: .regularExpression)
  }

  /// A multi-process trace as each process's lines in order (the processes sorted by their lines):
  /// how two runs interleave their processes is the scheduler's choice, and so is whether a call is
  /// split into `<unfinished ...>` and `<... resumed>`, so split calls are joined again.
  static func byProcess(_ text: String) -> [[String]] {
    var lines: [Substring: [String]] = [:]
    var held: [Substring: String] = [:]
    for l in text.split(separator: "\n") {
      let pid = l.prefix { $0.isNumber }
      var rest = String(l.dropFirst(pid.count).drop { $0 == " " })
      if rest.hasSuffix(" <unfinished ...>") {
        held[pid] = String(rest.dropLast(" <unfinished ...>".count))
        continue
      }
      if let entry = held.removeValue(forKey: pid), let m = rest.firstMatch(of: #/^<\.\.\. [a-z0-9_]+ resumed>/#) {
        rest = entry + rest[m.range.upperBound...]
      }
      lines[pid, default: []].append(normalized(rest))
    }
    for (pid, entry) in held { lines[pid, default: []].append(normalized(entry + " <unfinished ...>")) }
    return lines.values.sorted { $0.joined(separator: "\n") < $1.joined(separator: "\n") }
  }

  /// strace's stderr messages as pipetrace words them (strace names itself by its argv[0]).
  static func asPipetrace(_ messages: String) -> String {
    messages.replacingOccurrences(of: strace + ":", with: "pipetrace:").replacingOccurrences(of: "strace:", with: "pipetrace:")
  }

  // MARK: Following forks

  /// With --strace-compat, -f is strace's -f: without it only the command itself is traced (its
  /// children run untraced, without the seccomp filter they could not run with), as strace traces
  /// it; with it every child is. The lines match strace's, process by process.
  func testStraceCompatFollowsForksOnlyWithF() throws {
    let command = ["/bin/sh", "-c", "/bin/echo child >/dev/null; echo parent >/dev/null"]
    for follow in [false, true] {
      let ours = temporaryFile("ours.txt"), theirs = temporaryFile("strace.txt")
      defer { unlink(ours); unlink(theirs) }
      let f = follow ? ["-f"] : []
      let a = try runProgram(CLI.binary, ["--strace-compat", "-e", "trace=write"] + f + ["-o", ours, "--"] + command)
      let b = try runProgram(Self.strace, ["-e", "trace=write"] + f + ["-o", theirs, "--"] + command)
      XCTAssertEqual(a.status, 0, a.stderr)
      XCTAssertEqual(b.status, 0, b.stderr)
      let mine = try String(contentsOfFile: ours, encoding: .utf8), straces = try String(contentsOfFile: theirs, encoding: .utf8)
      XCTAssertEqual(Self.byProcess(mine), Self.byProcess(straces), follow ? "-f" : "no -f")
      XCTAssertEqual(mine.split(separator: "\n").filter { $0.contains("write(") }.count, follow ? 2 : 1, mine)
      // One process, no -f: no pid column, as strace (the whole file matches, digits aside).
      if !follow { XCTAssertEqual(Self.zeroDigits(mine), Self.zeroDigits(straces)) }
    }
  }

  /// On stderr strace prefixes `[pid N]` only while it traces more than one task: the parent's
  /// lines before the fork and after its child is gone have none. --strace-compat prints the same
  /// lines (pipetrace's own columns keep the prefix on every line).
  func testStraceCompatPidPrefixOnlyWhileSeveralTasks() throws {
    let command = ["/bin/sh", "-c", "echo before >/dev/null; /bin/echo child >/dev/null; echo after >/dev/null"]
    let flags = ["-f", "-e", "trace=write,exit_group"]
    let a = try runProgram(CLI.binary, ["--strace-compat"] + flags + ["--"] + command)
    let b = try runProgram(Self.strace, flags + ["--"] + command)
    XCTAssertEqual(a.status, 0, a.stderr)
    XCTAssertEqual(b.status, 0, b.stderr)
    // Digits as one 0 and the prefix's padding as one space: the two runs' pids may differ in length.
    func pidFree(_ text: String) -> String {
      Self.zeroDigits(text).replacingOccurrences(of: "0+", with: "0", options: .regularExpression)
        .replacingOccurrences(of: #"\[pid +0\]"#, with: "[pid 0]", options: .regularExpression)
    }
    XCTAssertEqual(pidFree(a.stderr), pidFree(Self.asPipetrace(b.stderr)))
    let prefixed = a.stderr.split(separator: "\n").filter { $0.hasPrefix("[pid ") }
    XCTAssertEqual(prefixed.count, 3, a.stderr)  // the child's write, exit_group and exit
    let own = try runProgram(CLI.binary, flags + ["--no-timestamps", "--no-durations", "--"] + command)
    XCTAssertTrue(own.stderr.split(separator: "\n").filter { $0.contains("write(") }.allSatisfy { $0.hasPrefix("[pid ") },
                  own.stderr)

    // Attached with -f to a process of two threads: two tasks from the start, so every line has it.
    let script = temporaryFile("threads.py")
    defer { unlink(script) }
    try """
      import os, threading, time
      def loop():
          while True:
              os.write(1, b"t"); time.sleep(0.01)
      threading.Thread(target=loop, daemon=True).start()
      loop()
      """.write(toFile: script, atomically: true, encoding: .utf8)
    let devNull = open("/dev/null", O_WRONLY)
    let target = try BackgroundProcess(TestProcesses.python, [script], stdout: devNull)
    close(devNull)
    defer { target.stop() }
    XCTAssertTrue(eventually { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(target.pid)/task"))?.count == 2 })
    for tool in [Self.strace, CLI.binary] {
      let err = OutputFile("attach-err")
      let args = (tool == CLI.binary ? ["--strace-compat"] : []) + ["-f", "-e", "trace=write", "-p", String(target.pid)]
      let p = try BackgroundProcess(tool, args, stderr: err.fd)
      defer { p.stop() }
      XCTAssertTrue(eventually { err.text.components(separatedBy: "write(").count > 6 })
      kill(p.pid, SIGINT)
      try p.wait()
      let writes = err.text.split(separator: "\n").filter { $0.contains("write(1") }
      XCTAssertTrue(writes.allSatisfy { $0.hasPrefix("[pid ") }, "\(tool): \(err.text)")
    }
  }

  // MARK: Columns

  /// Each column option prints exactly strace's columns, strace's formats and its ` = ` column.
  func testColumnOptionsPrintStracesLayout() throws {
    // One process, calls decoded the same way by both: the lines are the same up to the digits.
    let command = ["/bin/cat", "/etc/hostname"]
    for flags in [["-t"], ["-tt"], ["-ttt"], ["-r"], ["-T"], ["-y"], ["-ttt", "-T", "-y"], ["-tt", "-r"],
                  ["-y", "-a", "60"], ["-T", "-a", "0"]] {
      let r = try both(flags + ["-e", "trace=read,write,close"], command, nullStdio: true)
      XCTAssertEqual(Self.zeroDigits(r.ours), Self.zeroDigits(r.theirs), "\(flags)")
      XCTAssertTrue(r.ours.contains("read("), r.ours)
    }
    // No column option: --strace-compat asks for strace's plain line (and -a alone only moves ` = `).
    for flags in [[], ["-a", "20"]] {
      let plain = try both(flags + ["-e", "trace=read,write,close"], command, pipetraceOnly: ["--strace-compat"], nullStdio: true)
      XCTAssertEqual(Self.zeroDigits(plain.ours), Self.zeroDigits(plain.theirs), "\(flags)")
    }
  }

  /// -t is local time of day and -ttt the epoch: both name the moment the call started.
  func testTimestampsAreTheCallsTime() throws {
    let before = Int(Date().timeIntervalSince1970)
    let trace = temporaryFile("t.txt")
    defer { unlink(trace) }
    for (flag, pattern) in [("-t", #"^\d+ +(\d\d):(\d\d):(\d\d) read\("#), ("-ttt", #"^\d+ +(\d{10})\.\d{6} read\("#)] {
      let r = try CLI.run([flag, "-e", "trace=read", "-o", trace, "--", "/bin/cat", "/etc/hostname"])
      XCTAssertEqual(r.status, 0, r.stderr)
      let text = try String(contentsOfFile: trace, encoding: .utf8)
      let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("read(") }.map(String.init))
      let m = try XCTUnwrap(line.firstMatch(of: try Regex(pattern)), line)
      let after = Int(Date().timeIntervalSince1970)
      if flag == "-ttt" {
        let epoch = Int(m.output[1].substring!)!
        XCTAssertTrue((before...after).contains(epoch), "\(epoch) not in \(before)...\(after)")
      } else {
        var t = time_t(before), parts = tm()
        localtime_r(&t, &parts)
        let seconds = Int(m.output[1].substring!)! * 3600 + Int(m.output[2].substring!)! * 60 + Int(m.output[3].substring!)!
        let start = Int(parts.tm_hour) * 3600 + Int(parts.tm_min) * 60 + Int(parts.tm_sec)
        XCTAssertTrue((0...(after - before + 1)).contains((seconds - start + 86400) % 86400), line)
      }
    }
  }

  /// Without any column option the line stays pipetrace's own (strace -ttt -T -y, ` = ` unpadded);
  /// --no-timestamps and --no-durations take a column out of it.
  func testDefaultColumnsAndTheirSwitches() throws {
    let trace = temporaryFile("d.txt")
    defer { unlink(trace) }
    let cases: [([String], String)] = [
      ([], #"^\d+ +\d{10}\.\d{6} read\(3</etc/hostname>, ".*", \d+\) = \d+ <\d+\.\d{6}>$"#),
      (["--no-timestamps"], #"^\d+ +read\(3</etc/hostname>, ".*", \d+\) = \d+ <\d+\.\d{6}>$"#),
      (["--no-durations"], #"^\d+ +\d{10}\.\d{6} read\(3</etc/hostname>, ".*", \d+\) = \d+$"#),
      // -a alone pads pipetrace's own line.
      (["-a", "100"], #"^\d+ +\d{10}\.\d{6} read\(3</etc/hostname>, ".*", \d+\) {20,}= \d+ <\d+\.\d{6}>$"#),
    ]
    for (flags, pattern) in cases {
      // Output to /dev/null: cat copies to a file with copy_file_range, to /dev/null with read.
      let r = try CLI.run(flags + ["-e", "trace=read", "-o", trace, "--", "/bin/sh", "-c", "exec cat /etc/hostname >/dev/null"])
      XCTAssertEqual(r.status, 0, r.stderr)
      let text = try String(contentsOfFile: trace, encoding: .utf8)
      let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("read(3</etc/hostname>") }.map(String.init), text)
      XCTAssertNotNil(line.firstMatch(of: try Regex(pattern)), "\(flags): \(line)")
    }
  }

  /// -r is the time since the previous line, whatever process printed it, in strace's `%6ld.%06ld`:
  /// with -ttt beside it (`(+     0.000123)`) each figure is the difference of the two timestamps,
  /// and the first line shows 0.
  func testRelativeTimestampsCountFromThePreviousLine() throws {
    let trace = temporaryFile("r.txt")
    defer { unlink(trace) }
    let r = try CLI.run(["-ttt", "-r", "-e", "trace=write", "-o", trace, "--", "/bin/sh", "-c", "echo a; sleep 0.2; echo b"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
    XCTAssertGreaterThan(lines.count, 3)
    var previous: Double?
    var total = 0.0
    for l in lines {
      let m = try XCTUnwrap(l.firstMatch(of: #/^\d+ +(\d{10}\.\d{6}) \(\+( {0,5}\d+\.\d{6})\) /#), l)
      XCTAssertEqual(m.output.2.count, 13, l)
      let ts = Double(m.output.1)!, delta = Double(m.output.2.trimmingCharacters(in: .whitespaces))!
      XCTAssertEqual(delta, ts - (previous ?? ts), accuracy: 2e-6, l)
      previous = ts
      total += delta
    }
    XCTAssertGreaterThanOrEqual(total, 0.19)
  }

  // MARK: -c

  /// strace -c's table: same header, rows, calls, errors and total line; ordered by -S.
  func testSummaryTableMatchesStraces() throws {
    let command = ["/bin/sh", "-c", "ls /nonexistent /etc/hostname >/dev/null 2>&1; dd if=/dev/zero of=/dev/null bs=1 count=300 2>/dev/null"]
    for sort in [["-S", "calls"], ["-S", "name"], ["-S", "errors"], ["-S", "nothing"]] {
      let r = try both(["-c"] + sort + ["-e", "trace=read,write,close,openat,wait4,execve,dup2"], command)
      let ours = r.ours.split(separator: "\n").map(String.init), theirs = r.theirs.split(separator: "\n").map(String.init)
      XCTAssertEqual(ours.count, theirs.count, "\(sort)\n\(r.ours)\n\(r.theirs)")
      XCTAssertEqual(ours.first, "% time     seconds  usecs/call     calls    errors syscall")
      XCTAssertEqual(ours.first, theirs.first)
      // calls, errors and the name, in order; the times differ run to run.
      func countsAndNames(_ lines: [String]) -> [String] {
        lines.map { l in
          let cells = l.split(separator: " ", omittingEmptySubsequences: true)
          guard cells.count >= 5, Double(cells[0]) != nil else { return l }
          return cells[3...].joined(separator: " ")
        }
      }
      // Ties (and -S nothing) keep syscall-number order, as strace's stable sort does.
      XCTAssertEqual(countsAndNames(ours), countsAndNames(theirs), "\(sort)\n\(r.ours)\n\(r.theirs)")
      // Every data line has strace's widths: 6, 11, 11, 9, 9 and the name.
      for l in ours.dropFirst(2) where !l.hasPrefix("-") {
        XCTAssertNotNil(l.firstMatch(of: #/^[ \d]{2}\d\.\d\d [ \d]{3}\d\.\d{6} [ \d]{10}\d [ \d]{8}\d [ \d]{9} [a-z0-9_]+$/#), l)
      }
      XCTAssertEqual(ours[1], "------ ----------- ----------- --------- --------- ----------------")
      XCTAssertTrue(ours.last?.hasPrefix("100.00 ") == true, r.ours)
    }
  }

  /// -c shows system CPU time, as strace's: a 300 ms sleep is ~0 there and 300 ms with -w; a read that
  /// has the kernel zero 64 MB shows that work.
  func testSummaryClockIsSystemCPUTimeUnlessW() throws {
    let out = temporaryFile("c.txt")
    defer { unlink(out) }
    func seconds(_ flags: [String], _ name: String, _ command: [String]) throws -> Double {
      let r = try CLI.run(flags + ["-e", "trace=\(name)", "-o", out, "--"] + command)
      XCTAssertEqual(r.status, 0, r.stderr)
      let text = try String(contentsOfFile: out, encoding: .utf8)
      let row = try XCTUnwrap(text.split(separator: "\n").first { $0.hasSuffix(" " + name) }, text)
      return Double(row.split(separator: " ")[1])!
    }
    let sleep = ["/bin/sleep", "0.3"]
    XCTAssertLessThan(try seconds(["-c"], "clock_nanosleep", sleep), 0.05)
    XCTAssertGreaterThanOrEqual(try seconds(["-c", "-w"], "clock_nanosleep", sleep), 0.29)
    let zero = ["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=16M", "count=4", "status=none"]
    XCTAssertGreaterThan(try seconds(["-c"], "read", zero), 0.002)
  }

  /// --summary-percentiles adds p50, p99 and max before the name; -C prints the trace and the table.
  func testSummaryPercentilesAndTraceAlongside() throws {
    let out = temporaryFile("p.txt")
    defer { unlink(out) }
    let r = try CLI.run(["-C", "-w", "--summary-percentiles", "-e", "trace=read,write", "-o", out, "--",
                         "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=50", "status=none"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
    XCTAssertTrue(lines.contains { $0.contains(" read(0</dev/zero>, ") }, "no trace lines")
    let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("% time") })
    XCTAssertEqual(lines[header], "% time     seconds  usecs/call     calls    errors      p50      p99      max syscall")
    let read = try XCTUnwrap(lines[header...].first { $0.hasSuffix(" read") })
    let cells = read.split(separator: " ").compactMap { Double($0) }
    XCTAssertEqual(cells.count, 7, read)
    XCTAssertEqual(Int(cells[3]), lines[..<header].filter { $0.contains(" read(") }.count)
    XCTAssertTrue(cells[4] <= cells[5] && cells[5] <= cells[6], read)
  }

  // MARK: -ff

  /// One file per task, PREFIX.TID, as strace -ff writes them (no pid column), and the report reads the set.
  func testPerTaskFilesAndTheReportReadsThem() throws {
    let dir = NSTemporaryDirectory() + "pipetrace-ff-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let sdir = dir + "-strace"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: sdir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir); try? FileManager.default.removeItem(atPath: sdir) }
    let command = ["/bin/sh", "-c", "(sleep 0.2 & echo start ok) | cat >/dev/null"]
    let a = try CLI.run(["-ff", "-o", dir + "/t", "-e", "trace=read,write,close,wait4", "--"] + command)
    XCTAssertEqual(a.status, 0, a.stderr)
    let b = try runProgram(Self.strace, ["-ff", "-o", sdir + "/t", "-e", "trace=read,write,close,wait4", "--"] + command)
    XCTAssertEqual(b.status, 0, b.stderr)
    let ours = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    let theirs = try FileManager.default.contentsOfDirectory(atPath: sdir).sorted()
    XCTAssertEqual(ours.count, theirs.count, "\(ours) vs \(theirs)")
    XCTAssertTrue(ours.allSatisfy { $0.firstMatch(of: #/^t\.\d+$/#) != nil }, "\(ours)")
    // Per file: the same calls in the same order (values aside), no pid column, no split lines.
    // (Signal lines left out: when a SIGCHLD arrives between two calls is the scheduler's choice.)
    func shape(_ path: String) throws -> [String] {
      try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.contains("--- SIG") }.map { l in
        // pipetrace's own columns put the -ttt timestamp first.
        let call = l.firstMatch(of: #/^\d+\.\d{6} /#).map { l[$0.range.upperBound...] } ?? l[...]
        return String(call.prefix { $0 != "(" && $0 != " " })
      }
    }
    let ourShapes = try ours.map { try shape(dir + "/" + $0) }.sorted { $0.joined() < $1.joined() }
    let theirShapes = try theirs.map { try shape(sdir + "/" + $0) }.sorted { $0.joined() < $1.joined() }
    XCTAssertEqual(ourShapes, theirShapes)
    for f in ours {
      let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
      XCTAssertFalse(text.contains("unfinished") || text.contains("resumed"), text)
    }
    // `pipetrace report PREFIX.*`: cat's read blocked until sleep let the pipe go.
    let report = try CLI.run(["report", "--format", "json"] + ours.map { dir + "/" + $0 })
    XCTAssertEqual(report.status, 0, report.stderr)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
    XCTAssertEqual((json["processes"] as? [Any])?.count, ours.count)
    let blocking = json["blocking"] as? [[String: Any]] ?? []
    XCTAssertTrue(blocking.contains { $0["name"] as? String == "read" && ($0["dur"] as? Double ?? 0) > 0.1 }, report.stdout)
  }

  // MARK: Filters and messages

  /// -e signal=, -e status=, -z, -Z, -qq and -e quiet= hide the same lines strace hides.
  func testSignalStatusAndQuietSetsMatchStrace() throws {
    // The child sleeps so that the shell is in wait4 when it exits: that call is split into
    // `<unfinished ...>` and `<... wait4 resumed>` by both tools, and SIGCHLD follows it.
    let script = "trap '' USR1; kill -USR1 $$; kill -0 4194304 2>/dev/null; (exec sleep 0.1); kill -9 $$"
    let variants: [[String]] = [
      [], ["-e", "signal=none"], ["-e", "signal=!SIGCHLD"], ["-e", "signal=9"], ["-e", "signal=usr1,chld"],
      ["-e", "signal=!all"], ["-z"], ["-Z"], ["-e", "status=!successful"], ["-e", "status=unfinished"],
      ["-e", "status=failed,unfinished"], ["-qq"], ["-e", "quiet=exit"], ["-q"],
    ]
    for flags in variants {
      let r = try both(flags + ["-e", "trace=kill,wait4,exit_group"], ["/bin/sh", "-c", script], pipetraceOnly: ["--strace-compat"])
      XCTAssertEqual(Self.byProcess(r.ours), Self.byProcess(r.theirs), "\(flags)")
      XCTAssertEqual(Self.zeroDigits(r.ourErr), Self.zeroDigits(Self.asPipetrace(r.theirErr)), "\(flags)")
      if flags.isEmpty {
        // strace's split: the entry part up to the first exit-time argument, then its own marker.
        XCTAssertTrue(r.ours.contains(" wait4(-1,  <unfinished ...>\n"), r.ours)
        XCTAssertTrue(r.ours.contains(" <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL)"), r.ours)
      }
    }
    // A call its process's death cuts short: `read(0,  <unfinished ...>) = ?`, split or not.
    // (No signal lines: whether the shell sees its child's SIGCHLD before it exits is a race.)
    let cut = try both(["-e", "trace=read", "-e", "signal=none"], ["/bin/sh", "-c", "sleep 0.5 | (read x) & sleep 0.2; kill -9 $!"],
                       pipetraceOnly: ["--strace-compat"])
    XCTAssertEqual(Self.byProcess(cut.ours), Self.byProcess(cut.theirs))
    XCTAssertTrue(Self.byProcess(cut.ours).joined().contains("read(0,  <unfinished ...>) = ?"), cut.ours)
    // A SIGCHLD sent with kill() (SI_USER) has no si_status (alone: a shell that gets one looks for
    // children, as the scheduler has it).
    let chld = try both(["-e", "trace=kill"], ["/bin/sh", "-c", "kill -CHLD $$"], pipetraceOnly: ["--strace-compat"])
    XCTAssertEqual(Self.byProcess(chld.ours), Self.byProcess(chld.theirs))
    XCTAssertTrue(chld.ours.contains("si_code=SI_USER"), chld.ours)
  }

  /// -P shows the calls that name the path or use an fd pointing to it, as strace -P does; a path
  /// that resolves elsewhere is matched both ways and the resolution is said on stderr.
  func testTracePathMatchesStrace() throws {
    let file = temporaryFile("p-target")
    defer { unlink(file) }
    let script = "echo hi > \(file); cat \(file) >/dev/null; cat /etc/hostname >/dev/null; echo more >> \(file)"
    let dotted = (file as NSString).deletingLastPathComponent + "/../" + ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent + "/" + (file as NSString).lastPathComponent
    for path in [file, dotted] {
      let r = try both(["-P", path, "-e", "trace=read,write,close,dup2"], ["/bin/sh", "-c", script], pipetraceOnly: ["--strace-compat"])
      XCTAssertEqual(Self.byProcess(r.ours), Self.byProcess(r.theirs), path)
      XCTAssertTrue(r.ours.contains("write(1, \"hi\\n\", 3)"), r.ours)
      XCTAssertEqual(r.ourErr, Self.asPipetrace(r.theirErr))
    }
    // With -y the matching fds show the path; calls on other files are not there.
    let trace = temporaryFile("p.txt")
    defer { unlink(trace) }
    let r = try CLI.run(["-P", file, "-o", trace, "--", "/bin/sh", "-c", script])
    XCTAssertEqual(r.status, 0, r.stderr)
    let text = try String(contentsOfFile: trace, encoding: .utf8)
    XCTAssertTrue(text.contains("write(1<\(file)>, \"hi\\n\", 3)"), text)
    XCTAssertTrue(text.contains("read(3<\(file)>, \"hi\\n\""), text)
    XCTAssertFalse(text.contains("hostname"), text)
  }

  /// -y and -yy name the working directory after AT_FDCWD (`openat(AT_FDCWD</dir>, …)`) in every
  /// call that takes a directory fd, escaped as a path (`<`, `>`, a byte before a digit), under -X
  /// raw and verbose too, as strace prints it.
  func testDirfdAtFdcwdShowsTheWorkingDirectory() throws {
    let dir = temporaryFile("cwd<a>\u{01}2 \u{e9}\nx")
    XCTAssertEqual(mkdir(dir, 0o700), 0)
    defer { rmdir(dir) }
    // (not faccessat2, whose AT_EACCESS pipetrace prints as AT_REMOVEDIR, the same bit)
    let script = #"cd "$1" && echo hi > f && cat f && test -r f && chmod 600 f && readlink f; mkdir d; rm -rf f d"#
    let calls = "trace=openat,faccessat,fchmodat,readlinkat,unlinkat,mkdirat"
    for flags in [["-y"], ["-yy"], ["-y", "-X", "raw"], ["-y", "-X", "verbose"]] {
      // (no signals: -X raw and verbose do not decode siginfo as strace does yet)
      let r = try both(flags + ["-e", calls, "-e", "signal=none"], ["/bin/sh", "-c", script, "sh", dir], nullStdio: true)
      XCTAssertEqual(Self.byProcess(r.ours), Self.byProcess(r.theirs), "\(flags)")
      XCTAssertTrue(r.ours.contains(#"\74a\76\0012 \303\251\nx>, "f""#), r.ours)
    }
  }

  /// --trace-fds (strace 6.3 and later, so against the strace built from source when there is one).
  func testTraceFdsMatchesStrace() throws {
    let newer = "/tmp/strace-src/src/strace"
    try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: newer), "no strace with --trace-fds")
    let ours = temporaryFile("fd-ours"), theirs = temporaryFile("fd-theirs")
    defer { unlink(ours); unlink(theirs) }
    let command = ["/bin/sh", "-c", "echo hi; echo x >/dev/null; cat /etc/hostname"]
    for set in ["1", "!1,2", "0,3"] {
      let flags = ["-e", "trace-fds=\(set)", "-e", "trace=read,write,close,dup2,fcntl"]
      let a = try CLI.run(["--strace-compat"] + flags + ["-f", "-o", ours, "--"] + command)
      let b = try runProgram(newer, flags + ["-f", "-o", theirs, "--"] + command)
      XCTAssertEqual(a.status, 0, a.stderr)
      XCTAssertEqual(b.status, 0, b.stderr)
      XCTAssertEqual(Self.byProcess(try String(contentsOfFile: ours, encoding: .utf8)),
                     Self.byProcess(try String(contentsOfFile: theirs, encoding: .utf8)), set)
    }
  }

  /// Attached with strace's columns: `Process N attached` / `detached` on stderr as strace says it;
  /// -q and pipetrace's own columns leave them out.
  func testAttachAndDetachMessages() throws {
    let sleeper = try BackgroundProcess("/bin/sleep", ["60"])
    defer { sleeper.stop() }
    func attachAndInterrupt(_ tool: String, _ args: [String]) throws -> String {
      let err = OutputFile("attach-err")
      let p = try BackgroundProcess(tool, args + ["-o", "/dev/null", "-p", String(sleeper.pid)], stderr: err.fd)
      defer { p.stop() }
      XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == String(p.pid) })
      kill(p.pid, SIGINT)
      try p.wait()
      XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == "0" })
      return err.text
    }
    let theirs = Self.asPipetrace(try attachAndInterrupt(Self.strace, []))
    XCTAssertEqual(theirs, "pipetrace: Process \(sleeper.pid) attached\npipetrace: Process \(sleeper.pid) detached\n")
    XCTAssertEqual(try attachAndInterrupt(CLI.binary, ["-T"]), theirs)
    XCTAssertEqual(try attachAndInterrupt(CLI.binary, ["-T", "-q"]), "")
    XCTAssertEqual(try attachAndInterrupt(CLI.binary, []), "")
  }

  /// A call in progress when the tracer lets go (-p, then SIGINT) ends in ` <detached ...>`, as strace
  /// writes it.
  func testCallInProgressAtDetach() throws {
    func traceUntilInterrupted(_ tool: String, _ args: [String]) throws -> String {
      let flag = temporaryFile("go"), trace = temporaryFile("detach.txt")
      defer { unlink(flag); unlink(trace) }
      // Blocks in read(2) on its own pipe once `flag` exists: after the tracer is there.
      let reader = try BackgroundProcess("/usr/bin/python3", ["-c", """
        import os, time
        r, w = os.pipe()
        while not os.path.exists(\(String(reflecting: flag))): time.sleep(0.01)
        os.read(r, 1)
        """])
      defer { reader.stop() }
      // Started up (python reads files then) and in its sleep loop before the tracer comes.
      XCTAssertTrue(eventually {
        let call = (try? String(contentsOfFile: "/proc/\(reader.pid)/syscall", encoding: .utf8)) ?? ""
        return call.hasPrefix("230 ") || call.hasPrefix("23 ") || call.hasPrefix("35 ")
      })
      let p = try BackgroundProcess(tool, args + ["-e", "trace=read", "-o", trace, "-p", String(reader.pid)])
      defer { p.stop() }
      XCTAssertTrue(eventually { procStatusField(reader.pid, "TracerPid") == String(p.pid) })
      XCTAssertTrue(FileManager.default.createFile(atPath: flag, contents: nil))
      // In read (syscall 0) and asleep: its entry stop has been and gone.
      XCTAssertTrue(eventually {
        (try? String(contentsOfFile: "/proc/\(reader.pid)/syscall", encoding: .utf8))?.hasPrefix("0 ") == true
          && procStatusField(reader.pid, "State")?.hasPrefix("S") == true
      })
      kill(p.pid, SIGINT)
      try p.wait()
      return try String(contentsOfFile: trace, encoding: .utf8)
    }
    let theirs = try traceUntilInterrupted(Self.strace, [])
    XCTAssertEqual(theirs, "read(3,  <detached ...>\n")
    let ours = try traceUntilInterrupted(CLI.binary, ["--strace-compat"])
    XCTAssertEqual(ours.replacingOccurrences(of: #"^\d+ +"#, with: "", options: .regularExpression), theirs)
  }

  // MARK: Refusals

  func testBadOptionsAreOneLineErrors() throws {
    let refusals: [([String], String)] = [
      (["-D"], "-D is not needed"), (["-DD"], "-DD is not needed"),
      (["-w"], "-w must be given with -c or -C"), (["-c", "-C"], "-c and -C"), (["-c", "-ff", "-o", "/tmp/x"], "-ff"),
      (["-c", "-S", "bogus"], "The value 'bogus' is invalid for '-S <key>'"), (["-e", "signal=SIGFOO"], "invalid signal 'SIGFOO'"),
      (["-e", "signal=256"], "invalid signal '256'"), (["-e", "status=bogus"], "invalid status 'bogus'"),
      (["-e", "trace-fds=-1"], "invalid descriptor '-1'"), (["-e", "quiet=loud"], "invalid quiet 'loud'"),
      (["-q", "-e", "quiet=exit"], "-q and -e quiet="), (["-e", "abbrev=none"], "-e abbrev= is not supported"),
      (["-e", "frobnicate=1"], "unknown -e qualifier 'frobnicate'"), (["--json", "-T"], "--json"),
      (["--json", "-c"], "--json"), (["--summary-percentiles"], "with -c or -C"), (["-P", ""], "-P takes a path"),
    ]
    for (flags, text) in refusals {
      let r = try CLI.run(flags + ["--", "/bin/true"])
      XCTAssertEqual(r.status, 64, "\(flags): \(r.stderr)")
      let lines = r.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(flags): \(r.stderr)")
      XCTAssertTrue(r.stderr.hasPrefix("pipetrace: ") && r.stderr.contains(text), "\(flags): \(r.stderr)")
    }
    // Not a usage error: the files cannot be made (exit 1, as a trace that cannot be written).
    let r = try CLI.run(["-ff", "-o", "/nonexistent-dir/t", "--", "/bin/true"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertEqual(r.stderr, "pipetrace: cannot write /nonexistent-dir/t.PID files: /nonexistent-dir: No such file or directory\n")
  }

  /// --help names strace's options, which clock -c shows, and why -D is not needed.
  func testHelpExplainsTheClockAndD() throws {
    let r = try CLI.run(["--help"])
    XCTAssertEqual(r.status, 0)
    for text in ["-c, --summary-only", "system CPU time", "-w, --summary-wall-clock", "-D", "Refused (also -DD, -DDD), not needed",
                 "--strace-compat", "-P, --trace-path", "-z, --successful-only"] {
      XCTAssertTrue(r.stdout.contains(text), text)
    }
  }
}
