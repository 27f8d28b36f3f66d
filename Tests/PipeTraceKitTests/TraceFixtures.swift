import Foundation
import XCTest

import PipeTraceKit

/// Temporary files, real strace recordings and the hand-written traces the tests share.
enum TraceFixtures {
  static func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipetrace-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func write(_ text: String, in dir: URL, name: String) throws -> String {
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  static var straceAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") }

  static func report(_ paths: [String], minBlock: Double = 0.1) throws -> Report {
    let builder = ReportBuilder(options: .init(minBlock: minBlock))
    return builder.consume(try TraceInput.open(paths: paths, keepData: false))
  }

  /// The seed hang, written by hand in the README's JSON-lines schema: python (1000) reads the
  /// pipe; sh (1001) writes "start ok" and exits; sleep (1002) inherited the write end and holds
  /// it for 1.2 s without using it, so the read returns EOF only when sleep closes it.
  static let seedJSON = """
    {"event":"start","version":1,"ts":100.0,"command":["python3","-c","..."],"attached":[]}
    {"event":"syscall","pid":1000,"tid":1000,"ts":100.000100,"name":"pipe2","args":[[3,4],"O_CLOEXEC"],"ret":0,"dur":0.000008,"fds":[{"arg":0,"index":0,"fd":3,"kind":"pipe","inode":777,"path":"pipe:[777]"},{"arg":0,"index":1,"fd":4,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"fork","pid":1000,"tid":1000,"child":1001,"kind":"vfork","ts":100.000200}
    {"event":"syscall","pid":1001,"tid":1001,"ts":100.000300,"name":"close","args":[3],"ret":0,"dur":0.000003,"fds":[{"arg":0,"fd":3,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"syscall","pid":1001,"tid":1001,"ts":100.000400,"name":"dup2","args":[4,1],"ret":1,"dur":0.000003,"fds":[{"arg":0,"fd":4,"kind":"pipe","inode":777,"path":"pipe:[777]"},{"arg":1,"fd":1,"kind":"tty","path":"/dev/pts/0"}]}
    {"event":"exec","pid":1001,"tid":1001,"path":"/bin/sh","argv":["/bin/sh","-c","sleep 1 & echo start ok"],"ts":100.000500}
    {"event":"syscall","pid":1000,"tid":1000,"ts":100.000600,"name":"close","args":[4],"ret":0,"dur":0.000004,"fds":[{"arg":0,"fd":4,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"fork","pid":1001,"tid":1001,"child":1002,"kind":"fork","ts":100.001000}
    {"event":"exec","pid":1002,"tid":1002,"path":"/usr/bin/sleep","argv":["sleep","1"],"ts":100.002000}
    {"event":"syscall","pid":1001,"tid":1001,"ts":100.003000,"name":"write","args":[1,"start ok\\n",9],"ret":9,"dur":0.00002,"fds":[{"arg":0,"fd":1,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"syscall","pid":1000,"tid":1000,"ts":100.000700,"name":"read","args":[3,"start ok\\n",8192],"ret":9,"dur":0.002400,"fds":[{"arg":0,"fd":3,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"syscall","pid":1001,"tid":1001,"ts":100.003500,"name":"exit_group","args":[0],"ret":null,"dur":null}
    {"event":"exit","pid":1001,"tid":1001,"code":0,"signal":null,"core":false,"ts":100.003600}
    {"event":"syscall","pid":1002,"tid":1002,"ts":101.203000,"name":"close","args":[1],"ret":0,"dur":0.00001,"fds":[{"arg":0,"fd":1,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"syscall","pid":1000,"tid":1000,"ts":100.003200,"name":"read","args":[3,"",8183],"ret":0,"dur":1.199900,"fds":[{"arg":0,"fd":3,"kind":"pipe","inode":777,"path":"pipe:[777]"}]}
    {"event":"exit","pid":1002,"tid":1002,"code":0,"signal":null,"core":false,"ts":101.203500}
    {"event":"syscall","pid":1000,"tid":1000,"ts":101.203300,"name":"wait4","args":[1001,"[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]",0,null],"ret":1001,"dur":0.00002}
    {"event":"exit","pid":1000,"tid":1000,"code":0,"signal":null,"core":false,"ts":101.210000}

    """

  /// The mirror deadlock: the parent waits for the child before reading its output; the child fills
  /// the pipe and blocks in write; a watchdog kills it after 5 s, which releases the parent's wait4.
  static let mirrorJSON = """
    {"event":"syscall","pid":2000,"tid":2000,"ts":200.0,"name":"pipe","args":[[3,4]],"ret":0,"dur":0.00001}
    {"event":"fork","pid":2000,"tid":2000,"child":2001,"kind":"fork","ts":200.001}
    {"event":"syscall","pid":2001,"tid":2001,"ts":200.002,"name":"dup2","args":[4,1],"ret":1,"dur":0.00001}
    {"event":"exec","pid":2001,"tid":2001,"path":"/usr/bin/producer","argv":["producer"],"ts":200.003}
    {"event":"syscall","pid":2001,"tid":2001,"ts":200.010,"name":"write","args":[1,"xxxx",65536],"ret":65536,"dur":0.0001}
    {"event":"exit","pid":2001,"tid":2001,"code":null,"signal":"SIGKILL","core":false,"ts":205.020}
    {"event":"syscall","pid":2001,"tid":2001,"ts":200.020,"name":"write","args":[1,"xxxx",65536],"ret":null,"dur":null}
    {"event":"syscall","pid":2000,"tid":2000,"ts":200.004,"name":"wait4","args":[2001,"[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]",0,null],"ret":2001,"dur":5.0165}
    {"event":"exit","pid":2000,"tid":2000,"code":1,"signal":null,"core":false,"ts":205.030}

    """
}

/// A test case with a fresh temporary directory, `dir`, removed after each test.
class TraceFileTestCase: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = try TraceFixtures.tempDir()
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: dir)
  }
}
