/// One row of a syscall table: what a number means in one ABI and how to decode it.
public struct SyscallRow: Sendable {
  /// The call in the catalogue (`unknown` for numbers the table does not have).
  public let id: SyscallID
  public let number: Int
  public let name: String
  /// The decoding recipe; nil for calls pipetrace does not decode (`argCount` raw words in hex).
  package let args: [ArgKind]?
  /// Registers the call takes (strace's nargs).
  public let argCount: Int
  package let returns: ReturnKind
  public let traits: SyscallTraits
  public let classes: SyscallClass
  /// Calls whose arguments depend on each other are decoded by their own code.
  let special: SpecialDecoder?

  /// A number nothing is known of: `syscall_0x1c8(...)` with six raw arguments, as strace prints it.
  static func unknown(_ nr: Int) -> SyscallRow {
    SyscallRow(id: .unknown, number: nr, name: "syscall_" + XlatPrinter().hex(UInt64(UInt(bitPattern: nr))), args: nil, argCount: 6,
               returns: .int, traits: [], classes: [], special: nil)
  }
}

/// Calls decoded by code rather than by a list of argument kinds.
enum SpecialDecoder: Sendable {
  /// clone: `child_stack=…, flags=…` and the fields the flags ask for; i386 swaps tls and ctid.
  case clone
  /// i386's old select(2): one pointer to the five arguments.
  case oldSelect
  /// i386's old mmap(2): one pointer to the six arguments.
  case oldMmap
  /// mmap / mmap2: prot and flags; mmap2's offset is in pages.
  case mmap(pageOffset: Bool)
}

/// A decoding recipe as the signature list writes it.
package struct Signature: Sendable {
  package var args: [ArgKind]
  var returns: ReturnKind = .int
  var special: SpecialDecoder? = nil

  init(_ args: [ArgKind], _ returns: ReturnKind = .int, special: SpecialDecoder? = nil) {
    self.args = args
    self.returns = returns
    self.special = special
  }
}
