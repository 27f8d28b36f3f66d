import CTrace

/// What one holder of the other side is to the blocked process, decided on evidence. Only
/// `.leaked` may ever be closed by a fix; everything else is left alone.
///
/// The rule that guarantees no live writer is cut: a holder is `.leaked` only when it provably got
/// the fd by inheritance from a process that is gone (an orphan of init, a descendant of such an
/// orphan started after the reader, or — in a trace — a process whose forking parent the trace saw
/// exit), it is not the reader or a live stage of its pipeline, and for a socket it is not the
/// server that accepted the connection. Anything pipetrace cannot prove is `.unknown`.
public enum HolderClass: String, Sendable {
  /// Got the fd by inheritance from a process that is gone: closing it loses nothing.
  case leaked
  /// Alive and part of the running pipeline (a descendant, a sibling under their live parent, a
  /// child its live parent waits for, an ancestor): it may still write.
  case pipelineStage = "pipeline_stage"
  /// The server or peer of a socket: it accepted the connection on its own listening socket.
  case serverPeer = "server_peer"
  /// The blocked process itself, with no other thread that could write.
  case itself
  /// Another thread of the blocked process: it waits for its own thread.
  case ownThread = "own_thread"
  /// pipetrace cannot prove which: never closed automatically.
  case unknown
}

/// What the trace saw of processes' births and deaths: who forked whom, who exited. With it a
/// stuck detector can prove an adoption that /proc cannot (a subreaper that adopted a grandchild
/// looks like the grandchild's parent). It keeps only what can still prove one: the forker of
/// each live process, and an exited process only while a child it forked lives.
public struct Lineage: Sendable {
  /// Live child pid → the pid that forked it (threads excluded).
  public private(set) var forkedBy: [Int32: Int32] = [:]
  /// Exited processes with a live child they forked.
  public private(set) var exited = Set<Int32>()
  /// Per forker, how many of its recorded children live.
  private var liveChildren: [Int32: Int] = [:]
  /// Live children of a process that exited before a fork of its pid was seen, with that pid: the
  /// fork is its own, reported late (the trace took its parent's fork stop after the child had
  /// forked and exited), or a new process's on a reused pid. Either way these children were forked
  /// by the one that is gone: proven for good, while new children of the pid prove nothing.
  private var adoptedFrom: [Int32: Int32] = [:]

  public init() {}

  public mutating func fork(child: Int32, by parent: Int32) {
    if let old = forkedBy[child] { release(old) }  // a pid reused without its exit seen
    adoptedFrom[child] = nil
    if exited.remove(child) != nil {
      for (c, p) in forkedBy where p == child { adoptedFrom[c] = child }
    }
    forkedBy[child] = parent
    liveChildren[parent, default: 0] += 1
  }

  public mutating func exit(_ pid: Int32) {
    adoptedFrom[pid] = nil
    if let parent = forkedBy.removeValue(forKey: pid) { release(parent) }
    if liveChildren[pid] != nil { exited.insert(pid) }
  }

  private mutating func release(_ parent: Int32) {
    let left = (liveChildren[parent] ?? 1) - 1
    if left > 0 {
      liveChildren[parent] = left
    } else {
      liveChildren[parent] = nil
      exited.remove(parent)
    }
  }

  /// The process that forked `pid`, when the trace saw it fork and then exit.
  public func goneParent(of pid: Int32) -> Int32? {
    if let gone = adoptedFrom[pid] { return gone }
    guard let parent = forkedBy[pid], exited.contains(parent) else { return nil }
    return parent
  }
}

/// Classifies holders: the evidence rules of `HolderClass`, in order, each with its words.
struct HolderClassifier {
  let lineage: Lineage?

  /// `evidence` is raw text (it names other processes' comm): escaped where it is shown.
  struct Result {
    var classification: HolderClass
    var evidence: String
  }

