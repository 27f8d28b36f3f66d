import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The completion scripts the binary generates (`--generate-completion-script`), driven as a shell
/// drives them: bash's completion function called with COMP_WORDS/COMP_CWORD after bash-completion
/// is loaded, fish's `complete -C`; zsh's script is checked as text (and parsed, when zsh is there).
final class CompletionTests: XCTestCase {
  var scripts: [String: String] = [:]

  override func tearDown() {
    for path in scripts.values { unlink(path) }
  }

  func script(_ shell: String) throws -> String {
    if let path = scripts[shell] { return path }
    let r = try CLI.run(["--generate-completion-script", shell])
    XCTAssertEqual(r.status, 0, r.stderr)
    let path = temporaryFile("completion.\(shell)")
    try r.stdout.write(toFile: path, atomically: true, encoding: .utf8)
    scripts[shell] = path
    return path
  }

  /// What bash offers for the last of `words` (the word being completed) after `pipetrace`.
  func bash(_ words: String..., file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    let driver = """
      [[ -f /usr/share/bash-completion/bash_completion ]] && source /usr/share/bash-completion/bash_completion
      source "$1"
      shift
      COMP_WORDS=("$@")
      COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
      COMP_LINE="${COMP_WORDS[*]}"
      COMP_POINT=${#COMP_LINE}
      COMPREPLY=()
      _pipetrace "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
      printf '%s\\n' "${COMPREPLY[@]}"
      """
    let r = try runProgram("/bin/bash", ["-c", driver, "bash", try script("bash"), CLI.binary] + words)
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    XCTAssertEqual(r.stderr, "", file: file, line: line)
    return r.stdout.split(separator: "\n").map(String.init)
  }

  func testBashHasBashCompletionLoaded() throws {
    guard FileManager.default.fileExists(atPath: "/usr/share/bash-completion/bash_completion") else {
      throw XCTSkip("bash-completion is not installed (bash .ci/setup installs it)")
    }
    // The script registers itself as bash-completion loads it from completions/pipetrace.
    let text = try String(contentsOfFile: try script("bash"), encoding: .utf8)
    XCTAssertTrue(text.contains("\ncomplete -o filenames -F _pipetrace pipetrace"), text)
  }

  func testBashCompletesEachModesOwnOptionsAndValues() throws {
    let run = try bash("run", "--")
    for option in ["--timeout", "--tee", "--grace", "--on-leak", "--json", "--keep"] {
      XCTAssertTrue(run.contains(option), "\(option) not in \(run)")
    }
    XCTAssertFalse(run.contains("--unstick-after") || run.contains("--strace-compat"), "trace options offered for run: \(run)")
    XCTAssertEqual(try bash("report", "--format", "h"), ["html"])
    XCTAssertEqual(try bash("run", "--on-leak", ""), ["report", "close", "kill"])
    XCTAssertEqual(try bash("-X", ""), ["raw", "abbrev", "verbose"])
    XCTAssertTrue(try bash("-c", "-S", "").contains("calls"))
    XCTAssertEqual(try bash("--inj"), ["--inject-close"])
    XCTAssertEqual(Set(try bash("r")), ["report", "run"])
    XCTAssertTrue(try bash("--strace-").contains("--strace-compat"))
    XCTAssertTrue(try bash("why", "--").contains("--stack"))
  }

