import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other side of a connected socket, from NETLINK_SOCK_DIAG (the lookups are in
/// CTrace/sockdiag.c, shared with -yy): a TCP connection's peer socket on this machine, and the
/// listening socket a connection was accepted on (its holder is the server that accepted it).
enum SocketPeer {
  /// A connected TCP socket whose other end is on this machine.
  struct TCP {
    /// Inode of the peer socket (its holders are the peer processes).
    var peer: UInt64
    /// The waiting socket as -yy shows it: `TCP:[127.0.0.1:40000->127.0.0.1:5000]`.
    var text: String
    /// Inode of the socket listening on the peer's address and port (0: none), held by the server
    /// that accepted the connection.
    var listener: UInt64
  }

  /// The peer on this machine of TCP socket `inode` (fd `fd` of `pid`); nil for another kind of
  /// socket, an unconnected one, a peer on another machine or network namespace, or a connection
  /// the server has not accepted yet (no process holds its end).
  /// `withListener`: also look up the listener (one more dump).
  static func tcp(pid: Int32, fd: Int32, inode: UInt64, withListener: Bool = true) -> TCP? {
    guard inode <= UInt64(UInt32.max), let name = FdDetailReader.protocolName(tid: pid, fd: fd) else { return nil }
    var family: Int32 = 0, proto: Int32 = 0
    guard ct_socket_protocol_named(name, &family, &proto) == 0, family == AF_INET || family == AF_INET6,
      proto == Int32(IPPROTO_TCP)
    else { return nil }
    var info = ct_inet_socket()
    guard ct_inet_socket_lookup(UInt32(inode), family, proto, &info) == 0, info.destination_port != 0 else { return nil }
    var peer: UInt32 = 0
    guard ct_inet_peer_lookup(&info, proto, &peer) == 0, peer != 0 else { return nil }
    var listener: UInt32 = 0
    let destination = info.destination
    if withListener {
      _ = withUnsafeBytes(of: destination) { raw in
        ct_inet_listener_lookup(family, proto, info.destination_port, raw.bindMemory(to: UInt8.self).baseAddress!, &listener)
      }
    }
    let text = FdDetailReader.inetText(name, info) ?? "\(name):[\(inode)]"
    return TCP(peer: UInt64(peer), text: text, listener: UInt64(listener))
  }

  /// The peer socket's inode of a connected UNIX stream or TCP socket on this machine (nil: none).
  static func peer(pid: Int32, fd: Int32, inode: UInt64) -> UInt64? {
    guard inode <= UInt64(UInt32.max) else { return nil }
    var info = ct_unix_socket()
    if ct_unix_socket_lookup(UInt32(inode), &info) == 0 { return info.peer != 0 ? UInt64(info.peer) : nil }
    return tcp(pid: pid, fd: fd, inode: inode, withListener: false)?.peer
  }

  /// The bound name of UNIX socket `inode` ("" when unbound or unknown). An accepted connection
  /// carries the name of the socket it was accepted on; the ends of a socketpair have none.
  static func unixName(_ inode: UInt64) -> String {
    guard inode <= UInt64(UInt32.max) else { return "" }
    var info = ct_unix_socket()
    guard ct_unix_socket_lookup(UInt32(inode), &info) == 0 else { return "" }
    return Self.name(info)
  }

  /// `ct_unix_socket.name` as text.
  static func name(_ info: ct_unix_socket) -> String {
    withUnsafeBytes(of: info.name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
  }

  /// The inode of the UNIX socket listening at `name` (0: none listens there).
  static func unixListener(named name: String) -> UInt64 {
    guard !name.isEmpty else { return 0 }
    var inode: UInt32 = 0
    return ct_unix_listener_lookup(name, &inode) == 0 ? UInt64(inode) : 0
  }
}
