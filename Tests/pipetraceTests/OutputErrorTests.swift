import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A write error on any output (-o /dev/full, a full disk, stdout on /dev/full) is reported once
/// with the file's name and makes the exit status non-zero: nothing is cut silently.
final class OutputErrorTests: XCTestCase {
  let full = "pipetrace: /dev/full: No space left on device"

  /// Runs pipetrace with its stdout on /dev/full.
  func runWithStdoutFull(_ args: [String]) throws -> ProgramResult {
    try CLI.run(args, stdoutPath: "/dev/full")
  }

  func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

  func testTraceToDevFullIsReportedOnceAndFails() throws {
    for format in [[], ["--json"]] {
      let r = try CLI.run(format + ["-o", "/dev/full", "-e", "trace=all", "--", "/bin/true"])
      XCTAssertEqual(r.status, 1, "\(format): \(r.stderr)")
      XCTAssertEqual(lines(r.stderr), [full], "\(format)")
    }
    // The command's own failure stays its status.
    let r = try CLI.run(["-o", "/dev/full", "-e", "trace=all", "--", "/bin/sh", "-c", "exit 3"])
    XCTAssertEqual(r.status, 3)
    XCTAssertEqual(lines(r.stderr), [full])
  }

  func testReportAfterTheTraceToDevFullFails() throws {
    let r = try CLI.run(["--report", "-o", "/dev/full", "--", "/bin/true"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertEqual(lines(r.stderr), [full])
  }

  func testAttachedTraceToDevFullFails() throws {
    // A loop that makes calls to show every 50 ms.
    let sleeper = try BackgroundProcess("/bin/sh", ["-c", "while /bin/sleep 0.05; do :; done"])
    defer { sleeper.stop() }
    let errors = OutputFile("stderr")
    let tracer = try BackgroundProcess(CLI.binary, ["-o", "/dev/full", "-e", "trace=all", "-p", String(sleeper.pid)],
                                       stderr: errors.fd)
    defer { tracer.stop() }
    XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == String(tracer.pid) })
    // The first lines fail to be written; the trace goes on.
    XCTAssertTrue(eventually { errors.text.contains(self.full) })
    kill(tracer.pid, SIGINT)
    try tracer.wait()
    XCTAssertEqual(tracer.child.exitCode, 1)
    XCTAssertEqual(lines(errors.text), [full])
    XCTAssertTrue(eventually { procStatusField(sleeper.pid, "TracerPid") == "0" }, "the target runs on, untraced")
  }

  func testReportCommandOutputErrors() throws {
    let trace = temporaryFile("trace")
    try "1234  1764196800.000001 close(3) = 0 <0.000002>\n".write(toFile: trace, atomically: true, encoding: .utf8)
    defer { unlink(trace) }
    let toFile = try CLI.run(["report", "-o", "/dev/full", trace])
    XCTAssertEqual(toFile.status, 1)
    XCTAssertEqual(lines(toFile.stderr), [full])
    let toStdout = try runWithStdoutFull(["report", trace])
    XCTAssertEqual(toStdout.status, 1)
    XCTAssertEqual(lines(toStdout.stderr), ["pipetrace: stdout: No space left on device"])
  }

  func testRunOutputsOnDevFullAreReportedOnceAndFail() throws {
    let stdoutFull = "pipetrace: stdout: No space left on device"
    for mode in [["--keep", "64K"], ["--json"], ["--tee"]] {
      let r = try runWithStdoutFull(["run"] + mode + ["-c", "seq 100000"])
      XCTAssertEqual(r.status, 1, "\(mode): \(r.stderr)")
      XCTAssertEqual(lines(r.stderr).filter { $0.hasPrefix("pipetrace:") }, [stdoutFull], "\(mode)")
    }
    // The command's own failure stays its status.
    let failing = try runWithStdoutFull(["run", "-c", "echo x; exit 4"])
    XCTAssertEqual(failing.status, 4)
    XCTAssertEqual(lines(failing.stderr).first, stdoutFull)
  }

  // MARK: A reader that leaves (EPIPE): a write error like any other, never the end of the targets

  /// A command that makes a few thousand calls to trace and then says `finished` (to `redirect`).
  func busyCommand(_ redirect: String = "") -> [String] {
    ["/bin/sh", "-c", "i=0; while [ $i -lt 150 ]; do i=$((i+1)); /bin/true; done; echo finished\(redirect)"]
  }

  /// Reads from `fd` until something came, then closes it: a reader that leaves early.
  func readSomeAndLeave(_ fd: Int32) {
    var buffer = [UInt8](repeating: 0, count: 4096)
    var got = 0
    _ = eventually {
      let n = read(fd, &buffer, buffer.count)
      if n > 0 { got += n }
      return got > 0
    }
    close(fd)
  }

  /// pipetrace `args` with its stdout on a pipe (and its stderr, or on `stderr`) whose reader reads
  /// the first lines and leaves; its exit status.
  func runIntoAPipeThatLeaves(_ args: [String], stderr: Int32?) throws -> Int32 {
    let pipe = TestPipe()
    let tracer = try BackgroundProcess(CLI.binary, args, stdout: pipe.writeEnd, stderr: stderr ?? pipe.writeEnd)
    defer { tracer.stop() }
    pipe.closeWrite()
    readSomeAndLeave(pipe.readEnd)
    pipe.readEnd = -1
    return try tracer.wait(timeout: 60)
  }

