/// A set in strace's `-e QUALIFIER=SET` syntax: `[!]...VALUE[,VALUE]...`, `all` or `none`. Each leading
/// `!` inverts what follows; the values are numbers (signals, fds, statuses) named as the qualifier
/// says. strace keeps the same shape for every qualifier (basic_filters.c, qualify_tokens).
public struct QualifierSet: Sendable, Equatable {
  public var members: Set<Int>
  /// True: every number except `members`.
  public var negated: Bool

  public init(_ members: Set<Int> = [], negated: Bool = false) {
    self.members = members
    self.negated = negated
  }

  public static let all = QualifierSet(negated: true)
  public static let none = QualifierSet()

  public func contains(_ n: Int) -> Bool { members.contains(n) != negated }

  /// `qualifier` and `what` name the set in errors ("invalid signal 'FOO' in -e signal=FOO").
  /// `value` turns one token into its number, nil when it is not one.
  public static func parse(_ text: String, qualifier: String, what: String, value: (Substring) -> Int?)
    throws(QualifierError) -> QualifierSet
  {
    var set = QualifierSet()
    var rest = Substring(text)
    while rest.first == "!" {
      set.negated.toggle()
      rest = rest.dropFirst()
    }
    if rest == "none" { return set }
    if rest == "all" {
      set.negated.toggle()
      return set
    }
    let tokens = rest.split(separator: ",", omittingEmptySubsequences: true)
    if tokens.isEmpty { throw QualifierError("invalid \(what) '\(text)' in -e \(qualifier)=\(text)") }
    for token in tokens {
      guard let n = value(token) else {
        throw QualifierError("invalid \(what) '\(token)' in -e \(qualifier)=\(text)")
      }
      set.members.insert(n)
    }
    return set
  }
}

/// A `-e` expression or strace option that cannot be applied: printed as the one-line error.
public struct QualifierError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// The tokens of `-e signal=SET`: a number up to 255 or a name with or without `SIG`, any case
/// (strace's sigstr_to_uint).
public enum SignalToken {
  public static func number(_ token: Substring) -> Int? {
    if let first = token.first, first.isASCII, first.isNumber {
      guard let n = Int(token), n <= 255 else { return nil }
      return n
    }
    let upper = token.uppercased()
    let name = upper.hasPrefix("SIG") ? upper : "SIG" + upper
    for sig in Int32(1)...64 where Signals.name(sig) == name { return Int(sig) }
    return nil
  }
}
