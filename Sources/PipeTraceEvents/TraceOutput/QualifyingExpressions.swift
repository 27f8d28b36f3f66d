/// strace's `-e [QUALIFIER=]SET` expressions, sorted by qualifier (the names and aliases are strace's
/// qual_options). Without `QUALIFIER=` an expression is `trace=`. Each qualifier other than trace
/// keeps only its last set, as strace's qualify_tokens clears the set each time.
public struct QualifyingExpressions: Sendable {
  /// `trace=` values in order (the syscall selection parses them).
  public var trace: [String] = []
  public var signal: String?
  public var status: String?
  public var traceFds: String?
  public var quiet: String?

  /// One case per qualifier pipetrace knows; supporting another is one case here and one branch
  /// in `init`.
  enum Qualifier {
    case trace, signal, status, traceFds, quiet
  }

  static let names: [String: Qualifier] = [
    "trace": .trace, "t": .trace,
    "signal": .signal, "signals": .signal, "s": .signal,
    "status": .status,
    "trace-fd": .traceFds, "trace-fds": .traceFds, "fd": .traceFds, "fds": .traceFds,
    "quiet": .quiet, "silent": .quiet, "silence": .quiet, "q": .quiet,
  ]

  /// strace qualifiers pipetrace does not implement: named in the error instead of "unknown".
  static let unsupported: Set<String> = [
    "abbrev", "a", "verbose", "v", "raw", "x", "read", "reads", "r", "write", "writes", "w", "fault",
    "inject", "kvm", "decode-fd", "decode-fds", "decode-pid", "decode-pids", "secontext", "namespace",
  ]

  public init() {}

  public init(_ expressions: [String]) throws(QualifierError) {
    for expr in expressions {
      guard let eq = expr.firstIndex(of: "=") else {
        trace.append(expr)
        continue
      }
      let key = String(expr[..<eq])
      let value = String(expr[expr.index(after: eq)...])
      guard let qualifier = Self.names[key] else {
        if Self.unsupported.contains(key) {
          throw QualifierError("-e \(key)= is not supported by pipetrace")
        }
        // Not a word (`/regex=x`, `!a=b`): strace reads it as a trace= value; so does pipetrace.
        guard key.allSatisfy({ $0.isLetter || $0 == "-" }) else {
          trace.append(expr)
          continue
        }
        throw QualifierError("unknown -e qualifier '\(key)' in -e \(expr)")
      }
      switch qualifier {
      case .trace: trace.append(value)
      case .signal: signal = value
      case .status: status = value
      case .traceFds: traceFds = value
      case .quiet: quiet = value
      }
    }
  }
}
