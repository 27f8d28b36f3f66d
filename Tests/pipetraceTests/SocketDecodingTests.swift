import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// -yy, side by side with strace -yy (Debian's 6.1, the one users here compare with) on a program
/// that makes every kind of socket -yy decodes (Tests/Fixtures/sockets.c).
final class SocketDecodingTests: XCTestCase {
  static let strace = "/usr/bin/strace"

  /// Runs `tool ARGS -f -o TRACE FIXTURE SOCKET_PATH` and returns the trace (the socket path is the
  /// same for every run, so it reads the same in every trace).
  func trace(_ tool: String, _ args: [String], fixture: String, socketPath: String) throws -> String {
    let out = temporaryFile("yy.txt")
    defer { unlink(out) }
    let separator = tool == CLI.binary ? ["--"] : []
    let r = try runProgram(tool, args + ["-f", "-o", out] + separator + [fixture, socketPath])
    XCTAssertEqual(r.status, 0, "\(tool): \(r.stderr)")
    return try String(contentsOfFile: out, encoding: .utf8)
  }

  /// Each syscall line as its name and the fd annotations in it (`3<UNIX-STREAM:[1234->1235]>`),
  /// every number in an annotation replaced by the order of its first appearance in the trace
  /// (`#1`, `#2`, …): inodes, ports and pids differ by run, but which socket is whose peer, which
  /// fd is which socket, and that a number recurs, do not.
  static func annotations(_ trace: String) -> [String] {
    var numbers: [Substring: Int] = [:]
    func normalized(_ s: Substring) -> String {
      var out = "", digits: Substring = ""
      func flush() {
        guard !digits.isEmpty else { return }
        if numbers[digits] == nil { numbers[digits] = numbers.count + 1 }
        out += "#\(numbers[digits]!)"
        digits = ""
      }
      var i = s.startIndex
      while i < s.endIndex {
        if s[i].isASCII && s[i].isNumber {
          digits = digits.isEmpty ? s[i...i] : s[digits.startIndex...i]
        } else {
          flush()
          out.append(s[i])
        }
        i = s.index(after: i)
      }
      flush()
      return out
    }
    var lines: [String] = []
    for line in trace.split(separator: "\n") {
      guard let call = line.firstMatch(of: #/^\d+ +([a-z0-9_]+)\(/#) else { continue }
      // `FD<...>` with nested <…> and quoted strings inside, as -yy prints them.
      var found: [String] = []
      let chars = Array(line)
      var i = 0
      while i < chars.count {
        guard chars[i] == "<", i > 0, chars[i - 1].isNumber else {
          i += 1
          continue
        }
        var start = i - 1
        while start > 0 && chars[start - 1].isNumber { start -= 1 }
        var depth = 0, j = i, inString = false
        while j < chars.count {
          let c = chars[j]
          if inString {
            if c == "\\" { j += 1 } else if c == "\"" { inString = false }
          } else if c == "\"" {
            inString = true
          } else if c == "<" {
            depth += 1
          } else if c == ">" && !(chars[j - 1] == "-" && j + 1 < chars.count && (chars[j + 1].isNumber || chars[j + 1] == "[")) {
            depth -= 1
            if depth == 0 { break }
          }
          j += 1
        }
        found.append(String(chars[start...min(j, chars.count - 1)]))
        i = j + 1
      }
      if !found.isEmpty {
        lines.append(call.output.1 + " " + found.map { normalized($0[...]) }.joined(separator: " "))
      }
    }
    return lines
  }

  func fixturePaths() throws -> (fixture: String, socketPath: String) {
    (try compileFixture("sockets"), NSTemporaryDirectory() + "pipetrace-yy-\(getpid()).sock")
  }

  /// Every socket decoded as strace 6.1 -yy decodes it, fd by fd: socketpair ends naming each
  /// other, a listener and an accepted socket with the bound path, an abstract name, TCP and UDP on
  /// 127.0.0.1 and ::1 (a listener with its address only, a UDP socket without an address as
  /// `UDP:[INODE]` until it is connected), netlink with its protocol and port; a pipe as with -y,
  /// /dev/null with its device numbers, a pidfd by its process.
  func testSocketsDecodedAsStraceDoes() throws {
    let (fixture, socketPath) = try fixturePaths()
    let ours = try trace(CLI.binary, ["-yy", "-e", "trace=read,write"], fixture: fixture, socketPath: socketPath)
    let v6 = !ours.contains("no IPv6")
    // What is known without strace: each shape is there.
    var shapes = [
      #"write\(3<UNIX-STREAM:\[(\d+)->(\d+)\]>"#, #"read\(4<UNIX-STREAM:\[\d+->\d+\]>"#,
      #"<UNIX-STREAM:\[\d+,"\#(socketPath)"\]>"#, #"<UNIX-STREAM:\[\d+->\d+,"\#(socketPath)"\]>"#,
      #"<UNIX:\[\d+,@"pipetrace-yy\\"test"\]>"#, #"<TCP:\[127\.0\.0\.1:\d+\]>"#,
      #"<TCP:\[127\.0\.0\.1:\d+->127\.0\.0\.1:\d+\]>"#, #"write\(\d+<UDP:\[\d+\]>, "x", 1\) += -1 EDESTADDRREQ"#,
      #"<UDP:\[127\.0\.0\.1:\d+->127\.0\.0\.1:\d+\]>"#, #"<NETLINK:\[ROUTE:\d+\]>"#, #"<pipe:\[\d+\]>"#,
      #"</dev/null<char 1:3>>"#, #"read\(\d+<pid:\d+>"#,
    ]
    if v6 {
      shapes += [#"<TCPv6:\[\[::1\]:\d+->\[::1\]:\d+\]>"#, #"<TCPv6:\[\[::1\]:\d+\]>"#, #"<UDPv6:\[\[::1\]:\d+->\[::1\]:\d+\]>"#]
    }
    for shape in shapes {
      XCTAssertNotNil(ours.range(of: shape, options: .regularExpression), "\(shape) not in:\n\(ours)")
    }
    // The socketpair's ends name each other.
    let pair = try XCTUnwrap(ours.firstMatch(of: #/write\(3<UNIX-STREAM:\[(\d+)->(\d+)\]>/#))
    XCTAssertTrue(ours.contains("read(4<UNIX-STREAM:[\(pair.output.2)->\(pair.output.1)]>"), ours)

    try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.strace), "strace is not installed")
    let theirs = try trace(Self.strace, ["-yy", "-e", "trace=read,write"], fixture: fixture, socketPath: socketPath)
    XCTAssertEqual(Self.annotations(ours), Self.annotations(theirs), "ours:\n\(ours)\nstrace:\n\(theirs)")
    XCTAssertGreaterThanOrEqual(Self.annotations(ours).count, v6 ? 26 : 20)
  }

  /// -yyy is -yy, as in strace; -y alone prints the links.
  func testMoreYsAreYYAndOneIsTheLink() throws {
    let (fixture, socketPath) = try fixturePaths()
    let yyy = try trace(CLI.binary, ["-yyy", "-e", "trace=write"], fixture: fixture, socketPath: socketPath)
    XCTAssertTrue(yyy.contains("write(3<UNIX-STREAM:["), yyy)
    let y = try trace(CLI.binary, ["-y", "-e", "trace=write"], fixture: fixture, socketPath: socketPath)
    XCTAssertNotNil(y.range(of: #"write\(3<socket:\[\d+\]>"#, options: .regularExpression), y)
    XCTAssertTrue(y.contains("</dev/null>"), y)
    if FileManager.default.isExecutableFile(atPath: Self.strace) {
      let theirs = try trace(Self.strace, ["-yyy", "-e", "trace=write"], fixture: fixture, socketPath: socketPath)
      XCTAssertEqual(Self.annotations(yyy), Self.annotations(theirs))
    }
  }

  /// --json -yy: each fds entry keeps its link in `path` and gains `socket`, `device` or `pid`;
  /// the report reads the trace back. Without -yy there is none of them.
  func testJSONCarriesTheSocketText() throws {
    let (fixture, socketPath) = try fixturePaths()
    let out = temporaryFile("yy.jsonl")
    defer { unlink(out) }
    let r = try CLI.run(["--json", "-yy", "-e", "trace=read,write", "-o", out, "--", fixture, socketPath])
    XCTAssertEqual(r.status, 0, r.stderr)
    let entries = try JSONLines.read(out).flatMap { ($0["fds"] as? [[String: Any]]) ?? [] }
    let sockets = entries.filter { $0["socket"] != nil }
    XCTAssertTrue(sockets.allSatisfy { $0["kind"] as? String == "socket" && ($0["path"] as? String)?.hasPrefix("socket:[") == true && $0["inode"] is Int }, "\(sockets)")
    let texts = sockets.compactMap { $0["socket"] as? String }
    XCTAssertTrue(texts.contains { $0.range(of: #"^TCP:\[127\.0\.0\.1:\d+->127\.0\.0\.1:\d+\]$"# , options: .regularExpression) != nil }, "\(texts)")
    XCTAssertTrue(texts.contains { $0.hasPrefix("UNIX-STREAM:[") && $0.hasSuffix(",\"\(socketPath)\"]") }, "\(texts)")
    // A UNIX socket's text starts with the inode of its path.
    for s in sockets where (s["socket"] as? String)?.hasPrefix("UNIX") == true {
      XCTAssertTrue((s["socket"] as! String).contains(":[\(s["inode"] as! Int)"), "\(s)")
    }
    XCTAssertTrue(entries.contains { $0["path"] as? String == "/dev/null" && $0["device"] as? String == "char 1:3" }, "\(entries)")
    XCTAssertTrue(entries.contains { $0["kind"] as? String == "anon" && ($0["pid"] as? Int ?? 0) > 0 }, "\(entries)")
    let report = try CLI.run(["report", out])
    XCTAssertEqual(report.status, 0, report.stderr)
    XCTAssertFalse(report.stdout.contains("Unreadable"), report.stdout)

    let plain = try CLI.run(["--json", "-e", "trace=read,write", "-o", out, "--", fixture, socketPath])
    XCTAssertEqual(plain.status, 0, plain.stderr)
    let text = try String(contentsOfFile: out, encoding: .utf8)
    XCTAssertFalse(text.contains("\"socket\":") || text.contains("\"device\":"), text)
  }
}
