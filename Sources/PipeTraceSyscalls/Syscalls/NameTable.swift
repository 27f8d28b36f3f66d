#if canImport(Glibc)
import Glibc
#endif

/// A map from short names (syscall names) to values, for the per-event paths: an FNV-1a hash of the
/// UTF-8 bytes and open addressing cost a fraction of `Dictionary`'s seeded SipHash on every event.
package struct NameTable<Value> {
  private var keys: [String?]
  /// Each key's UTF-8 bytes, for lookups by bytes (`value(utf8:)`) without a String.
  private var keyBytes: [[UInt8]]
  private var values: [Value?]
  private var mask: Int
  package private(set) var count = 0

  package init(capacity: Int = 64) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    keys = Array(repeating: nil, count: size)
    keyBytes = Array(repeating: [], count: size)
    values = Array(repeating: nil, count: size)
    mask = size - 1
  }

  init<S: Sequence>(_ pairs: S) where S.Element == (String, Value) {
    self.init(capacity: pairs.underestimatedCount)
    for (k, v) in pairs { self[k] = v }
  }

  @inline(__always)
  private static func hash<Bytes: Sequence<UInt8>>(_ utf8: Bytes) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Int(truncatingIfNeeded: h ^ (h >> 29))
  }

  @inline(__always)
  private static func hash(_ name: String) -> Int { hash(name.utf8) }

  /// The value of the name whose UTF-8 bytes these are (a reader's view of its line: no String).
  @inline(__always)
  package func value(utf8 name: UnsafeBufferPointer<UInt8>) -> Value? {
    var k = Self.hash(name) & mask
    while keys[k] != nil {
      let key = keyBytes[k]
      if key.count == name.count
        && (name.isEmpty || key.withUnsafeBufferPointer { memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) {
        return values[k]
      }
      k = (k + 1) & mask
    }
    return nil
  }

  /// The slot holding `name`, or the empty slot where it would go.
  @inline(__always)
  private func slot(_ name: String) -> Int {
    var k = Self.hash(name) & mask
    while let key = keys[k], key != name { k = (k + 1) & mask }
    return k
  }

  package subscript(name: String) -> Value? {
    get { values[slot(name)] }
    set {
      let k = slot(name)
      if keys[k] == nil {
        guard let newValue else { return }
        keys[k] = name
        keyBytes[k] = Array(name.utf8)
        values[k] = newValue
        count += 1
        if count * 2 > keys.count { grow() }
      } else if let newValue {
        values[k] = newValue
      } else {
        // Removal would break probe chains; the per-event users never remove. Rebuild without it.
        var rebuilt = NameTable(capacity: keys.count / 2)
        for (i, key) in keys.enumerated() where key != nil && i != k { rebuilt[key!] = values[i] }
        self = rebuilt
      }
    }
  }

  private mutating func grow() {
    var bigger = NameTable(capacity: keys.count)
    for (i, key) in keys.enumerated() where key != nil { bigger[key!] = values[i] }
    self = bigger
  }
}

extension NameTable: Sendable where Value: Sendable {}
