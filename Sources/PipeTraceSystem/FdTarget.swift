/// What an fd pointed to when a syscall used it (from /proc/PID/fd, cached per fd table).
public struct FdTarget: Sendable, Equatable, Hashable {
  public enum Kind: String, Sendable {
    case pipe, socket, file, tty, anon, device, other
  }
  // Stored in this order (path, detail box, inode, kind) so that an `ArgValue` holding a target
  // stays 48 bytes: every decoded argument is one.
  /// The readlink text: `pipe:[44876238]`, `/dev/null`, `socket:[123]`, `anon_inode:[eventpoll]`.
  public var path: String
  private var detailBox: DetailBox?
  /// The inode of a pipe or socket.
  public var inode: UInt64?
  public var kind: Kind

  /// What -yy adds (strace's --decode-fds=all): nil without -yy, or when there is nothing to add.
  public var detail: FdDetail? {
    get { detailBox?.value }
    set { detailBox = newValue.map(DetailBox.init) }
  }

  /// Out of line: few targets have one, and it would make every `ArgValue` bigger.
  private final class DetailBox: Sendable {
    let value: FdDetail
    init(_ value: FdDetail) { self.value = value }
  }

  public init(kind: Kind, path: String, inode: UInt64? = nil, detail: FdDetail? = nil) {
    self.kind = kind
    self.path = path
    self.inode = inode
    self.detailBox = detail.map(DetailBox.init)
  }

  public static func == (a: FdTarget, b: FdTarget) -> Bool {
    a.kind == b.kind && a.path == b.path && a.inode == b.inode && a.detail == b.detail
  }

  public func hash(into h: inout Hasher) {
    h.combine(kind)
    h.combine(path)
    h.combine(inode)
    h.combine(detail)
  }

  /// Classifies a /proc/PID/fd link text.
  public init(link: String) {
    func inodeOf(_ prefix: String) -> UInt64? {
      guard link.hasPrefix(prefix), link.hasSuffix("]") else { return nil }
      return UInt64(link.dropFirst(prefix.count).dropLast())
    }
    if let ino = inodeOf("pipe:[") {
      self.init(kind: .pipe, path: link, inode: ino)
    } else if let ino = inodeOf("socket:[") {
      self.init(kind: .socket, path: link, inode: ino)
    } else if link.hasPrefix("anon_inode:") {
      self.init(kind: .anon, path: link)
    } else if link.hasPrefix("/dev/pts/") || link.hasPrefix("/dev/tty") || link == "/dev/console" {
      self.init(kind: .tty, path: link)
    } else if link.hasPrefix("/dev/") {
      self.init(kind: .device, path: link)
    } else if link.hasPrefix("/") {
      self.init(kind: .file, path: link)
    } else {
      self.init(kind: .other, path: link)
    }
  }
}

/// What strace -yy prints for an fd besides (or instead of) its /proc link.
public enum FdDetail: Sendable, Hashable {
  /// A socket's protocol and addresses, in strace's text and in place of `socket:[N]`:
  /// `TCP:[127.0.0.1:5432->127.0.0.1:40000]`, `UNIX-STREAM:[1234->1235,"/run/x.sock"]`, or
  /// `UDP:[1234]` when the kernel has nothing more to say (unbound, unconnected).
  case socket(String)
  /// A character or block device's numbers, after its path: `char 1:3` (`/dev/null<char 1:3>`).
  case device(String)
  /// The process a pidfd refers to, in place of `anon_inode:[pidfd]` (`pid:1234`).
  case process(Int32)
}