  /// `pipetrace -o FIFO -- CMD` whose reader closes the FIFO after the first lines: the command runs
  /// to its end, the error is one line, pipetrace exits 1 (it used to die of SIGPIPE, and
  /// PTRACE_O_EXITKILL took the command with it).
  func testFIFOReaderThatLeavesDoesNotHarmTheCommand() throws {
    let fifo = temporaryFile("fifo")
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    defer { unlink(fifo) }
    // Open for reading first (non-blocking), so that pipetrace's open for writing does not wait.
    let reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    XCTAssertGreaterThanOrEqual(reader, 0)
    let out = OutputFile("stdout"), errors = OutputFile("stderr")
    let tracer = try BackgroundProcess(CLI.binary, ["-o", fifo, "-e", "trace=all", "--"] + busyCommand(),
                                       stdout: out.fd, stderr: errors.fd)
    defer { tracer.stop() }
    readSomeAndLeave(reader)
    XCTAssertEqual(try tracer.wait(timeout: 60), 1, errors.text)
    XCTAssertEqual(out.text, "finished\n", "the command ran to its end")
    XCTAssertEqual(lines(errors.text), ["pipetrace: \(fifo): Broken pipe"])
  }

  /// `-o /dev/stdout` into a pipe whose reader leaves: the same.
  func testStdoutPipeReaderThatLeavesDoesNotHarmTheCommand() throws {
    let errors = OutputFile("stderr")
    let status = try runIntoAPipeThatLeaves(["-o", "/dev/stdout", "-e", "trace=all", "--"] + busyCommand(" >&2"),
                                            stderr: errors.fd)
    XCTAssertEqual(status, 1, errors.text)
    // The command's line and the error, in either order.
    XCTAssertEqual(lines(errors.text).sorted(), ["finished", "pipetrace: /dev/stdout: Broken pipe"])
  }

  /// `pipetrace -- CMD 2>&1 | head -1`: the trace on stderr into a pipe whose reader left. The error
  /// cannot be shown (stderr is that pipe); the command still runs to its end and the status is 1.
  func testStderrPipeReaderThatLeavesDoesNotHarmTheCommand() throws {
    let marker = temporaryFile("finished")
    defer { unlink(marker) }
    let status = try runIntoAPipeThatLeaves(["-e", "trace=all", "--"] + busyCommand(" > \(marker)"), stderr: nil)
    XCTAssertEqual(status, 1)
    XCTAssertEqual(try? String(contentsOfFile: marker, encoding: .utf8), "finished\n", "the command ran to its end")
  }

  /// pipetrace ignores SIGPIPE for itself; the commands it launches (trace and run) get the
  /// disposition pipetrace inherited: the default, or ignored when pipetrace's was. The same for
  /// SIGINT/SIGQUIT that a script's background job inherits ignored.
  func testLaunchedCommandsGetTheInheritedDispositions() throws {
    /// Which of the signals pipetrace manages the command ignores (glibc's own are not ours).
    func ignoredMask(_ r: ProgramResult) -> [Int32]? {
      let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
      guard let hex = line?.dropFirst(7).trimmingCharacters(in: .whitespaces), let mask = UInt64(hex, radix: 16) else {
        return nil
      }
      let managed: [Int32] = [SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP]
      return managed.filter { mask & (UInt64(1) << UInt64($0 - 1)) != 0 }
    }
    let grep = ["/bin/grep", "SigIgn", "/proc/self/status"]
    let ignore = ["-c", "trap '' PIPE INT QUIT; exec \"$0\" \"$@\""]
    // What the command gets without pipetrace, from the same parent: the disposition to keep.
    let untraced = ignoredMask(try runProgram(grep[0], Array(grep.dropFirst())))
    let untracedIgnoring = ignoredMask(try runProgram("/bin/sh", ignore + grep))
    XCTAssertEqual(untracedIgnoring, [SIGPIPE, SIGINT, SIGQUIT])
    for mode in [["-o", "/dev/null", "--"], ["run", "--"]] {
      let plain = try CLI.run(mode + grep)
      XCTAssertEqual(plain.status, 0, "\(mode): \(plain.stderr)")
      XCTAssertEqual(ignoredMask(plain), untraced, "\(mode): \(plain.stdout)")
      // Through a shell that ignores them and execs pipetrace.
      let ignoring = try runProgram("/bin/sh", ignore + [CLI.binary] + mode + grep)
      XCTAssertEqual(ignoring.status, 0, "\(mode): \(ignoring.stderr)")
      XCTAssertEqual(ignoredMask(ignoring), untracedIgnoring, "\(mode): \(ignoring.stdout)")
    }
  }

  /// `-ff -o PREFIX` on a file system that is full: the error is one line for the whole trace, not
  /// one per task file (it was 289 lines for 300 tasks). A tmpfs of 64 KB mounted for the test.
  func testPerTaskFilesOnAFullFileSystemReportOnce() throws {
    let dir = temporaryFile("full-fs")
    XCTAssertEqual(mkdir(dir, 0o700), 0)
    defer { rmdir(dir) }
    guard mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0 else {
      throw XCTSkip("cannot mount a tmpfs here: \(String(cString: strerror(errno)))")
    }
    defer { XCTAssertEqual(umount2(dir, 0), 0) }  // its files go with it
    // 40 processes of a few lines each: far more than 64 KB of 4 KB blocks.
    let r = try CLI.run(["-ff", "-o", dir + "/t", "-e", "trace=all", "--", "/bin/sh", "-c",
                         "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; /bin/true; done; echo finished"])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertEqual(r.stdout, "finished\n")
    let errors = lines(r.stderr)
    XCTAssertEqual(errors.count, 1, r.stderr)
    XCTAssertTrue(errors.first?.hasPrefix("pipetrace: \(dir)/t.") ?? false, r.stderr)
    XCTAssertTrue(errors.first?.hasSuffix("No space left on device") ?? false, r.stderr)
  }
}
