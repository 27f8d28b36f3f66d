import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Reads a stopped tracee's memory: buffers, C strings, words.
package struct TraceeMemory {
  package let tid: Int32

  package init(tid: Int32) { self.tid = tid }

  /// Up to `count` bytes at `address`; fewer when the memory ends early.
  package func bytes(at address: UInt64, count: Int) -> [UInt8] {
    guard address != 0, count > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
      let n = ct_read_memory(tid, UInt(address), buf.baseAddress, count)
      initialized = n > 0 ? n : 0
    }
  }

  /// The page size: a read stays within one page where it can, the next page may be unmapped.
  package static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

  /// A NUL-terminated string, at most `limit` bytes (`truncated` when no NUL came within them);
  /// nil when the memory ends before a NUL or `limit + 1` bytes (strace then prints the address).
  package func cString(at address: UInt64, limit: Int) -> (bytes: [UInt8], truncated: Bool)? {
    var result: [UInt8] = []
    var addr = address
    while result.count <= limit {
      // Never across a page boundary in one read.
      let toPageEnd = Self.pageSize - Int(addr % UInt64(Self.pageSize))
      let chunk = bytes(at: addr, count: min(toPageEnd, limit + 1 - result.count))
      if chunk.isEmpty { return nil }
      if let nul = chunk.firstIndex(of: 0) {
        result.append(contentsOf: chunk[..<nul])
        return (result, false)
      }
      result.append(contentsOf: chunk)
      addr &+= UInt64(chunk.count)
    }
    return (Array(result.prefix(limit)), true)
  }

  package func word(at address: UInt64) -> UInt64? {
    let b = bytes(at: address, count: 8)
    guard b.count == 8 else { return nil }
    return b.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
  }
}
