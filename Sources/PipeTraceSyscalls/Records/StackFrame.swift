/// One frame of a user-space stack, as strace -k prints it:
/// ` > /usr/lib/x86_64-linux-gnu/libc.so.6(__read+0x11) [0x114a61]`.
public struct StackFrame: Sendable {
  public var pc: UInt64
  /// The mapped file, or nil when the pc is in anonymous memory (JIT code, say).
  public var module: String?
  public var symbol: String?
  /// Offset of the pc into `symbol`.
  public var symbolOffset: UInt64
  /// Offset of the pc into the module file (what strace prints in brackets).
  public var moduleOffset: UInt64

  public init(pc: UInt64, module: String?, symbol: String?, symbolOffset: UInt64, moduleOffset: UInt64) {
    self.pc = pc
    self.module = module
    self.symbol = symbol
    self.symbolOffset = symbolOffset
    self.moduleOffset = moduleOffset
  }

  /// The frame as strace -k prints it, without the newline.
  public var straceText: String {
    let symbol = self.symbol.map { $0 + "+" + NumberText.hex(symbolOffset) } ?? ""
    return " > \(module ?? "?")(\(symbol)) [\(NumberText.hex(moduleOffset))]"
  }
}
