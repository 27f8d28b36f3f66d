/// The names in the `--json` trace (README "JSON lines"): `JSONLinesWriter` writes these and
/// `JSONLinesReader` matches exactly these, byte for byte (an unknown key is skipped, never read as
/// one that merely starts the same way). One list, so a key cannot be spelt two ways.
enum TraceJSON {
  /// Keys of an event object.
  enum Key {
    static let event: StaticString = "event"
    static let pid: StaticString = "pid"
    static let tid: StaticString = "tid"
    static let ts: StaticString = "ts"
    /// The start line.
    static let version: StaticString = "version"
    static let command: StaticString = "command"
    static let attached: StaticString = "attached"
    /// syscall.
    static let name: StaticString = "name"
    /// Schema 2: the call's number in its ABI's table, and that ABI.
    static let nr: StaticString = "nr"
    static let abi: StaticString = "abi"
    static let args: StaticString = "args"
    static let ret: StaticString = "ret"
    static let errno: StaticString = "errno"
    static let dur: StaticString = "dur"
    static let retDetail: StaticString = "ret_detail"
    static let retFd: StaticString = "ret_fd"
    static let stack: StaticString = "stack"
    static let fds: StaticString = "fds"
    /// fork.
    static let child: StaticString = "child"
    static let kind: StaticString = "kind"
    /// exec.
    static let path: StaticString = "path"
    static let argv: StaticString = "argv"
    /// exit (code, signal, core) and signal (sig, code, sender, uid, status).
    static let code: StaticString = "code"
    static let signal: StaticString = "signal"
    static let core: StaticString = "core"
    static let sig: StaticString = "sig"
    static let sender: StaticString = "sender"
    static let uid: StaticString = "uid"
    static let status: StaticString = "status"
    /// personality.
    static let mode: StaticString = "mode"
    /// note.
    static let text: StaticString = "text"
  }

  /// Keys of an fd object (an entry of `fds`, or `ret_fd`); also `kind`, `path` and, for -yy's
  /// pidfd, `pid`.
  enum FdKey {
    static let arg: StaticString = "arg"
    static let index: StaticString = "index"
    static let fd: StaticString = "fd"
    static let inode: StaticString = "inode"
    static let socket: StaticString = "socket"
    static let device: StaticString = "device"
  }

  /// Keys of a stack frame (-k).
  enum FrameKey {
    static let pc: StaticString = "pc"
    static let module: StaticString = "module"
    static let symbol: StaticString = "symbol"
    static let offset: StaticString = "offset"
    static let moduleOffset: StaticString = "module_offset"
  }

  /// Keys of an argument the kernel changed (`ArgValue.changed`: clone3's struct).
  enum ValueKey {
    static let entry: StaticString = "entry"
    static let exit: StaticString = "exit"
  }

  /// The values of `event`.
  enum EventName {
    static let start: StaticString = "start"
    static let syscall: StaticString = "syscall"
    static let fork: StaticString = "fork"
    static let exec: StaticString = "exec"
    static let exit: StaticString = "exit"
    static let signal: StaticString = "signal"
    static let personality: StaticString = "personality"
    static let detached: StaticString = "detached"
    static let note: StaticString = "note"
  }

  /// Whether `bytes[from..<from+count]` is `name`, byte for byte.
  @inline(__always)
  static func matches(_ name: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> Bool {
    guard name.utf8CodeUnitCount == count else { return false }
    let p = name.utf8Start
    for k in 0..<count where p[k] != bytes[from + k] { return false }
    return true
  }
}
