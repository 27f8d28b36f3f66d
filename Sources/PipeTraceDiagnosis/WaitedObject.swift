import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// What a blocked fd waits on, when another process's fds decide it: a reader sees EOF only when
/// every holder of the other side has closed it.
///
/// - pipe: the other side is the opposite end (`pipe:[N]`, matched by inode);
/// - FIFO: a named pipe, the same rule; its holders are matched by device and inode of `stat`;
/// - UNIX stream socket: the other side is the peer socket (NETLINK_SOCK_DIAG's UNIX_DIAG_PEER, as
///   `ss -xp` finds it), held by whoever got the other end of a socketpair or the accepted connection;
/// - pty master: the other side is the slave `/dev/pts/N`; every holder of the slave keeps the
///   master's reader waiting (the ssh that hangs at logout on a background job);
/// - TCP socket: the other side is the peer socket on this machine (inet_diag: the socket whose
///   addresses are the waiting one's swapped); its holders are the peer, never a leak;
/// - terminal (a pty slave `/dev/pts/N`, a console `/dev/ttyN`): it waits for terminal input; the
///   other side is the pty master's holders (a terminal emulator, sshd), never a leak.
public struct WaitedObject: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case pipe, fifo, socket, pty, tcp, terminal
  }

  public var kind: Kind
  /// The waiting fd's own link text (`pipe:[N]`, the FIFO's path, `socket:[N]`, `/dev/ptmx`).
  public var link: String
  /// Pipe or socket inode of the waiting fd; for a FIFO its file inode; for a pty the slave index.
  public var inode: UInt64
  /// A FIFO's device (with `inode`, its identity).
  public var device: UInt64 = 0
  /// A socket's peer inode.
  public var peer: UInt64 = 0
  /// A socket's bound address (for TCP, its -yy text `TCP:[A:P->B:Q]`), a pty slave's or a
  /// terminal's path.
  public var name: String = ""
  /// A UNIX socket's peer's bound name: an accepted connection carries the name of the listening
  /// socket it was accepted on; "" for a socketpair's other end (or a client's unbound socket).
  public var peerName: String = ""
  /// Inode of the socket listening at the peer's address (UNIX: at `peerName`; TCP: the peer's
  /// address and port), 0 when none: its holder is the server that accepted the connection.
  public var listener: UInt64 = 0

  /// In words, for the verdict: `pipe:[N]`, `FIFO /tmp/f`, `socket:[N] (peer socket:[M])`, `pty /dev/pts/3`.
  public var label: String {
    switch kind {
    case .pipe: return link
    case .fifo: return "FIFO \(link)"
    case .socket: return "\(link) (UNIX stream socket\(name.isEmpty ? "" : " \(name)"), peer socket:[\(peer)])"
    case .pty: return "pty master of \(name)"
    case .tcp: return "\(link) (\(name), peer socket:[\(peer)])"
    case .terminal: return "terminal \(name)"
    }
  }

  /// The other side, as the holders' fds name it: what `--expect` checks in a fix.
  public var otherSide: String {
    switch kind {
    case .pipe: return link
    case .fifo: return link
    case .socket, .tcp: return "socket:[\(peer)]"
    case .pty: return name
    case .terminal: return "/dev/ptmx"
    }
  }

  /// Whether the other side's holder counts for a thread that `wants` to read (waits for data or
  /// EOF) or write (waits for room). A FIFO or pty opened O_RDWR (`end` nil) counts both ways.
  func counts(_ end: PipeEnd?, for wants: PipeEnd) -> Bool {
    switch kind {
    case .pipe: return end == (wants == .read ? .write : .read)
    case .fifo: return end == nil || end == (wants == .read ? .write : .read)
    case .socket, .pty, .tcp, .terminal: return true
    }
  }

  /// What fd `fd` of `pid`, pointing at `target`, waits on; nil for anything whose other side no
  /// process holds (a listening socket, an eventfd, a regular file).
  public static func resolve(pid: Int32, fd: Int32, target: FdTarget) -> WaitedObject? {
    switch target.kind {
    case .pipe:
      return target.inode.map { WaitedObject(kind: .pipe, link: target.path, inode: $0) }
    case .socket:
      guard let inode = target.inode, inode <= UInt64(UInt32.max) else { return nil }
      var info = ct_unix_socket()
      guard ct_unix_socket_lookup(UInt32(inode), &info) == 0 else {
        return SocketPeer.tcp(pid: pid, fd: fd, inode: inode).map {
          WaitedObject(kind: .tcp, link: target.path, inode: inode, peer: $0.peer, name: $0.text, listener: $0.listener)
        }
      }
      guard info.peer != 0,
        info.type == 1 || info.type == 5  // SOCK_STREAM, SOCK_SEQPACKET: a peer's close is EOF
      else { return nil }
      let peerName = SocketPeer.unixName(UInt64(info.peer))
      return WaitedObject(kind: .socket, link: target.path, inode: inode, peer: UInt64(info.peer),
                          name: SocketPeer.name(info), peerName: peerName,
                          listener: SocketPeer.unixListener(named: peerName))
    case .file, .tty, .device:
      guard let st = ProcFS.fdStat(pid, fd: fd) else { return nil }
      if st.st_mode & S_IFMT == S_IFIFO {
        return WaitedObject(kind: .fifo, link: target.path, inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
      }
      // The pty multiplexer (major 5, minor 2; also devpts' own ptmx node): fdinfo names the slave.
      if st.st_mode & S_IFMT == S_IFCHR, DeviceNumber.major(st.st_rdev) == 5, DeviceNumber.minor(st.st_rdev) == 2,
        let index = ProcFS.fdInfoField(pid, fd: fd, "tty-index").flatMap({ UInt64($0) })
      {
        return WaitedObject(kind: .pty, link: target.path, inode: index, name: "/dev/pts/\(index)")
      }
      if st.st_mode & S_IFMT == S_IFCHR, Self.isTerminal(st.st_rdev) {
        return WaitedObject(kind: .terminal, link: target.path, inode: UInt64(st.st_rdev), name: target.path)
      }
      return nil
    case .anon, .other:
      return nil
    }
  }

  /// Every fd on the system that holds the other side, each with its access mode.
  func otherSideHolders(in index: PipeHolderIndex, wants: PipeEnd) -> [PipeFd] {
    switch kind {
    case .pipe:
      return index.holders(of: inode).filter { counts($0.end, for: wants) }
    case .socket:
      return index.socketHolders(of: peer)
    case .fifo:
      return index.pathHolders { st in
        UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode && st.st_mode & S_IFMT == S_IFIFO
      }.filter { counts($0.end, for: wants) }
    case .pty:
      // Unix98 slaves: major 136 and up, the index as the minor (makedev spreads large ones).
      let slave = DeviceNumber.make(major: 136, minor: inode)
      return index.pathHolders { st in st.st_mode & S_IFMT == S_IFCHR && UInt64(st.st_rdev) == slave }
    case .tcp:
      return index.socketHolders(of: peer)
    case .terminal:
      // A pty slave's input comes from whoever holds its master (fdinfo's tty-index names the
      // slave); a console's from the keyboard, which no process holds.
      // Unix98 slaves are major 136 with the index as the minor (see `.pty`).
      guard DeviceNumber.major(dev_t(inode)) == 136 else { return [] }
      let slave = DeviceNumber.minor(dev_t(inode))
      return index.pathHolders { st in
        st.st_mode & S_IFMT == S_IFCHR && DeviceNumber.major(st.st_rdev) == 5 && DeviceNumber.minor(st.st_rdev) == 2
      }.filter { ProcFS.fdInfoField($0.tableOwner, fd: $0.fd, "tty-index").flatMap { UInt64($0) } == slave }
    }
  }

  /// A terminal a process reads its input from: a pty slave (majors 136-143), a virtual console
  /// or serial line (major 4), `/dev/tty` or the console (5:0, 5:1). Not the pty master (5:2).
  static func isTerminal(_ rdev: dev_t) -> Bool {
    let major = DeviceNumber.major(rdev), minor = DeviceNumber.minor(rdev)
    return (136...143).contains(major) || major == 4 || (major == 5 && minor < 2)
  }
}
