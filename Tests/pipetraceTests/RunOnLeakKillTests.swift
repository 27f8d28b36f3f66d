import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `run --on-leak=kill` ends the leaked holders as a service manager would: SIGTERM first (a daemon
/// removes its pid file and socket), SIGKILL only to those still alive after --grace.
final class RunOnLeakKillTests: XCTestCase {
  func runJSON(_ args: [String]) throws -> [String: Any] {
    let r = try CLI.run(["run", "--json"] + args)
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
  }

  func testADaemonWithASIGTERMHandlerRemovesItsPidFile() throws {
    let pidFile = temporaryFile("daemon.pid")
    defer { unlink(pidFile) }
    // The daemon writes its pid file, then sleeps holding the run's stdout and stderr; on SIGTERM
    // it removes the file and exits. Its line is one write: print() writes the text and the newline
    // apart under PYTHONUNBUFFERED, and the script's `started` could land between them.
    let daemon = """
      import os, signal, sys, time
      def stop(*_):
          os.unlink(sys.argv[1]); sys.exit(0)
      signal.signal(signal.SIGTERM, stop)
      open(sys.argv[1], 'w').write(str(os.getpid()))
      os.write(1, b'daemon up\\n')
      while True: time.sleep(1)
      """
    let script = "python3 -c \"$1\" \"$2\" & while [ ! -s \"$2\" ]; do sleep 0.01; done; echo started"
    let obj = try runJSON(["--grace", "2", "--on-leak=kill", "--", "/bin/sh", "-c", script, "sh", daemon, pidFile])
    let killed = obj["killed"] as? [Int] ?? []
    defer { for p in killed where isAlive(Int32(p)) { kill(Int32(p), SIGKILL) } }
    XCTAssertEqual(killed.count, 1, "\(obj)")
    XCTAssertEqual(obj["sigkilled"] as? [Int], [], "the daemon needed SIGKILL: \(obj)")
    XCTAssertTrue(eventually { !isAlive(Int32(killed[0])) })
    XCTAssertFalse(FileManager.default.fileExists(atPath: pidFile), "the daemon did not get to remove its pid file")
    XCTAssertEqual(obj["stdout"] as? String, "daemon up\nstarted\n")
  }

  func testAHolderThatIgnoresSIGTERMGetsSIGKILLAfterTheGrace() throws {
    // An ignored signal stays ignored across exec: this sleep cannot be ended by SIGTERM.
    let obj = try runJSON(["--grace", "0.3", "--on-leak=kill", "-c", "(trap '' TERM; exec sleep 300) & echo started"])
    let killed = obj["killed"] as? [Int] ?? []
    defer { for p in killed where isAlive(Int32(p)) { kill(Int32(p), SIGKILL) } }
    XCTAssertEqual(killed.count, 1, "\(obj)")
    XCTAssertEqual(obj["sigkilled"] as? [Int], killed)
    XCTAssertTrue(eventually { !isAlive(Int32(killed[0])) })
  }
}
