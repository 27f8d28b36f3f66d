/// A small JSON text builder for the report outputs (no Foundation: the numbers stay exact and fast).
struct JSONText {
  private(set) var text = ""

  mutating func raw(_ s: String) { text += s }

  static func quoted(_ s: String) -> String {
    var out = ""
    JSONValue.quote(s, into: &out)
    return out
  }

  static func number(_ d: Double) -> String {
    guard d.isFinite else { return "null" }
    return String(format6: d)
  }

  static func ref(_ r: EventRef?) -> String {
    guard let r else { return "null" }
    return "{\"pid\":\(r.pid),\"event\":\(quoted(r.event)),\"ts\":\(number(r.ts))}"
  }
}

extension String {
  /// Seconds with microsecond precision, trailing zeros kept short: `1.018823`, `0.5`.
  init(format6 d: Double) {
    let micros = (d * 1_000_000).rounded()
    if !micros.isFinite || abs(micros) >= 9e15 {
      self = String(d)
      return
    }
    let m = Int64(micros)
    let sign = m < 0 ? "-" : ""
    let a = abs(m)
    var frac = String(a % 1_000_000)
    frac = String(repeating: "0", count: 6 - frac.count) + frac
    while frac.count > 1 && frac.hasSuffix("0") { frac.removeLast() }
    self = "\(sign)\(a / 1_000_000).\(frac)"
  }
}

/// Human units for durations: `1.02 s`, `250 ms`, `12 µs`.
func humanDuration(_ d: Double) -> String {
  if d >= 1 { return String(fixed: d, places: 3) + " s" }
  if d >= 0.001 { return String(fixed: d * 1000, places: 1) + " ms" }
  return String(fixed: d * 1_000_000, places: 0) + " µs"
}

extension String {
  init(fixed d: Double, places: Int) {
    guard d.isFinite, abs(d) < 1e15 else {
      self = d.isFinite ? String(d) : "?"
      return
    }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let v = (d * scale).rounded() / scale
    let whole = Int64(v.rounded(.towardZero))
    if places == 0 {
      self = String(Int64(v))
      return
    }
    var frac = String(Int64((abs(v - Double(whole)) * scale).rounded()))
    frac = String(repeating: "0", count: Swift.max(0, places - frac.count)) + frac
    self = "\(v < 0 && whole == 0 ? "-" : "")\(whole).\(frac.prefix(places))"
  }

  func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
  func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

extension Report {
  func relative(_ ts: Double) -> String { "+" + String(fixed: ts - (traceStart ?? 0), places: 6) }

  func programName(_ pid: Int32) -> String {
    programNames[pid] ?? ""
  }

  func statusText(_ p: ProcessInfo) -> String {
    if let s = p.signal { return "killed by \(Signals.name(s))\(p.coreDumped ? " (core dumped)" : "")" }
    if let c = p.exitCode { return "exit \(c)" }
    return p.end == nil ? "running at end" : "ended"
  }
}
