/// Linux signal names as strace prints them, from the kernel's headers (through the C shim).
public enum Signals {
  /// Index = signal number; "" for 0.
  static let names: [String] = {
    var n = [String](repeating: "", count: 32)
    for e in Xlat.signals.entries where e.value < 32 { n[Int(e.value)] = e.name }
    return n
  }()

  /// The first real-time signal the kernel numbers (SIGRTMIN before libc reserves any).
  static let realtimeBase: Int32 = 32
  static let realtimeMax: Int32 = 64

  /// strace's signame: `SIGTERM`, `SIGRT_2`; nil for 0 and numbers that are no signal.
  public static func knownName(_ sig: Int32) -> String? {
    if sig > 0 && Int(sig) < names.count { return names[Int(sig)] }
    if sig >= realtimeBase && sig <= realtimeMax { return "SIGRT_\(sig - realtimeBase)" }
    return nil
  }

  /// The name, or the number when the signal has none (`+++ killed by SIGKILL +++`).
  public static func name(_ sig: Int32) -> String { knownName(sig) ?? String(sig) }

  /// strace's printsignal under -X: `SIGHUP`, `1`, `1 /* SIGHUP */`.
  package static func printed(_ sig: Int32, style: XlatStyle) -> String {
    guard let name = knownName(sig) else { return String(sig) }
    switch style {
    case .abbrev: return name
    case .raw: return String(sig)
    case .verbose: return "\(sig) /* \(name) */"
    }
  }

  /// The number of a name (`SIGTERM`, `TERM`, `SIGRT_2`, `15`).
  public static func number(_ name: String) -> Int32? {
    let n = (name.hasPrefix("SIG") ? name : "SIG" + name).uppercased()
    if let i = names.firstIndex(of: n), i > 0 { return Int32(i) }
    if n.hasPrefix("SIGRT_"), let k = Int32(n.dropFirst(6)), k >= 0, k <= realtimeMax - realtimeBase {
      return realtimeBase + k
    }
    if n == "SIGRTMIN" { return realtimeBase }
    if n == "SIGIOT" { return 6 }
    if n == "SIGPOLL" { return 29 }
    return Int32(name)
  }

  /// A signal mask as strace prints it: `[HUP CHLD]`, or `~[KILL STOP]` when two thirds or more of
  /// the bits are set. `words` are the mask's 32-bit words.
  package static func mask(_ words: [UInt32], style: XlatStyle) -> String {
    let bits = words.count * 32
    let setCount = words.reduce(0) { $0 + $1.nonzeroBitCount }
    let inverted = setCount >= bits * 2 / 3 && bits > 0
    var out = inverted ? "~[" : "["
    var first = true
    for bit in 0..<bits where (words[bit / 32] >> UInt32(bit % 32)) & 1 == (inverted ? 0 : 1) {
      let sig = Int32(bit + 1)
      if !first { out += " " }
      first = false
      let short: String
      if let n = knownName(sig) {
        short = n.hasPrefix("SIG") ? String(n.dropFirst(3)) : n
      } else {
        short = String(sig)
      }
      switch style {
      case .abbrev: out += short
      case .raw: out += String(sig)
      case .verbose: out += "\(sig) /* \(short) */"
      }
    }
    return out + "]"
  }
}
