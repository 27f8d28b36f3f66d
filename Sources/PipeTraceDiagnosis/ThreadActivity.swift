/// What all the threads of a process do, for a process whose first waiting thread idles in its
/// event loop: a server's main thread polls its own wakeup pipe while worker threads run, or
/// while its clients wait for answers it owes them (a query in progress). Such a process is at
/// work, not idle.
struct ThreadActivity: Sendable {
  var threads = 0
  /// Threads on a CPU or runnable.
  var running = 0
  /// Threads blocked in a call on fds (poll, read, accept, ...).
  var onFds = 0
  /// Threads blocked in a call on no fd (futex, nanosleep, io_getevents, ...): parked or at work,
  /// /proc cannot tell which.
  var elsewhere = 0
  /// The calls of `elsewhere`, most frequent first, with their counts.
  var elsewhereCalls: [(String, Int)] = []
  /// Processes blocked reading a connection whose other end this process holds and no thread of
  /// it waits on: it owes them an answer.
  var waitingClients: [(pid: Int32, comm: String, link: String)] = []

  /// Not idle: a thread runs, or a client waits for its answer.
  var isBusy: Bool { running > 0 || !waitingClients.isEmpty }

  /// `48 threads: 1 running, 2 in calls on fds, 45 in other calls (futex 44, nanosleep 1); client
  /// mariadb 123 waits for its answer on socket:[N]`.
  var summary: String {
    var text = "\(threads) thread\(threads == 1 ? "" : "s"): \(running) running, \(onFds) in calls on fds, \(elsewhere) in other calls"
    if !elsewhereCalls.isEmpty {
      text += " (" + elsewhereCalls.prefix(4).map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"
    }
    if !waitingClients.isEmpty {
      let shown = waitingClients.prefix(3).map { "\(DisplayText.escape($0.comm)) \($0.pid) on \(DisplayText.escape($0.link))" }
      text += "; \(waitingClients.count) client\(waitingClients.count == 1 ? "" : "s") wait\(waitingClients.count == 1 ? "s" : "") "
        + "for its answer (\(shown.joined(separator: ", "))\(waitingClients.count > 3 ? ", ..." : ""))"
    }
    return text
  }

  /// At most this many of the process's sockets are looked up (a TCP lookup is a dump).
  static let socketLimit = 256

  /// Reads the threads of `p` and, through the holder index, the clients waiting on its
  /// connections. `snapshot` gives the /proc snapshot of another process (the analyzer's cache).
  static func of(_ p: ProcessSnapshot, index: PipeHolderIndex, snapshot: (Int32) -> ProcessSnapshot?) -> ThreadActivity {
    var a = ThreadActivity()
    var calls: [String: Int] = [:]
    for t in p.threads {
      a.threads += 1
      if t.state == "R" {
        a.running += 1
      } else if let call = t.blocked {
        if call.fds.isEmpty && call.waitPid == nil {
          a.elsewhere += 1
          calls[call.syscall, default: 0] += 1
        } else {
          a.onFds += 1
        }
      }
    }
    a.elsewhereCalls = calls.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    // Sockets it waits on itself are not owed answers.
    let waitedByItself = Set(p.threads.compactMap(\.blocked).flatMap(\.fds).compactMap { $0.target?.inode })
    var looked = 0
    for (inode, fds) in index.socketsByInode where looked < socketLimit {
      guard let mine = fds.first(where: { $0.pid == p.pid }), !waitedByItself.contains(inode) else { continue }
      looked += 1
      guard let peer = SocketPeer.peer(pid: mine.tableOwner, fd: mine.fd, inode: inode) else { continue }
      for other in index.socketHolders(of: peer) where other.pid != p.pid {
        guard !a.waitingClients.contains(where: { $0.pid == other.pid }), let client = snapshot(other.pid) else { continue }
        let reading = client.threads.compactMap(\.blocked).contains { call in
          call.fds.contains { $0.wants == .read && $0.target?.inode == peer }
        }
        if reading { a.waitingClients.append((other.pid, client.comm, "socket:[\(peer)]")) }
      }
    }
    return a
  }
}

extension WaitForAnalyzer {
  /// A process whose main loop idles while its threads work or its clients wait for answers.
  mutating func serverAtWork(_ root: ProcessSnapshot, call: BlockedCall, activity: ThreadActivity,
                             into base: HangDiagnosis) -> HangDiagnosis {
    var result = base
    result.verdict = "\(Self.name(root)) is at work, not idle: \(activity.summary); its first waiting thread "
      + "is in \(call.syscall) on its own wakeup channel."
    result.noFixReason = "a process at work (threads running, or clients waiting for its answers): nothing to close"
    result.outcome = activity.running > 0 ? .notBlocked : .noFix
    return result
  }
}
