#if canImport(Glibc)
import Glibc
#endif

/// Numbers as text, one implementation of each form, shared by the trace lines (-T, -ttt, -r), the
/// JSON writers, the reports and run's log line. Fixed-point forms are built from whole integers
/// (value × 10^places, rounded), so no binary fraction leaks into a printed digit; only strace's
/// -c table rounds as C's printf does (`printf(places:)`), to match strace's columns exactly.
public enum NumberText {
  /// Lower-case hex digits (JSON's \u00XX, strace's \xXX).
  static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  /// `\NNN`, a byte in octal as C, strace and bash's `$'...'` read it (up to three digits): the
  /// shortest form, three digits when an octal digit follows (`next`), so that digit cannot be
  /// read as part of the escape (byte 1 then `2` is `\0012`; `\12` would be a newline).
  @inline(__always)
  static func appendOctalEscape(_ b: UInt8, next: UInt8?, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\\"))
    let full = next.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") } ?? false
    if full || b >= 0o100 { out.append(UInt8(ascii: "0") + b >> 6) }
    if full || b >= 0o10 { out.append(UInt8(ascii: "0") + (b >> 3) & 7) }
    out.append(UInt8(ascii: "0") + b & 7)
  }

  /// Decimal digits of `value`, zero-padded to at least `width`.
  @inline(__always)
  package static func appendDecimal(_ value: UInt64, width: Int = 1, to out: inout [UInt8]) {
    if value < 10 && width <= 1 {
      out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
      return
    }
    var digits = 1
    var limit: UInt64 = 10
    while digits < 20 && value >= limit {
      digits += 1
      limit = limit &* 10
    }
    let count = max(digits, width)
    let start = out.count
    out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
    var v = value
    var i = start + count - 1
    while v > 0 {
      out[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
      v /= 10
      i -= 1
    }
  }

  /// `value` with exactly `places` decimals (`1.500`, `-0.25`, `3` for no places). Beyond the
  /// integers a Double holds exactly (|value| × 10^places ≥ 9e15) it is written as Swift prints a
  /// Double; a NaN or an infinity as `?`.
  package static func appendFixed(_ value: Double, places: Int, to out: inout [UInt8]) {
    var scale: UInt64 = 1
    for _ in 0..<places { scale &*= 10 }
    let scaled = (value * Double(scale)).rounded()
    guard abs(scaled) < 9e15 else {
      out.append(contentsOf: (value.isFinite ? String(value) : "?").utf8)
      return
    }
    if scaled < 0 { out.append(UInt8(ascii: "-")) }
    let magnitude = UInt64(abs(scaled))
    appendDecimal(magnitude / scale, to: &out)
    if places > 0 {
      out.append(UInt8(ascii: "."))
      appendDecimal(magnitude % scale, width: places, to: &out)
    }
  }

  /// `value` with exactly `places` decimals.
  public static func fixed(_ value: Double, places: Int) -> String {
    var out: [UInt8] = []
    appendFixed(value, places: places, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Seconds with microsecond precision and no trailing zeros: `1.018823`, `0.5`, `100.0` (JSON
  /// numbers, the report's start time).
  public static func seconds(_ value: Double) -> String {
    var out: [UInt8] = []
    appendFixed(value, places: 6, to: &out)
    if out.contains(UInt8(ascii: ".")) && !out.contains(UInt8(ascii: "e")) {
      while out.last == UInt8(ascii: "0") && out[out.count - 2] != UInt8(ascii: ".") { out.removeLast() }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// A duration in human units: `1.020 s`, `250.0 ms`, `12 µs`.
  public static func duration(_ value: Double) -> String {
    if value >= 1 { return fixed(value, places: 3) + " s" }
    if value >= 0.001 { return fixed(value * 1000, places: 1) + " ms" }
    return fixed(value * 1_000_000, places: 0) + " µs"
  }

  /// C's `%.Nf`: the exact binary value rounded to `places` decimals (strace -c's columns).
  package static func printf(places: Int, _ value: Double) -> String {
    withVaList([Int32(places), value]) { args in
      withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf in
        let n = vsnprintf(buf.baseAddress, buf.count, "%.*f", args)
        let count = max(0, min(Int(n), buf.count - 1))
        return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress, count: count), as: UTF8.self)
      }
    }
  }

  /// `0x1f`.
  public static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