  func testBashCompletesFilesPidsAndSyscallNames() throws {
    let dir = temporaryFile("dir")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/trace.jsonl", contents: Data()))
    XCTAssertEqual(try bash("-o", dir + "/tr"), [dir + "/trace.jsonl"])
    XCTAssertEqual(try bash("report", dir + "/tr"), [dir + "/trace.jsonl"])
    XCTAssertEqual(try bash("report", "-o", dir + "/tr"), [dir + "/trace.jsonl"])

    let sleeper = try BackgroundProcess("/bin/sleep", ["300"])
    defer { sleeper.stop() }
    let pid = String(sleeper.pid)
    for words in [["-p", pid], ["why", pid], ["--inject-close", pid], ["inject-close", pid]] {
      let offered = try bash(words[0], words[1])
      XCTAssertTrue(offered.contains(pid), "\(words): \(offered)")
      XCTAssertTrue(offered.allSatisfy { $0.hasPrefix(pid) && Int32($0) != nil }, "\(words): \(offered)")
    }

    XCTAssertEqual(try bash("--trace", "read,wr"), ["read,write", "read,writev"])
    XCTAssertEqual(try bash("-e", "pipe"), ["pipe", "pipe2"])
    XCTAssertEqual(try bash("-e", "trace=pipe"), ["trace=pipe", "trace=pipe2"])
    XCTAssertEqual(try bash("-e", "signal=SIG"), [])
  }

  /// fish's own completion engine, for the lists it holds; the values it asks pipetrace for (pids,
  /// syscall names) need an interactive fish, so the call it makes is checked as text and its
  /// answer from the binary.
  func testFish() throws {
    let text = try String(contentsOfFile: try script("fish"), encoding: .utf8)
    XCTAssertTrue(text.contains("---completion -- -p "), text)
    XCTAssertTrue(text.contains("---completion -- --trace "), text)
    XCTAssertTrue(text.contains("---completion why -- positional@0 "), text)
    XCTAssertTrue(text.contains("-l 'inject-close'"), text)
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fish") else {
      throw XCTSkip("fish is not installed (bash .ci/setup installs it)")
    }
    func fish(_ line: String) throws -> [String] {
      let r = try runProgram("/usr/bin/fish", ["--no-config", "-c", "source $argv[1]; complete -C $argv[2]", try script("fish"), line])
      XCTAssertEqual(r.stderr, "", line)
      return r.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
    }
    let run = try fish("pipetrace run --")
    for option in ["--timeout", "--tee", "--on-leak"] { XCTAssertTrue(run.contains(option), "\(option) not in \(run)") }
    XCTAssertFalse(run.contains("--strace-compat"), "\(run)")
    XCTAssertEqual(try fish("pipetrace report --format h"), ["html"])
    XCTAssertEqual(try fish("pipetrace --inj"), ["--inject-close"])
    XCTAssertEqual(try fish("pipetrace run --on-leak "), ["report", "close", "kill"])
  }

  func testZsh() throws {
    let path = try script("zsh")
    let text = try String(contentsOfFile: path, encoding: .utf8)
    XCTAssertTrue(text.hasPrefix("#compdef pipetrace"))
    // run's options in run's function, not the trace's.
    let run = try XCTUnwrap(text.range(of: "\n_pipetrace_run() {").map { text[$0.upperBound...] }).prefix { $0 != "}" }
    for option in ["'--timeout[", "'--tee[", "'--on-leak[", "'-q["] { XCTAssertTrue(run.contains(option), "\(option): \(run)") }
    XCTAssertFalse(run.contains("--strace-compat"))
    XCTAssertTrue(text.contains("('text' 'json' 'chrome' 'html')"), "report's formats")
    XCTAssertTrue(text.contains("'--inject-close["))
    XCTAssertTrue(text.contains("---completion -- -p "))
    XCTAssertTrue(text.contains("---completion -- -e "))
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh") {
      XCTAssertEqual(try runProgram("/usr/bin/zsh", ["-n", path]).status, 0, "the zsh script does not parse")
    }
  }

  /// The calls the scripts make back: the binary answers them from /proc and the syscall tables.
  func testTheBinaryAnswersTheScriptsCalls() throws {
    let names = try CLI.run(["---completion", "--", "--trace", "2", "6", "pipetrace", "--trace", "close_"])
    XCTAssertEqual(names.stdout, "close_range\n", names.stderr)
    let pids = try CLI.run(["---completion", "why", "--", "positional@0", "2", "1", "pipetrace", "why", "1"])
    XCTAssertTrue(pids.stdout.split(separator: "\n").contains("1"), pids.stdout)
  }
}
