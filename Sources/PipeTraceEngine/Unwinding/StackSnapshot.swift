/// The user-space stacks of the blocked threads in a wait chain (`pipetrace why --stack`): each
/// thread is seized, interrupted, unwound and let go exactly as it was, one at a time.
public enum StackSnapshot {
  public struct ThreadStack: Sendable {
    public var pid: Int32
    public var tid: Int32
    public var frames: [StackFrame]
    /// Why there are no frames (the thread could not be stopped, say).
    public var error: String?
  }

  package static func capture(pid: Int32, tid: Int32, unwinder: StackUnwinder) -> ThreadStack {
    do {
      // Seize + interrupt, no register changed: detach restores the call exactly as it was.
      let session = try RemoteSyscallSession(pid: ProcessID(pid), tid: ThreadID(tid))
      defer { session.detach() }
      let frames = unwinder.capture(tid: tid, tgid: pid)
      unwinder.threadGone(tid: tid)
      return ThreadStack(pid: pid, tid: tid, frames: frames)
    } catch {
      return ThreadStack(pid: pid, tid: tid, frames: [], error: error.description)
    }
  }

  /// strace -k's frame lines, under a heading per thread.
  public static func render(_ stacks: [ThreadStack]) -> String {
    var out = ""
    for s in stacks {
      out += "Stack of \(s.tid)\(s.tid == s.pid ? "" : " (thread of \(s.pid))"):\n"
      if let e = s.error { out += "  (not available: \(e))\n" }
      for f in s.frames { out += f.straceText + "\n" }
    }
    return out
  }

  public static func json(_ stacks: [ThreadStack]) -> JSONValue {
    .array(stacks.map { s in
      var fields: [(String, JSONValue)] = [("pid", .int(Int64(s.pid))), ("tid", .int(Int64(s.tid)))]
      fields.append(("frames", .array(s.frames.map { f in
        .object([
          ("pc", .int(Int64(bitPattern: f.pc))), ("module", f.module.map { .string($0) } ?? .null),
          ("symbol", f.symbol.map { .string($0) } ?? .null), ("offset", .int(Int64(f.symbolOffset))),
          ("module_offset", .int(Int64(f.moduleOffset))),
        ])
      })))
      if let e = s.error { fields.append(("error", .string(e))) }
      return .object(fields)
    })
  }
}
