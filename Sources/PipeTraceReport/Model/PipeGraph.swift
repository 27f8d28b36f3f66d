/// Something that happened, by whom and when: what released a blocked call, or made a pipe.
public struct EventRef: Sendable, Equatable {
  public var pid: Int32
  /// A short description: `close(1)`, `exit`, `write(4)`, `exit 0`.
  public var event: String
  public var ts: Double
  public init(pid: Int32, event: String, ts: Double) {
    self.pid = pid
    self.event = event
    self.ts = ts
  }
}

struct LastWrite {
  var pid: Int32
  var name: String
  var fd: Int32
  var ts: Double
}

/// One step of a pipe end's life, for the provenance table.
public struct PipeHistoryEntry: Sendable {
  public var ts: Double
  public var pid: Int32
  public var text: String
}

/// A pipe end that a process kept open across execve into a new program.
public struct PipeCarry: Sendable {
  public var pid: Int32
  public var program: String
  public var fd: Int32
  public var end: PipeEnd
  public var ts: Double
  /// Whether the new program ever read or wrote the pipe.
  public var used = false
  /// When the process let go of it (close or exit); nil if it still held it at the end.
  public var releasedAt: Double?
}

/// A pipe: where it came from, who holds its ends, and what last let go of the write end.
public final class PipeRecord {
  public let id: Int
  public let inode: UInt64?
  public internal(set) var created: EventRef?
  public internal(set) var history: [PipeHistoryEntry] = []
  public internal(set) var omittedHistory = 0
  public internal(set) var carries: [PipeCarry] = []
  public internal(set) var lastWriteEndRelease: EventRef?
  /// The release that left no write end known to the trace: what a reader's EOF (and a poll's
  /// POLLHUP) waited for. An earlier holder's exit, while another still holds the pipe, is not it.
  public internal(set) var lastWriterGone: EventRef?
  /// The last successful write, kept compact (writes are frequent); `lastWrite` describes it.
  var lastWriteCall: LastWrite?
  public var lastWrite: EventRef? {
    lastWriteCall.map { EventRef(pid: $0.pid, event: "\($0.name)(\($0.fd))", ts: $0.ts) }
  }
  /// A blocked read waits on this pipe: report late releases (see `ProcessModel.pipeActivity`).
  var watched = false
  /// When the last holder of either end let go.
  public internal(set) var closedAt: Double?
  var readHolders = 0
  var writeHolders = 0
  var unknownHolders = 0

  /// `pipe:[INODE]` as -y prints it, or a number of our own when the trace has no inodes.
  public var label: String { inode.map { "pipe:[\($0)]" } ?? "pipe#\(id)" }
  public var holderCount: Int { readHolders + writeHolders + unknownHolders }

  init(id: Int, inode: UInt64?, created: EventRef?) {
    self.id = id
    self.inode = inode
    self.created = created
  }

  static let historyLimit = 64

  func note(_ ts: Double, _ pid: Int32, _ text: String) {
    if history.count < Self.historyLimit {
      history.append(PipeHistoryEntry(ts: ts, pid: pid, text: text))
    } else {
      omittedHistory += 1
    }
  }

  func addHolder(_ end: PipeEnd) {
    switch end {
    case .read: readHolders += 1
    case .write: writeHolders += 1
    case .unknown: unknownHolders += 1
    }
    closedAt = nil
  }

  func removeHolder(_ end: PipeEnd) {
    switch end {
    case .read: readHolders = max(0, readHolders - 1)
    case .write: writeHolders = max(0, writeHolders - 1)
    case .unknown: unknownHolders = max(0, unknownHolders - 1)
    }
  }
}

/// Every pipe the trace showed. The first `keepLimit` stay for the report; later ones are only kept
/// while some process holds them, so memory follows live state, not trace length.
public final class PipeGraph {
  public private(set) var kept: [PipeRecord] = []
  public private(set) var droppedCount = 0
  public let keepLimit: Int
  private var byInode: [UInt64: PipeRecord] = [:]
  private var nextID = 1

  public init(keepLimit: Int = 2000) {
    self.keepLimit = keepLimit
  }

  /// A pipe made by pipe()/pipe2() in the trace.
  func create(inode: UInt64?, created: EventRef) -> PipeRecord {
    let p = PipeRecord(id: nextID, inode: inode, created: created)
    nextID += 1
    if let inode { byInode[inode] = p }
    if kept.count < keepLimit { kept.append(p) } else { droppedCount += 1 }
    return p
  }

  /// A pipe first seen as an `-y` annotation: made before the trace or by an untraced process.
  func pipe(inode: UInt64) -> PipeRecord {
    if let p = byInode[inode] { return p }
    let p = PipeRecord(id: nextID, inode: inode, created: nil)
    nextID += 1
    byInode[inode] = p
    if kept.count < keepLimit { kept.append(p) } else { droppedCount += 1 }
    return p
  }

  /// No one holds it any more: forget it unless the report keeps it.
  func retire(_ p: PipeRecord) {
    guard p.id > keepLimit, let inode = p.inode else { return }
    if byInode[inode] === p { byInode[inode] = nil }
  }
}
