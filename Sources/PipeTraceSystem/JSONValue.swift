/// A minimal JSON value and writer (no Foundation: `why` starts fast): how every JSON document
/// pipetrace writes is built (`why`, `run --json`, `report --format json`), strings escaped by
/// `JSONString`, numbers written by `NumberText`. The one exception is the `--json` trace, streamed
/// byte by byte (`JSONLinesWriter`): a line per syscall, no tree.
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int64)
  case uint(UInt64)
  /// A number written with a fixed count of decimals (seconds: `12.345`).
  case fixed(Double, places: Int)
  /// A time or duration in seconds, as short as exact (`NumberText.seconds`: `2.0`, `0.000123`);
  /// `null` when not finite.
  case seconds(Double)
  case string(String)
  /// Bytes that need not be UTF-8: a string when they are, else `{"hex":"ff80"}` (`JSONString.bytes`).
  case bytes([UInt8])
  case array([JSONValue])
  /// Keys keep their order.
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool { a.text == b.text }

  /// Compact JSON text.
  public var text: String {
    var out = ""
    write(into: &out)
    return out
  }

  func write(into out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .uint(let u): out += String(u)
    case .fixed(let value, let places): out += NumberText.fixed(value, places: places)
    case .seconds(let d): out += d.isFinite ? NumberText.seconds(d) : "null"
    case .string(let s): out += JSONString.quoted(s)
    case .bytes(let b): out += JSONString.bytes(b)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(into: &out)
      }
      out += "]"
    case .object(let fields):
      out += "{"
      for (i, (key, value)) in fields.enumerated() {
        if i > 0 { out += "," }
        out += JSONString.quoted(key)
        out += ":"
        value.write(into: &out)
      }
      out += "}"
    }
  }
}
