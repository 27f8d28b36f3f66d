/// Pieces of the report's JSON outputs (strings go through `JSONString`, numbers through `NumberText`).
enum JSONText {
  /// A time or duration in seconds; `null` when not finite.
  static func number(_ d: Double) -> String {
    guard d.isFinite else { return "null" }
    return NumberText.seconds(d)
  }

  static func ref(_ r: EventRef?) -> String {
    guard let r else { return "null" }
    return "{\"pid\":\(r.pid),\"event\":\(JSONString.quoted(r.event)),\"ts\":\(number(r.ts))}"
  }
}
