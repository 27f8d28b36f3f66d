import Foundation
import XCTest

import PipeTraceKit

/// What `run` keeps of a stream, fed in chunks of every size: the head, the tail, the total, and in
/// the spill file everything after the head.
final class OutputCaptureTests: XCTestCase {
  func testHeadTailAndSpillMatchTheStreamForAnyChunking() throws {
    var generator = SystemRandomNumberGenerator()
    for round in 0..<200 {
      let keep = [2, 3, 7, 64, 1000][round % 5]
      let size = Int.random(in: 0...5000, using: &generator)
      let stream = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
      let spill = round % 2 == 0
      let capture = OutputCapture(name: "stdout", keep: keep, spill: spill, teeFd: nil)
      var at = 0
      while at < size {
        let n = min(size - at, Int.random(in: 1...(keep * 3), using: &generator))
        stream[at..<(at + n)].withUnsafeBytes { capture.take($0) }
        at += n
      }
      let out = capture.finish()
      let headCount = min(size, keep - keep / 2)
      let tailCount = min(size - headCount, keep / 2)
      XCTAssertEqual(out.total, size)
      XCTAssertEqual(out.head, Array(stream.prefix(headCount)), "round \(round)")
      XCTAssertEqual(out.tail, Array(stream.suffix(tailCount)), "round \(round)")
      XCTAssertEqual(out.notInMemory, size - headCount - tailCount)
      if spill && out.notInMemory > 0 {
        let file = try XCTUnwrap(out.spill, "round \(round)")
        XCTAssertEqual(out.lost, 0)
        // Printed, the stream comes out whole.
        let path = NSTemporaryDirectory() + "capture-\(getpid())-\(round)"
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { unlink(path) }
        let fd = open(path, O_WRONLY)
        try out.write(to: fd)
        close(fd)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), stream, "round \(round)")
        XCTAssertEqual(file.size, size - headCount)
      } else {
        XCTAssertNil(out.spill)
        XCTAssertEqual(out.lost, out.notInMemory)
      }
    }
  }
}
