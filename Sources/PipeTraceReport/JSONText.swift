/// A number of the report's JSON and HTML outputs as text (`JSONValue.seconds` is the same).
enum JSONText {
  /// A time or duration in seconds; `null` when not finite.
  static func number(_ d: Double) -> String { JSONValue.seconds(d).text }
}
