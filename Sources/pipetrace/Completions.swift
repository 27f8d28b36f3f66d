import ArgumentParser
import PipeTraceKit

// What the completion scripts offer for values that no fixed list holds. The scripts run
// `pipetrace ---completion ...` for them (TopLevel answers it).

extension CompletionKind {
  /// The running processes: /proc's numeric directories (`-p`, `why`, `--inject-close`).
  static var pids: CompletionKind {
    .custom { _, _, prefix in ProcFS.allPids().map(String.init).filter { $0.hasPrefix(prefix) } }
  }

  /// Syscall names from the syscall tables, after what the word already has up to its last `,` or
  /// `=`: `--trace read,wr` offers `read,write`, `read,writev`; `-e trace=rea` offers `trace=read`.
  static var syscallNames: CompletionKind {
    .custom { _, _, prefix in SyscallNameCompletion.complete(prefix) }
  }
}

enum SyscallNameCompletion {
  /// Every name of every ABI's table, sorted.
  static let names: [String] = Set((SyscallTable.x86_64.allRows + SyscallTable.i386.allRows).map(\.name)).sorted()

  static func complete(_ word: String) -> [String] {
    let head = word.lastIndex { $0 == "," || $0 == "=" }.map { String(word[...$0]) } ?? ""
    // -e's other qualifiers (signal=, status=, ...) take no syscall names.
    if head.contains("="), !(head.hasPrefix("trace=") || head.hasPrefix("t=")) { return [] }
    return names.map { head + $0 }.filter { $0.hasPrefix(word) }
  }
}
