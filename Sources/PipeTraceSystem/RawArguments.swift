#if canImport(Glibc)
import Glibc
#endif

/// pipetrace's own arguments as the kernel gave them. `CommandLine.arguments` repairs bytes that
/// are not UTF-8 (U+FFFD in their place): a command launched from those strings would get other
/// arguments than the ones it was given.
public enum RawArguments {
  /// The last `count` arguments (a command after `--`) as bytes; each checked against `decoded`,
  /// what the argument parser made of it (the repaired text): where they differ, the text is used.
  public static func trailing(_ decoded: [String]) -> [[UInt8]] {
    let argc = Int(CommandLine.argc)
    guard decoded.count <= argc - 1 else { return decoded.map { Array($0.utf8) } }
    return decoded.enumerated().map { i, text in
      guard let p = CommandLine.unsafeArgv[argc - decoded.count + i] else { return Array(text.utf8) }
      let bytes = Array(UnsafeRawBufferPointer(start: p, count: strlen(p)))
      return String(decoding: bytes, as: UTF8.self) == text ? bytes : Array(text.utf8)
    }
  }
}
