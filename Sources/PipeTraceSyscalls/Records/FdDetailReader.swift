import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Reads what -yy shows of an fd besides its /proc link, as strace 6.1's `-yy` (`--decode-fds=all`)
/// prints it: a socket's protocol and addresses from NETLINK_SOCK_DIAG, a device's type and
/// numbers, a pidfd's process. strace 7.2 also decodes eventfds, signalfds and the pty behind
/// /dev/ptmx; 6.1 (Debian 12's, the one users here compare with) prints their paths, and so does
/// this. Callers cache the answers (FdTargetCache); each read here asks the kernel.
package enum FdDetailReader {
  /// A socket's text. `resolved` is false for strace's fallback `PROTO:[INODE]` (the kernel knows
  /// no address yet: unbound, unconnected), which strace does not cache. nil when the protocol is
  /// one strace does not decode (its path is shown).
  static func socket(inode: UInt64, tid: Int32, fd: Int32) -> (detail: FdDetail, resolved: Bool)? {
    guard inode > 0, inode <= UInt64(UInt32.max), let name = protocolName(tid: tid, fd: fd) else { return nil }
    var family: Int32 = 0, proto: Int32 = 0
    guard ct_socket_protocol_named(name, &family, &proto) == 0 else { return nil }
    let ino = UInt32(inode)
    var text: String?
    switch family {
    case AF_UNIX:
      var info = ct_unix_socket()
      if ct_unix_socket_lookup(ino, &info) == 0 { text = unixText(name, info) }
    case AF_INET, AF_INET6:
      var info = ct_inet_socket()
      if ct_inet_socket_lookup(ino, family, proto, &info) == 0 { text = inetText(name, info) }
    case AF_NETLINK:
      var info = ct_netlink_socket()
      if ct_netlink_socket_lookup(ino, &info) == 0 {
        if let p = ct_netlink_protocol_name(info.protocol) {
          text = "\(name):[\(String(cString: p)):\(info.port_id)]"
        } else {
          text = "\(name):[\(info.protocol)]"
        }
      }
    default: break
    }
    if let text { return (.socket(text), true) }
    return (.socket("\(name):[\(inode)]"), false)
  }

  /// `system.sockprotoname` of the fd: the kernel's name of the socket's protocol ("TCP",
  /// "UNIX-STREAM", "UDPv6", "NETLINK"), as strace reads it.
  package static func protocolName(tid: Int32, fd: Int32) -> String? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buf -> String? in
      guard ct_socket_protocol_of(ProcFS.fdPath(tid, fd: fd), buf.baseAddress!, buf.count) > 0 else { return nil }
      return String(cString: buf.baseAddress!)
    }
  }

  /// `UNIX-STREAM:[INODE->PEER,"PATH"]` (strace's order; `,@"NAME"` for an abstract address, the
  /// name quoted and escaped as strace quotes strings). nil when the socket has neither a peer nor
  /// a name: strace then prints its fallback.
  static func unixText(_ proto: String, _ info: ct_unix_socket) -> String? {
    let name = withUnsafeBytes(of: info.name) { Array($0.prefix { $0 != 0 }) }
    guard info.peer != 0 || !name.isEmpty else { return nil }
    var text = "\(proto):[\(info.inode)"
    if info.peer != 0 { text += "->\(info.peer)" }
    if !name.isEmpty {
      text += info.abstract != 0 ? ",@" + StraceEscape.quoted(Array(name.dropFirst()), hex: StraceEscape.hexStrings)
        : "," + StraceEscape.quoted(name, hex: StraceEscape.hexStrings)
    }
    return text + "]"
  }

  /// `TCP:[SRC:PORT->DST:PORT]`, or `TCP:[SRC:PORT]` with no peer address; IPv6 addresses in
  /// brackets, `TCPv6:[[::1]:5432->[::1]:40000]`.
  package static func inetText(_ proto: String, _ info: ct_inet_socket) -> String? {
    let v6 = Int32(info.family) == AF_INET6
    let size = v6 ? 16 : 4
    func address(_ bytes: [UInt8]) -> String? {
      withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buf -> String? in
        let ok = bytes.withUnsafeBytes { inet_ntop(Int32(info.family), $0.baseAddress, buf.baseAddress, socklen_t(buf.count)) }
        guard ok != nil else { return nil }
        let text = String(cString: buf.baseAddress!)
        return v6 ? "[" + text + "]" : text
      }
    }
    let source = withUnsafeBytes(of: info.source) { Array($0.prefix(size)) }
    let destination = withUnsafeBytes(of: info.destination) { Array($0.prefix(size)) }
    guard let src = address(source) else { return nil }
    if info.destination_port == 0 && destination.allSatisfy({ $0 == 0 }) {
      return "\(proto):[\(src):\(info.source_port)]"
    }
    guard let dst = address(destination) else { return nil }
    return "\(proto):[\(src):\(info.source_port)->\(dst):\(info.destination_port)]"
  }

  /// `char 1:3` for a character device, `block 8:0` for a block device; nil for anything else.
  /// strace decides by stat of the link's path; this stats the fd itself (the same file, seen from
  /// the tracee's mount namespace), except for a deleted node, which strace cannot stat.
  static func device(tid: Int32, fd: Int32, link: String) -> FdDetail? {
    guard link.hasPrefix("/"), !link.hasSuffix(" (deleted)") else { return nil }
    guard let st = ProcFS.fdStat(tid, fd: fd) else { return nil }
    let type: String
    switch st.st_mode & S_IFMT {
    case S_IFCHR: type = "char"
    case S_IFBLK: type = "block"
    default: return nil
    }
    return .device("\(type) \(DeviceNumber.major(st.st_rdev)):\(DeviceNumber.minor(st.st_rdev))")
  }

  /// The process of a pidfd (`Pid:` of its fdinfo); nil once that process is gone (-1) or for any
  /// other fd.
  static func pidfd(tid: Int32, fd: Int32, link: String) -> FdDetail? {
    guard link == "anon_inode:[pidfd]" || link.hasPrefix("pidfd:"),
      let pid = ProcFS.fdInfoField(tid, fd: fd, "Pid").flatMap({ Int32($0) }), pid > 0
    else { return nil }
    return .process(pid)
  }
}
