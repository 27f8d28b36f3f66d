import CTrace
import PipeTraceTestSupport
import XCTest

import PipeTraceKit

/// The seccomp program run by a small cBPF interpreter: each ABI's calls are traced by that ABI's
/// numbers (i386 `read` is 3, x86_64 3 is `close`).
final class SeccompFilterTests: XCTestCase {
  /// SECCOMP_RET_TRACE or SECCOMP_RET_ALLOW for one call.
  func run(_ program: [ct_bpf_insn], arch: UInt32, nr: UInt32) -> UInt32 {
    var pc = 0
    var a: UInt32 = 0
    for _ in 0..<10_000 {
      let i = program[pc]
      pc += 1
      switch i.code {
      case SeccompFilter.ldAbsW: a = i.k == 4 ? arch : nr
      case SeccompFilter.jeqK: pc += a == i.k ? Int(i.jt) : Int(i.jf)
      case SeccompFilter.jgeK: pc += a >= i.k ? Int(i.jt) : Int(i.jf)
      case SeccompFilter.ja: pc += Int(i.k)
      case SeccompFilter.retK: return i.k
      default:
        XCTFail("unexpected instruction \(i.code)")
        return 0
      }
    }
    XCTFail("no return")
    return 0
  }

  func testEachABIByItsOwnNumbers() throws {
    var set = try SyscallSelection.parse("read,close,waitpid")
    set = set.union(SyscallSet { $0.keepsFdModel })
    let program = try XCTUnwrap(SeccompFilter.program(tracing: set))
    let x86 = SyscallArch.x86_64.auditArch, i386 = SyscallArch.i386.auditArch
    func traced(_ arch: UInt32, _ name: String, in table: SyscallTable) -> Bool {
      run(program, arch: arch, nr: UInt32(table.number(of: name)!)) == SeccompFilter.retTrace
    }
    for name in ["read", "close", "dup2", "execve", "clone"] {
      XCTAssertTrue(traced(x86, name, in: .x86_64), name)
      XCTAssertTrue(traced(i386, name, in: .i386), "i386 " + name)
    }
    XCTAssertTrue(traced(i386, "waitpid", in: .i386))
    for name in ["getpid", "mmap", "write", "lstat"] { XCTAssertFalse(traced(x86, name, in: .x86_64), name) }
    for name in ["getpid", "mmap2", "write", "brk"] { XCTAssertFalse(traced(i386, name, in: .i386), "i386 " + name) }
    // x32 calls and ABIs pipetrace does not know are traced (decoded, never lost).
    XCTAssertEqual(run(program, arch: x86, nr: 0x4000_0000 | 39), SeccompFilter.retTrace)
    XCTAssertEqual(run(program, arch: 0x4000_0028, nr: 3), SeccompFilter.retTrace)
  }

  /// Every number of both ABIs, for the default set, everything and random selections: traced
  /// exactly when the set holds it.
  func testEveryNumberOfEveryABIForRandomSets() throws {
    var rng = TestRandom("seccomp sets")
    let x86 = SyscallArch.x86_64.auditArch, i386 = SyscallArch.i386.auditArch
    var sets = [SyscallSelection.defaultSet, SyscallSet { $0.keepsFdModel }, SyscallSet { _ in false }]
    for _ in 0..<4 {
      let keep = Double.random(in: 0.02...0.5, using: &rng)
      var picks: [Bool] = (0..<2000).map { _ in Double.random(in: 0..<1, using: &rng) < keep }
      sets.append(SyscallSet { row in picks.isEmpty ? false : picks[(row.number * 7 + row.name.utf8.count) % picks.count] })
      picks.shuffle(using: &rng)
    }
    for set in sets {
      let program = try XCTUnwrap(SeccompFilter.program(tracing: set))
      for (arch, audit) in [(SyscallArch.x86_64, x86), (SyscallArch.i386, i386)] {
        for nr in 0..<600 {
          let want = set.contains(arch, nr) ? SeccompFilter.retTrace : SeccompFilter.retAllow
          XCTAssertEqual(run(program, arch: audit, nr: UInt32(nr)), want, "\(arch) \(nr)")
        }
      }
    }
  }

  /// `!read`: numbers past the tables are in the set too.
  func testInvertedSetsTraceUnknownNumbers() throws {
    let program = try XCTUnwrap(SeccompFilter.program(tracing: try SyscallSelection.parse("!%file,read")))
    XCTAssertEqual(run(program, arch: SyscallArch.x86_64.auditArch, nr: 4000), SeccompFilter.retTrace)
  }
}
