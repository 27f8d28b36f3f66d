/// A process id: the thread group's id, what kill(2), /proc/PID and a trace line's `pid` name.
/// A type of its own where a thread id could be passed by mistake (issue 21 bug 3: a stuck
/// detector's note written with the blocked thread's id, which `report` then listed as a process
/// with no parent). Printed as the number.
public struct ProcessID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let rawValue: Int32
  public init(_ rawValue: Int32) { self.rawValue = rawValue }
  public var description: String { String(rawValue) }
  public static func < (a: ProcessID, b: ProcessID) -> Bool { a.rawValue < b.rawValue }
}

/// A thread id (a task): what ptrace stops and /proc/PID/task/TID names. The main thread's id is
/// its process's id, but a `ThreadID` is not a `ProcessID`: converting one says so in the code.
public struct ThreadID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let rawValue: Int32
  public init(_ rawValue: Int32) { self.rawValue = rawValue }
  public var description: String { String(rawValue) }
  public static func < (a: ThreadID, b: ThreadID) -> Bool { a.rawValue < b.rawValue }
}
