/// One output stream of a `run` as kept: at most `keep` bytes in memory, its first and its last
/// `keep / 2`; what lies between is in a spill file when one was asked for, else left out (counted).
public struct CapturedOutput: Sendable {
  /// The first bytes (the whole stream when nothing was cut).
  public var head: [UInt8] = []
  /// The last bytes, after `head` (and after what was left out, when something was).
  public var tail: [UInt8] = []
  /// Bytes the command wrote to the stream.
  public var total = 0
  /// Everything after `head`, when the stream did not fit in memory and spilling was asked for.
  public var spill: SpillFile?
  /// Why the spill file could not take the stream (then the middle is left out).
  public var spillError: String?

  public init() {}

  /// Bytes between `head` and `tail`, not in memory.
  public var notInMemory: Int { total - head.count - tail.count }

  /// Bytes neither in memory nor in the spill file: cut from what is printed.
  public var lost: Int { spill != nil ? 0 : notInMemory }

  /// Writes out the stream: the whole of it, or, when its middle was left out, the head and tail.
  public func write(to fd: Int32) throws(Errno) {
    try writeAll(fd, head)
    if let spill {
      try spill.copy(to: fd)
    } else {
      try writeAll(fd, tail)
    }
  }
}

/// Takes a stream's bytes as they are read: keeps the head, a ring of the latest bytes, the total,
/// and (when asked) writes everything past the head to a spill file once the ring overflows; with
/// `tee`, passes every byte on to `teeFd` as it comes. Memory never grows past `keep` bytes.
package final class OutputCapture {
  private let headLimit: Int
  private let tailLimit: Int
  private var head: [UInt8] = []
  private var ring: [UInt8]
  private var ringStart = 0
  private var ringCount = 0
  private var total = 0
  private var wantsSpill: Bool
  private var spill: SpillFile?
  private var spillError: String?
  private let name: String
  private let teeFd: Int32?
  /// Set when passing the output on failed (reported once; the stream is still read and kept).
  private(set) var teeError: Errno?

  /// `name` (stdout, stderr) names the stream in messages.
  package init(name: String, keep: Int, spill: Bool, teeFd: Int32?) {
    self.name = name
    headLimit = keep - keep / 2
    tailLimit = keep / 2
    ring = []
    wantsSpill = spill
    self.teeFd = teeFd
  }

  package func take(_ bytes: UnsafeRawBufferPointer) {
    guard !bytes.isEmpty else { return }
    total += bytes.count
    if let teeFd, teeError == nil {
      do throws(Errno) {
        try writeAll(teeFd, bytes)
      } catch {
        teeError = error
        printError("pipetrace: \(name): \(error.message)")
      }
    }
    var rest = bytes[...]
    if head.count < headLimit {
      let n = min(headLimit - head.count, rest.count)
      head.append(contentsOf: rest.prefix(n))
      rest = rest.dropFirst(n)
    }
    guard !rest.isEmpty else { return }
    let after = UnsafeRawBufferPointer(rebasing: rest)
    if spill == nil && wantsSpill && ringCount + after.count > tailLimit {
      startSpill()
    }
    if let file = spill {
      do throws(Errno) {
        try file.append(after)
      } catch {
        abandonSpill("\(file.directory): \(error.message)")
      }
    }
    keepInRing(after)
  }

  /// The ring overflows: from now on everything past the head goes to a file as well.
  private func startSpill() {
    wantsSpill = false
    do throws(Errno) {
      let file = try SpillFile()
      try file.append(orderedRing())
      spill = file
    } catch {
      abandonSpill("cannot create a file in \(SpillFile.temporaryDirectory): \(error.message)")
    }
  }

  private func abandonSpill(_ why: String) {
    spill = nil
    spillError = why
  }

  private func keepInRing(_ bytes: UnsafeRawBufferPointer) {
    guard tailLimit > 0 else { return }
    if ring.count < tailLimit && ring.count == ringCount && ringStart == 0 {
      // Still filling for the first time: plain appends.
      let n = min(tailLimit - ring.count, bytes.count)
      ring.append(contentsOf: bytes.prefix(n))
      ringCount = ring.count
      if n == bytes.count { return }
      keepInRing(UnsafeRawBufferPointer(rebasing: bytes[n...]))
      return
    }
    if bytes.count >= tailLimit {
      ring = Array(bytes.suffix(tailLimit))
      ringStart = 0
      ringCount = tailLimit
      return
    }
    // Full ring: overwrite the oldest bytes, wrapping at the end.
    var at = (ringStart + ringCount) % tailLimit
    ring.withUnsafeMutableBytes { r in
      var src = bytes[...]
      while !src.isEmpty {
        let n = min(tailLimit - at, src.count)
        UnsafeMutableRawBufferPointer(rebasing: r[at..<(at + n)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: src.prefix(n)))
        src = src.dropFirst(n)
        at = (at + n) % tailLimit
      }
    }
    let overflow = max(0, ringCount + bytes.count - tailLimit)
    ringCount = min(tailLimit, ringCount + bytes.count)
    ringStart = (ringStart + overflow) % tailLimit
  }

  private func orderedRing() -> [UInt8] {
    guard ringCount > 0 else { return [] }
    if ringStart + ringCount <= ring.count { return Array(ring[ringStart..<(ringStart + ringCount)]) }
    return Array(ring[ringStart...]) + Array(ring[..<((ringStart + ringCount) % ring.count)])
  }

  /// What was kept, and the spill file that holds the rest (handed over).
  package func finish() -> CapturedOutput {
    var out = CapturedOutput()
    out.head = head
    out.tail = orderedRing()
    out.total = total
    out.spill = spill
    out.spillError = spillError
    return out
  }
}
