/// A saved trace read as the same `Event` stream a live trace produces, one event at a time.
public protocol TraceReader: AnyObject {
  /// The next event; nil at the end of the trace. Unreadable lines are counted, not thrown.
  func next() -> Event?
  var badLines: BadLines { get }
  /// The precision of the trace's timestamps, seconds (1 for `strace -t`).
  var timeResolution: Double { get }
  /// false for a strace log without -t/-tt/-ttt/-r: times are then line order, not clock time.
  var hasTimestamps: Bool { get }
  /// Calls `body` with every event left, in order (a reader may lend them without copying).
  func forEachEvent(_ body: (borrowing Event) -> Void)
}

extension TraceReader {
  public func forEachEvent(_ body: (borrowing Event) -> Void) {
    while let e = next() { body(e) }
  }

  public var timeResolution: Double { 0.000001 }
  public var hasTimestamps: Bool { true }
}

extension Errno {
  /// Any name strace or pipetrace prints, including the kernel's restart codes (`ERESTARTSYS`).
  public init(anyName name: String) {
    if let e = Errno(name: name) {
      self = e
    } else if let (value, _) = Errno.kernelInternal.first(where: { $0.value == name }) {
      self.init(value)
    } else if name.hasPrefix("E"), let n = Int32(name.dropFirst()) {
      self.init(n)
    } else {
      self.init(0)
    }
  }
}

/// si_code names ↔ numbers (the inverse of what strace prints in `--- SIG… {si_code=…} ---`).
enum SignalCodes {
  static let byName: [String: Int32] = {
    var d: [String: Int32] = [:]
    for table in [Xlat.siCodes, .cldCodes, .segvCodes, .busCodes, .illCodes, .fpeCodes, .trapCodes, .pollCodes, .sysCodes] {
      for e in table.entries where d[e.name] == nil { d[e.name] = Int32(truncatingIfNeeded: Int64(bitPattern: e.value)) }
    }
    return d
  }()

  static func number(_ name: String) -> Int32 {
    byName[name] ?? Int32(name) ?? 0
  }
}