  /// `holder` holds, on `fd`, the other side of what `reader` waits on (`object`); on `listenerFd`
  /// it holds the socket the connection was accepted on (`WaitedObject.listenerFd`), if it does.
  func classify(holder: ProcessSnapshot, fd: Int32, reader: ProcessSnapshot, waitingTid: Int32?,
                object: WaitedObject, listenerFd: Int32?, relation: Relation, detail: String) -> Result
  {
    // 1. The reader itself: another thread may write (its own wakeup), one thread only itself.
    if relation == .itself {
      let others = reader.threads.filter { $0.tid != waitingTid && !Self.waits(on: object, $0.blocked, pid: reader.pid) }
      if !others.isEmpty {
        let t = others[0]
        return Result(classification: .ownThread,
                      evidence: "its own thread \(t.tid) holds it (fd \(fd), shared fd table): "
                        + (t.blocked.map { "now in \($0.summary)" } ?? "state \(t.state)"))
      }
      return Result(classification: .itself, evidence: "the blocked process itself holds it (fd \(fd)) and has no other thread")
    }
    // 2. The trace saw it forked by a process that has exited since: adopted, inherited from the gone.
    if let gone = lineage?.goneParent(of: holder.pid), gone != holder.stat.ppid {
      if let server = serverEvidence(object: object, listenerFd: listenerFd) { return server }
      return Result(classification: .leaked,
                    evidence: "the trace saw \(gone) fork it and exit; now adopted by \(holder.stat.ppid): it inherited fd \(fd) from a process that is gone")
    }
    switch relation {
    case .child, .grandchild, .descendant:
      // A direct child beside an exited, unreaped child started before it: the reader may be a
      // subreaper that adopted it from that child (tini, supervisors). /proc cannot tell.
      if relation == .child, let zombie = zombieChildren(of: reader).first(where: {
        $0.pid != holder.pid && $0.stat.startTime <= holder.stat.startTime
      }) {
        return Result(classification: .unknown,
                      evidence: "a direct child of \(reader.pid), which also has an exited, unreaped child \(zombie.pid) (\(zombie.comm)) "
                        + "started before it: if \(reader.pid) is a subreaper it adopted this one from \(zombie.pid) (a leak), "
                        + "otherwise it is live work; /proc cannot tell which")
      }
      return Result(classification: .pipelineStage, evidence: "\(detail): alive, its own work")
    case .parent, .ancestor:
      return Result(classification: .pipelineStage, evidence: "\(detail), alive: it may still write")
    default:
      break
    }
    if let server = serverEvidence(object: object, listenerFd: listenerFd) { return server }
    if holder.stat.state == "Z" {
      return Result(classification: .unknown, evidence: "a zombie")
    }
    // 3. Orphans: reparented to init, or below an orphan that was started after the reader and is
    // not the reader's own ancestor (a live orphan running a whole pipeline is that pipeline's parent).
    let ancestors = Relation.ancestors(of: holder.stat)
    let top = holder.stat.ppid == 1 ? holder.stat : ancestors.last(where: { $0.pid != 1 && $0.ppid == 1 })
    if let top, top.pid != 1, !Relation.ancestors(of: reader.stat).contains(where: { $0.pid == top.pid }),
      top.pid == holder.pid || (top.pgid == reader.stat.pgid && top.startTime >= reader.stat.startTime)
    {
      // The reader an orphan too, of the same session, and that orphan started no later than it:
      // maybe stages of a pipeline whose parent exited. /proc cannot tell which.
      if reader.stat.ppid == 1, top.session == reader.stat.session, top.startTime <= reader.stat.startTime {
        return Result(classification: .unknown,
                      evidence: "\(detail); the reader is an orphan too and \(top.pid) started no later than it: "
                        + "they may be stages of one pipeline whose parent exited")
      }
      if top.pid == holder.pid {
        return Result(classification: .leaked,
                      evidence: "\(detail): its parent is gone, so it inherited fd \(fd) from a process that exited")
      }
      return Result(classification: .leaked,
                    evidence: "below orphan \(top.pid) (\(top.comm)), reparented to init and started after \(reader.pid): "
                      + "its parent is gone")
    }
    // 4. Live stages: a parent that waits for it, or a sibling under their live common parent.
    if let parent = ancestors.first, parent.pid != 1, let snapshot = ProcessSnapshot.read(parent.pid),
      let wait = snapshot.threads.compactMap(\.blocked).first(where: { call in
        call.waitPid.map { Self.covers($0, child: holder.stat, parent: parent) } ?? false
      })
    {
      return Result(classification: .pipelineStage,
                    evidence: "its parent \(parent.pid) (\(parent.comm)) is alive and waits for it in \(wait.syscall)")
    }
    if holder.stat.ppid == reader.stat.ppid {
      return Result(classification: .pipelineStage,
                    evidence: "a sibling of \(reader.pid) under their live parent \(holder.stat.ppid): a stage of the same pipeline")
    }
    if relation == .orphan {
      // Reparented to a subreaper that is an ancestor of the reader (not its parent, not waiting).
      return Result(classification: .leaked, evidence: "\(detail): its parent is gone")
    }
    return Result(classification: .unknown,
                  evidence: "\(detail); alive, and not provably an orphan: it may have opened or been given it on purpose")
  }

