/// A minimal JSON value and writer (no Foundation: `why` starts fast).
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int64)
  /// A number written with a fixed count of decimals (seconds: `12.345`).
  case fixed(Double, places: Int)
  case string(String)
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
    case .fixed(let value, let places): out += NumberText.fixed(value, places: places)
    case .string(let s): out += JSONString.quoted(s)
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
