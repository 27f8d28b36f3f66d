import CTrace
import Foundation
import XCTest

import PipeTraceKit

/// The syscall tables, the `-e trace=` parser and the constant tables, against the kernel's headers.
final class SyscallTableTests: XCTestCase {
  /// `#define __NR_name N` lines of an installed UAPI header.
  func kernelNumbers(_ header: String) throws -> [String: Int] {
    let path = "/usr/include/x86_64-linux-gnu/asm/" + header
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw XCTSkip("no \(path)") }
    var d: [String: Int] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("#define __NR_") {
      let f = line.split(separator: " ", omittingEmptySubsequences: true)
      if f.count == 3, let n = Int(f[2]) { d[String(f[1].dropFirst(5))] = n }
    }
    return d
  }

  func testEveryKernelNumberHasItsRow() throws {
    for (table, header) in [(SyscallTable.x86_64, "unistd_64.h"), (SyscallTable.i386, "unistd_32.h")] {
      let numbers = try kernelNumbers(header)
      XCTAssertGreaterThan(numbers.count, 300)
      for (name, nr) in numbers {
        XCTAssertEqual(table.row(nr).name, name, "\(table.arch) \(nr)")
        XCTAssertEqual(table.number(of: name), nr, "\(table.arch) \(name)")
        XCTAssertNotNil(SyscallID(named: name), "\(name) has no argument count or classes")
      }
    }
  }

  /// One spec per call: both ABIs' rows of a name share its ID, traits and fd-effect rule, and the
  /// rule applied to integers gives the effects the fd model and the live cache apply.
  func testOneSpecPerCallWithItsFdRule() throws {
    let dup3 = try XCTUnwrap(SyscallID(named: "dup3"))
    let x = SyscallTable.x86_64, i = SyscallTable.i386
    XCTAssertEqual(x.row(x.number(of: "dup3")!).id, dup3)
    XCTAssertEqual(i.row(i.number(of: "dup3")!).id, dup3)
    XCTAssertEqual(dup3.name, "dup3")
    XCTAssertEqual(dup3.spec.fdRule, .duplicate(old: 0, new: 1, flags: 2))
    XCTAssertTrue(dup3.traits.contains(.hasFdEffect))
    XCTAssertNil(SyscallID(named: "no_such_call"))
    XCTAssertEqual(SyscallCatalogue.allIDs.count, Set(SyscallCatalogue.allIDs.map(\.name)).count)
    let cloexec = Int64(CT_O_CLOEXEC)
    XCTAssertEqual(dup3.spec.fdRule?.effects(ret: 5, errno: nil, args: [3, 5, cloexec], pair: []),
                   [.duplicate(old: 3, new: 5, closeOnExec: true)])
    XCTAssertEqual(dup3.spec.fdRule?.effects(ret: -1, errno: .EBADF, args: [3, 5, 0], pair: []), [])
    let close = try XCTUnwrap(SyscallID(named: "close")).spec.fdRule
    XCTAssertEqual(close?.effects(ret: -1, errno: .EINTR, args: [4], pair: []), [.close(4)])
    XCTAssertEqual(close?.effects(ret: -1, errno: .EBADF, args: [4], pair: []), [])
    let pipe2 = try XCTUnwrap(SyscallID(named: "pipe2")).spec.fdRule
    XCTAssertEqual(pipe2?.effects(ret: 0, errno: nil, args: [nil, cloexec], pair: [3, 4]),
                   [.pipe(read: 3, write: 4, closeOnExec: true)])
    let socketpair = try XCTUnwrap(SyscallID(named: "socketpair")).spec.fdRule
    XCTAssertEqual(socketpair?.effects(ret: 0, errno: nil, args: [1, 1, 0, nil], pair: [3, 4]), [.opened(3), .opened(4)])
    let fcntl = try XCTUnwrap(SyscallID(named: "fcntl64")).spec.fdRule
    XCTAssertEqual(fcntl?.effects(ret: 7, errno: nil, args: [3, Int64(CT_F_DUPFD_CLOEXEC), 0], pair: []),
                   [.duplicate(old: 3, new: 7, closeOnExec: true)])
    let closeRange = try XCTUnwrap(SyscallID(named: "close_range")).spec.fdRule
    XCTAssertEqual(closeRange?.effects(ret: 0, errno: nil, args: [3, nil, 0], pair: []),
                   [.closeRange(first: 3, last: Int64(UInt32.max))])
    XCTAssertEqual(try XCTUnwrap(SyscallID(named: "openat")).spec.fdRule, .newFd)
    XCTAssertNil(try XCTUnwrap(SyscallID(named: "read")).spec.fdRule)
  }

  /// The catalogue agrees with itself: one line per name; no decoder or rule reads an argument past
  /// the call's count; the i386 overrides are of catalogue calls; a call's variant in another ABI
  /// (NAME64, NAME32, NAME_time64, _newselect) has its traits, fd rule, fork kind, -P fds and
  /// classes (only the argument kinds and count may differ).
  func testCatalogueLinesAgree() throws {
    let specs = SyscallCatalogue.allIDs.map(\.spec)
    XCTAssertEqual(specs.count, SyscallCatalogue.lines.count + SyscallCatalogue.text.split(separator: "\n").count)
    var lines: [String: Int] = [:]
    for s in specs { lines[s.name, default: 0] += 1 }
    XCTAssertEqual(lines.filter { $0.value > 1 }.keys.sorted(), [], "names with more than one line")
    for s in specs {
      XCTAssertEqual(SyscallID(named: s.name), s.id)
      if let args = s.args { XCTAssertLessThanOrEqual(args.count, s.argCount, "\(s.name) decodes more than its arguments") }
      if let i386 = I386Syscalls.signature(differingFrom: s.name) {
        XCTAssertLessThanOrEqual(i386.args.count, s.argCount, "i386 \(s.name)")
        XCTAssertNotNil(SyscallTable.i386.number(of: s.name), "i386 override of \(s.name), which i386 lacks")
      }
      let rule = s.fdRule
      let read = (rule?.argumentsRead ?? []) + [rule?.pairArgument, s.protArgument].compactMap { $0 } + s.numericFdArguments
      for i in read { XCTAssertLessThan(i, s.argCount, "\(s.name) reads argument \(i)") }
      if s.restartMarkers != nil { XCTAssertTrue(s.traits.contains(.restartable), "\(s.name) continued but not restartable") }
      XCTAssertEqual(s.traits.contains(.returnsFd), rule == .newFd || s.returns == .fd, s.name)
    }
    func base(_ name: String) -> SyscallSpec? {
      if name == "_newselect" { return SyscallID(named: "select")?.spec }
      for suffix in ["_time64", "64", "32"] where name.hasSuffix(suffix) {
        return SyscallID(named: String(name.dropLast(suffix.count)))?.spec
      }
      return nil
    }
    var variants = 0
    for s in specs {
      guard let b = base(s.name) else { continue }
      variants += 1
      let (n, bn) = (s.name, b.name)
      XCTAssertEqual(s.traits, b.traits, "\(n) and \(bn): traits")
      XCTAssertEqual(s.fdRule, b.fdRule, "\(n) and \(bn): fd rule")
      XCTAssertEqual(s.forkKind, b.forkKind, "\(n) and \(bn): fork kind")
      XCTAssertEqual(s.numericFdArguments, b.numericFdArguments, "\(n) and \(bn): -P fds")
      XCTAssertEqual(s.classes, b.classes, "\(n) and \(bn): classes")
    }
    XCTAssertGreaterThan(variants, 40)
  }

  func testI386NumbersAreNotX86_64Numbers() {
    XCTAssertEqual(SyscallTable.i386.name(of: 3), "read")
    XCTAssertEqual(SyscallTable.i386.name(of: 6), "close")
    XCTAssertEqual(SyscallTable.i386.name(of: 7), "waitpid")
    XCTAssertEqual(SyscallTable.x86_64.name(of: 3), "close")
    XCTAssertEqual(SyscallTable.x32.name(of: 512), "rt_sigaction")
    XCTAssertEqual(SyscallTable.x86_64.name(of: 1000), "syscall_0x3e8")
    let (arch, nr) = SyscallArch.of(auditArch: UInt32(bitPattern: Int32(CT_AUDIT_ARCH_X86_64)), number: 0x4000_0000 + 39)
    XCTAssertEqual(arch, .x32)
    XCTAssertEqual(SyscallTable.x32.name(of: nr), "getpid")
  }

  func testTraitsAreTheTablesAnswers() {
    let x = SyscallTable.x86_64, i = SyscallTable.i386
    XCTAssertTrue(i.row(6).traits.contains(.changesFdTable))  // i386 close
    XCTAssertTrue(i.row(6).keepsFdModel)
    XCTAssertFalse(x.row(6).keepsFdModel)  // x86_64 lstat
    XCTAssertTrue(i.row(3).traits.contains(.readsFd))
    XCTAssertTrue(i.row(7).traits.contains(.waitsOnChild))
    XCTAssertTrue(x.row(59).isExec)
    XCTAssertTrue(x.row(x.number(of: "execveat")!).isExec)
    XCTAssertTrue(x.row(231).traits.contains(.neverReturns))
    XCTAssertTrue(x.row(x.number(of: "nanosleep")!).traits.contains(.sleepsOnly))
    if case .register(0)? = x.row(56).cloneFlagsArgument {} else { XCTFail("clone's flags are its first register") }
    if case .cloneArgsPointer(0)? = x.row(435).cloneFlagsArgument {} else { XCTFail("clone3's flags are in clone_args") }
    XCTAssertTrue(x.row(x.number(of: "mprotect")!).traits.contains(.mapsCode))
    XCTAssertEqual(Set(SyscallTable.pipeSet), [
      "read", "readv", "pread64", "write", "writev", "close", "close_range", "pipe", "pipe2", "dup", "dup2", "dup3",
      "fcntl", "wait4", "waitid", "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "clone",
      "clone3", "fork", "vfork", "execve", "execveat", "exit_group", "kill",
    ])
    XCTAssertTrue(i.defaultNames.contains("waitpid"))
    XCTAssertTrue(i.defaultNames.contains("_newselect"))
    XCTAssertEqual(SyscallTable.traits(named: "recvmsg"), [.readsFd])
  }

  func testClassesAsStraceGroupsThem() throws {
    let x = SyscallTable.x86_64
    func has(_ cls: SyscallClass, _ name: String) -> Bool { x.row(x.number(of: name)!).classes.contains(cls) }
    XCTAssertTrue(has(.file, "openat") && has(.desc, "openat"))
    XCTAssertTrue(has(.file, "execve") && has(.process, "execve"))
    XCTAssertTrue(has(.desc, "read") && !has(.file, "read"))
    XCTAssertTrue(has(.network, "connect") && has(.signal, "rt_sigaction") && has(.ipc, "shmget"))
    XCTAssertTrue(has(.memory, "mmap") && has(.creds, "setuid") && has(.clock, "clock_gettime"))
    XCTAssertTrue(has(.stat, "stat") && has(.statLike, "newfstatat") && has(.fstatfs, "fstatfs") && has(.pure, "getpid"))
  }

  func testTraceExpressions() throws {
    let x = SyscallTable.x86_64
    let desc = try SyscallSelection.parse("%desc")
    XCTAssertTrue(desc.contains(.x86_64, 0) && desc.contains(.i386, 3) && !desc.contains(.x86_64, 59))
    let notRead = try SyscallSelection.parse("!read,write")
    XCTAssertFalse(notRead.contains(.x86_64, 0) || notRead.contains(.x86_64, 1))
    XCTAssertTrue(notRead.contains(.x86_64, 2) && notRead.contains(.x86_64, 9999))
    let regex = try SyscallSelection.parse("/^pipe")
    XCTAssertEqual(SyscallArch.allCases.flatMap { a in regex.numbers(a).map { a.table.name(of: $0) } }.sorted(),
                   ["pipe", "pipe", "pipe", "pipe2", "pipe2", "pipe2"])
    XCTAssertTrue(try SyscallSelection.parse("none").isEmpty)
    XCTAssertTrue(try SyscallSelection.parse("all").contains(.i386, 7))
    let only32 = try SyscallSelection.parse("read@32")
    XCTAssertTrue(only32.contains(.i386, 3) && !only32.contains(.x86_64, 0))
    // i386 only: `?` keeps a name another ABI lacks from being an error; unknown everywhere still is.
    XCTAssertTrue(try SyscallSelection.parse("waitpid").contains(.i386, 7))
    XCTAssertTrue(try SyscallSelection.parse("?no_such_call,read").contains(.x86_64, 0))
    XCTAssertThrowsError(try SyscallSelection.parse("read,no_such_call")) { e in
      XCTAssertEqual("\(e)", "unknown syscall name 'no_such_call' in -e trace=")
    }
    XCTAssertThrowsError(try SyscallSelection.parse("/(")) { e in XCTAssertTrue("\(e)".hasPrefix("unknown syscall name '/('")) }
    XCTAssertThrowsError(try SyscallSelection.parse("%nonsense"))
    XCTAssertTrue(try SyscallSelection.parse("%%stat").contains(.x86_64, x.number(of: "statx")!))
    XCTAssertTrue(try SyscallSelection.parse("process").contains(.x86_64, 56))  // strace's legacy class name
  }

  func testFlagsAndValuesAsStracePrintsThem() {
    let p = XlatPrinter()
    XCTAssertEqual(p.flags(0x80800, .openModeFlags, "O_???"), "O_NONBLOCK|O_CLOEXEC")
    XCTAssertEqual(p.flags(0x7, .openModeFlags, "O_???"), "0x7 /* O_??? */")
    XCTAssertEqual(p.flags(0x80001, .openModeFlags, "O_???"), "O_CLOEXEC|0x1")
    XCTAssertEqual(p.flags(0, .openModeFlags, "O_???"), "0")
    XCTAssertEqual(p.flags(0, .accessModes, "?_OK"), "F_OK")
    XCTAssertEqual(p.xval(1030, .fcntlCommands, "F_???"), "F_DUPFD_CLOEXEC")
    XCTAssertEqual(p.xval(0x4242, .fcntlCommands, "F_???"), "0x4242 /* F_??? */")
    XCTAssertEqual(XlatPrinter(style: .raw).flags(0x80000, .openModeFlags, "O_???"), "0x80000")
    XCTAssertEqual(XlatPrinter(style: .verbose).flags(0x80000, .openModeFlags, "O_???"), "0x80000 /* O_CLOEXEC */")
    XCTAssertEqual(XlatPrinter(style: .verbose).xval(2, .epollCtlOps, "EPOLL_CTL_???"), "0x2 /* EPOLL_CTL_DEL */")
    XCTAssertEqual(Signals.mask([0x10002], style: .abbrev), "[INT CHLD]")
    XCTAssertEqual(Signals.mask([~UInt32(0x40101), 0xffff_ffff], style: .abbrev), "~[HUP KILL STOP]")
    XCTAssertEqual(Signals.name(34), "SIGRT_2")
    XCTAssertEqual(ArgumentDecoder.waitStatusText(0xffff), "{WIFCONTINUED(s)}")
    XCTAssertEqual(ArgumentDecoder.waitStatusText(0x137f), "{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}")
    XCTAssertEqual(ArgumentDecoder.waitStatusText(0x8b), "{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}")
    XCTAssertEqual(ArgumentDecoder.octalMode(0), "000")
    XCTAssertEqual(ArgumentDecoder.octalMode(0o22), "022")
    XCTAssertEqual(ArgumentDecoder.octalMode(0o644), "0644")
  }

  /// The struct layouts the decoders compute must be the C compiler's.
  func testNativeLayoutsMatchTheCompiler() {
    let c = ct_native_layout_get()
    let flock = CLayout.offsets([.u16, .u16, .long, .long, .u32], .x86_64)
    XCTAssertEqual([UInt32(flock.size)] + flock.offsets[2...].map(UInt32.init), [c.flock_size, c.flock_l_start, c.flock_l_len, c.flock_l_pid])
    XCTAssertEqual(c.epoll_event_size, 12)
    XCTAssertEqual(c.epoll_event_data, 4)
    XCTAssertEqual(c.rusage_maxrss, 32)
    XCTAssertEqual(c.clone_args_size, 88)
    XCTAssertEqual(c.clone_args_set_tid, 64)
    XCTAssertEqual(c.clone_args_cgroup, 80)
    let chld = CLayout.offsets([.u32, .u32, .u32, .long, .long], .x86_64).offsets
    XCTAssertEqual([16, 16 + chld[2], 16 + chld[3]].map(UInt32.init), [c.siginfo_pid, c.siginfo_status, c.siginfo_utime])
    XCTAssertEqual(c.siginfo_addr, 16)
    XCTAssertEqual(c.siginfo_value, 24)
    XCTAssertEqual(c.siginfo_fd, 24)
    // i386: 8-byte fields aligned to 4 (struct flock64: l_start at 4).
    XCTAssertEqual(CLayout.offsets([.u16, .u16, .u64, .u64, .u32], .i386).offsets, [0, 2, 4, 12, 20])
  }
}
