import Glibc

/// glibc's major/minor/makedev (macros Swift does not import) for Linux's 64-bit dev_t.
package enum DeviceNumber {
  package static func major(_ dev: dev_t) -> UInt64 {
    let d = UInt64(dev)
    return ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff)
  }
  package static func minor(_ dev: dev_t) -> UInt64 {
    let d = UInt64(dev)
    return (d & 0xff) | ((d >> 12) & ~0xff)
  }
  package static func make(major: UInt64, minor: UInt64) -> UInt64 {
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
  }
}
