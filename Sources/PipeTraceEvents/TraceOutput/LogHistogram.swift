/// Durations in logarithmic buckets (8 per power of two, ~9% wide): percentiles in fixed memory.
/// Only the buckets from the shortest to the longest duration seen are stored (a report keeps one
/// histogram per syscall per process: thousands of them).
public struct LogHistogram: Sendable {
  /// `counts[k]` is bucket `first + k`.
  private var counts: [UInt32] = []
  private var first = 0
  public private(set) var count = 0
  public private(set) var max = 0.0
  public private(set) var min = Double.infinity

  public init() {}

  private static let subBuckets = 8
  /// 2^-30 s (about 1 ns) is bucket 0.
  private static let minExponent = -30

  @inline(__always) static func bucket(_ d: Double) -> Int {
    guard d > 0, d.isFinite else { return 0 }
    let e = Int(d.exponent) - minExponent
    if e < 0 { return 0 }
    let sub = Int((d.significand - 1) * Double(subBuckets))
    return e * subBuckets + sub
  }

  public mutating func add(_ d: Double) {
    let b = Self.bucket(d)
    if counts.isEmpty {
      first = b
      counts = [0]
    } else if b < first {
      counts.insert(contentsOf: repeatElement(0, count: first - b), at: 0)
      first = b
    } else if b - first >= counts.count {
      counts.append(contentsOf: repeatElement(0, count: b - first + 1 - counts.count))
    }
    counts[b - first] &+= 1
    count += 1
    if d > max { max = d }
    if d < min { min = d }
  }

  /// The upper edge of the bucket holding the q-quantile, clamped to the observed range.
  public func quantile(_ q: Double) -> Double {
    guard count > 0 else { return 0 }
    let rank = Swift.max(1, Int((q * Double(count)).rounded(.up)))
    var seen = 0
    for (k, c) in counts.enumerated() where c > 0 {
      let b = first + k
      seen += Int(c)
      if seen >= rank {
        let e = b / Self.subBuckets + Self.minExponent
        let sub = b % Self.subBuckets
        let upper = Double(sign: .plus, exponent: e, significand: 1 + Double(sub + 1) / Double(Self.subBuckets))
        return Swift.min(Swift.max(upper, min), max)
      }
    }
    return max
  }
}