  /// A holder below a leaked holder (its child, grandchild, …) got the fd through it: leaked too
  /// (a leaked `sh -c 'sleep 120; true'` and its sleep). Servers, the reader and its own
  /// descendants stay what they are.
  func propagateLeaks(_ holders: inout [HangDiagnosis.Holder]) {
    let leaked = Set(holders.filter { $0.classification == .leaked }.map(\.pid))
    guard !leaked.isEmpty else { return }
    for i in holders.indices where holders[i].classification == .pipelineStage || holders[i].classification == .unknown {
      guard ![.child, .grandchild, .descendant, .parent, .ancestor].contains(holders[i].relation),
        let stat = ProcStat.read(holders[i].pid),
        let via = Relation.ancestors(of: stat).first(where: { leaked.contains($0.pid) })
      else { continue }
      holders[i].classification = .leaked
      holders[i].evidence = "below leaked holder \(via.pid) (\(via.comm)), through which it inherited fd \(holders[i].fd)"
    }
  }

  /// A socket whose holder's end was accepted on a listening socket the holder itself holds (on
  /// `listenerFd`): a server; an unnamed end connected to the reader's accepted one: a client. (A
  /// socketpair has no name on either end.)
  func serverEvidence(object: WaitedObject, listenerFd: Int32?) -> Result? {
    // A TCP connection's other end on this machine, and a terminal's master side: a peer, never a leak.
    if object.kind == .tcp {
      return Result(classification: .serverPeer, evidence: "its TCP peer on this machine (\(object.name)): a server or client, never a leak")
    }
    if object.kind == .terminal {
      return Result(classification: .serverPeer, evidence: "it holds the terminal's master side: the reader waits for terminal input")
    }
    guard object.kind == .socket else { return nil }
    var mine = ct_unix_socket()
    guard object.peer <= UInt64(UInt32.max), ct_unix_socket_lookup(UInt32(object.peer), &mine) == 0 else {
      // Not a UNIX socket pipetrace can look up (a TCP peer, say): its holder may be the server or
      // a client that connected itself; never a proven leak.
      return Result(classification: .unknown,
                    evidence: "its end, socket:[\(object.peer)], is not a UNIX socket pipetrace can look up: it may be a server or a client")
    }
    let name = SocketPeer.name(mine)
    // An unnamed end facing the reader's named (accepted) one: a client that connected to the
    // reader's listening socket itself.
    if name.isEmpty, !object.name.isEmpty {
      return Result(classification: .serverPeer, evidence: "a client: it connected to \(object.name), where the reader accepted it")
    }
    // The listener is looked up by this end's name (`WaitedObject.peerName`): held, the holder is
    // the server that accepted the connection.
    guard !name.isEmpty, let fd = listenerFd else { return nil }
    return Result(classification: .serverPeer,
                  evidence: "a server: it listens on \(name) (fd \(fd)), on which this connection was accepted")
  }

  /// Whether a wait4/waitid pid argument covers `child` of `parent`.
  static func covers(_ waitPid: Int32, child: ProcStat, parent: ProcStat) -> Bool {
    if waitPid == -1 { return true }
    if waitPid > 0 { return waitPid == child.pid }
    return child.pgid == (waitPid == 0 ? parent.pgid : -waitPid)
  }

  /// Whether a thread's call waits on the same object (another reader thread is no writer).
  static func waits(on object: WaitedObject, _ call: BlockedCall?, pid: Int32) -> Bool {
    guard let call else { return false }
    return call.fds.contains { f in
      guard let t = f.target else { return false }
      return WaitedObject.resolve(pid: pid, fd: f.fd, target: t) == object
    }
  }

  func zombieChildren(of p: ProcessSnapshot) -> [ProcessSnapshot] {
    p.childPids.compactMap { ProcessSnapshot.read($0) }.filter(\.stat.isZombie)
  }
}
