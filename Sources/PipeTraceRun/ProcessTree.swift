import Synchronization

/// The traced command's process tree, from the tracer's fork and exit events: every descendant,
/// also those reparented to init or that started their own session (no search by name).
public final class ProcessTree: EventSink, Sendable {
  private struct State {
    var live: Set<Int32> = []
    var everSeen: [Int32] = []
    var rootExit: (code: Int32?, signal: Int32?)?
    var rootExitTime: Double?
  }
  private let state = Mutex(State())
  public let root: Int32

  public init(root: Int32) {
    self.root = root
    state.withLock {
      $0.live.insert(root)
      $0.everSeen.append(root)
    }
  }

  public func handle(_ event: Event) {
    switch event {
    case .fork(_, _, let child, let kind, _) where kind != .thread:
      state.withLock {
        $0.live.insert(child)
        $0.everSeen.append(child)
      }
    case .exit(let pid, let tid, let code, let signal, _, let ts) where pid == tid:
      state.withLock {
        $0.live.remove(pid)
        if pid == root {
          $0.rootExit = (code, signal)
          $0.rootExitTime = ts
        }
      }
    default:
      break
    }
  }

  public func finish() {}

  /// Processes of the tree that have not exited, root first.
  public var livePids: [Int32] {
    state.withLock { s in s.everSeen.filter { s.live.contains($0) } }
  }

  /// How the command itself ended, once it has.
  public var rootExit: (code: Int32?, signal: Int32?)? { state.withLock { $0.rootExit } }
}
