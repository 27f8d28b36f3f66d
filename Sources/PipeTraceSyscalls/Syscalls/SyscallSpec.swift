/// A syscall of any ABI, by its place in the catalogue (`SyscallCatalogue`): what a record, a
/// filter or a report keeps instead of the name. Two ABIs' calls of one name are one ID; the
/// number is the ABI's (`SyscallTable`). `unknown` stands for a name the catalogue does not have
/// (a record keeps that name beside it, so it still prints and round-trips).
public struct SyscallID: Hashable, Sendable, Comparable {
  public let index: UInt16

  init(index: UInt16) { self.index = index }

  public static let unknown = SyscallID(index: .max)

  /// The call of this name in the catalogue; nil for names it does not have.
  public init?(named name: String) {
    guard let id = SyscallCatalogue.idsByName[name] else { return nil }
    self = id
  }

  /// The call whose name these UTF-8 bytes spell; nil for names the catalogue does not have.
  @inline(__always)
  public init?(utf8 name: UnsafeBufferPointer<UInt8>) {
    guard let id = SyscallCatalogue.idsByName.value(utf8: name) else { return nil }
    self = id
  }

  /// In the catalogue (not `unknown`).
  @inline(__always)
  public var isKnown: Bool { index != .max }

  /// Everything the catalogue says of the call; an empty spec for `unknown`.
  @inline(__always)
  public var spec: SyscallSpec {
    isKnown ? SyscallCatalogue.specs[Int(index)] : SyscallSpec.unknown
  }

  // Asked for every event of a report: read from flat tables, not by copying a spec.
  public var name: String { isKnown ? SyscallCatalogue.names[Int(index)] : "" }
  @inline(__always)
  public var traits: SyscallTraits { isKnown ? SyscallCatalogue.traits[Int(index)] : [] }

  public static func < (a: SyscallID, b: SyscallID) -> Bool { a.index < b.index }

  // Calls the tracer and the readers name as such (the continuation of an interrupted call, the
  // one fd-closing call injection makes and the model reports): here, not spelled in consumers.
  /// restart_syscall: the kernel continuing an interrupted call.
  public static let restartSyscall = SyscallID(named: "restart_syscall")!
  public static let close = SyscallID(named: "close")!
  public static let open = SyscallID(named: "open")!
  public static let openat = SyscallID(named: "openat")!
  public static let dup2 = SyscallID(named: "dup2")!
  public static let dup3 = SyscallID(named: "dup3")!
  /// The call a restart_syscall continues when its arguments are a clock id and flags (`RestartedCall`).
  public static let clockNanosleep = SyscallID(named: "clock_nanosleep")!
  /// What a parent known to wait for a child is shown waiting in when its call is not known.
  public static let wait4 = SyscallID(named: "wait4")!
}

/// One call as the catalogue knows it in every ABI: name, strace classes, argument count, the
/// decoding recipe shared by the ABIs, traits and fd-effect rule. Per-ABI differences (i386's old
/// select and mmap) are in the ABI's `SyscallRow`.
public struct SyscallSpec: Sendable {
  public let id: SyscallID
  public let name: String
  /// Registers the call takes (strace's nargs).
  public let argCount: Int
  public let classes: SyscallClass
  public let traits: SyscallTraits
  /// How a successful (for close: any) return changes the fd table; nil for calls that do not.
  public let fdRule: FdRule?
  /// The argument kinds and return kind (nil: not decoded, `argCount` raw words in hex).
  let signature: Signature?
  /// For calls that create a task: what the new task is when the flags do not say more.
  public let forkKind: ForkKind?
  /// Arguments strace's -P reads as fds that the decoder shows as numbers (pathtrace.c's cases).
  public let numericFdArguments: [Int]
  /// The register with the PROT_* flags of a call that maps code only with PROT_EXEC (mmap, mprotect).
  package let protArgument: Int?
  /// How a restart_syscall is seen to continue this call (poll, futex, clock_nanosleep).
  public let restartMarkers: RestartMarkers?

