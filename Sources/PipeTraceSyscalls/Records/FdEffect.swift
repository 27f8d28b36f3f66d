/// A finished call's `FdEffect`s, for the live fd target cache and the post-mortem ProcessModel
/// alike, so the two can never disagree: the record's arguments become integers here (decoded fds,
/// bare numbers, or flag and command names turned back into numbers with the call's own flag
/// tables) and the call's `FdRule` does the rest. (An exec's close-on-exec fds: the live cache is
/// replaced, the model handles the exec event itself.)
extension FdEffect {
  package static func of(_ r: SyscallRecord) -> [FdEffect] {
    guard r.call.isKnown else { return [] }
    let spec = SyscallCatalogue.specs[Int(r.call.index)]
    guard let rule = spec.fdRule else { return [] }
    if case .newFd = rule { return rule.effects(ret: r.ret, errno: r.errno, args: [], pair: []) }
    // Only the arguments the rule reads (an open's path and flags are not turned into numbers).
    var values = [Int64?](repeating: nil, count: r.args.count)
    let kinds = spec.args ?? []
    for i in rule.argumentsRead where i < r.args.count { values[i] = integer(r.args[i], kind: i < kinds.count ? kinds[i] : nil) }
    var pair: [Int32] = []
    if let p = rule.pairArgument, p < r.args.count, case .array(let fds, _) = r.args[p] { pair = fds.compactMap(fdNumber) }
    return rule.effects(ret: r.ret, errno: r.errno, args: values, pair: pair)
  }

  /// The fd number of an argument, decoded (`3<pipe:[1]>`) or bare.
  package static func fdNumber(_ v: ArgValue) -> Int32? {
    switch v {
    case .fd(let n, _): return n
    case .int(let n): return Int32(truncatingIfNeeded: n)
    case .uint(let n): return Int32(truncatingIfNeeded: n)
    default: return nil
    }
  }

  /// An argument's value as a number: numbers as they are, names (`O_RDONLY|O_CLOEXEC`,
  /// `F_DUPFD`, `~0`) by the tables of the argument's kind.
  package static func integer(_ v: ArgValue, kind: ArgKind?) -> Int64? {
    switch v {
    case .int(let n): return n
    case .uint(let n), .hex(let n): return Int64(truncatingIfNeeded: n)
    case .fd(let n, _): return Int64(n)
    case .symbol(let s), .raw(let s): return Xlat.value(printed: s, kind: kind)
    case .string(let b, _): return Xlat.value(printed: String(decoding: b, as: UTF8.self), kind: kind)
    default: return nil
    }
  }
}