  /// The argument kinds of the shared recipe.
  package var args: [ArgKind]? { signature?.args }
  package var returns: ReturnKind { signature?.returns ?? .int }

  /// Which argument is the program's path (execve: 0, execveat: 1).
  public var execPathArgument: Int? {
    guard traits.contains(.execs) else { return nil }
    return args?.firstIndex { if case .path = $0 { return true } else { return false } }
  }

  static let unknown = SyscallSpec(
    id: .unknown, name: "", argCount: 6, classes: [], traits: [], fdRule: nil, signature: nil, forkKind: nil,
    numericFdArguments: [], protArgument: nil, restartMarkers: nil)

  /// The spec of a catalogue line: `head` is `NAME NARGS CLASSES`; `line` the rest of a spec line.
  /// The traits that follow from the rest are added here (see `SyscallCatalogue.lines`).
  init(id: SyscallID, head: Substring, line: SpecLine?) {
    let f = head.split(separator: " ")
    guard f.count == 3, let n = Int(f[1]) else { preconditionFailure("catalogue line '\(head)' is not NAME NARGS CLASSES") }
    let signature = line?.signature
    let rule = line?.fdRule ?? (signature?.returns == .fd ? .newFd : nil)
    var traits = line?.traits ?? []
    if signature?.returns == .fd || rule == .newFd { traits.insert(.returnsFd) }
    if rule?.closesOrReplaces == true { traits.insert(.changesFdTable) }
    if rule != nil { traits.insert(.hasFdEffect) }
    if line?.forkKind != nil { traits.insert(.createsTask) }
    self.init(
      id: id, name: String(f[0]), argCount: n, classes: SyscallClass.fromLetters(f[2]), traits: traits, fdRule: rule,
      signature: signature, forkKind: line?.forkKind, numericFdArguments: line?.numericFdArguments ?? [],
      protArgument: line?.protArgument, restartMarkers: line?.restartMarkers)
  }

  private init(
    id: SyscallID, name: String, argCount: Int, classes: SyscallClass, traits: SyscallTraits, fdRule: FdRule?,
    signature: Signature?, forkKind: ForkKind?, numericFdArguments: [Int], protArgument: Int?,
    restartMarkers: RestartMarkers?
  ) {
    self.id = id
    self.name = name
    self.argCount = argCount
    self.classes = classes
    self.traits = traits
    self.fdRule = fdRule
    self.signature = signature
    self.forkKind = forkKind
    self.numericFdArguments = numericFdArguments
    self.protArgument = protArgument
    self.restartMarkers = restartMarkers
  }
}

extension SyscallCatalogue {
  /// Every call: the spec lines, then the lines of `text`; `SyscallID.index` is the place here.
  package static let specs: [SyscallSpec] = {
    var list: [SyscallSpec] = []
    for line in lines {
      list.append(SyscallSpec(id: SyscallID(index: UInt16(list.count)), head: line.head[...], line: line))
    }
    for head in text.split(separator: "\n") {
      list.append(SyscallSpec(id: SyscallID(index: UInt16(list.count)), head: head, line: nil))
    }
    return list
  }()

  static let names: [String] = specs.map(\.name)
  static let traits: [SyscallTraits] = specs.map(\.traits)

  /// Looked up once per record of a saved trace: an FNV-hashed table, not a Dictionary.
  static let idsByName = NameTable(specs.map { ($0.name, $0.id) })

  /// Every ID of the catalogue.
  public static var allIDs: [SyscallID] { specs.map(\.id) }

  /// The calls a restart_syscall may be found to continue, with how it is seen (`RestartedCall`).
  package static let restartMarkers: [(call: SyscallID, markers: RestartMarkers)] =
    specs.compactMap { s in s.restartMarkers.map { (s.id, $0) } }
}
