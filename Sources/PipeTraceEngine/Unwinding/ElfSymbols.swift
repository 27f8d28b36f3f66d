import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// Function symbols of one ELF file (.symtab and .dynsym), with sizes, and the file's PT_LOAD
/// segments to turn a file offset into a symbol address. A pc gets a name only when it lies inside
/// the symbol's [value, value+size): never a nearest-symbol guess. A stripped binary that carries
/// MiniDebugInfo (an xz-compressed ELF in `.gnu_debugdata`) gets that ELF's symbols.
final class ElfSymbols {
  struct Symbol {
    var value: UInt64
    var size: UInt64
    var name: String
  }
  struct Segment {
    var offset: UInt64
    var vaddr: UInt64
    var fileSize: UInt64
  }

  private(set) var symbols: [Symbol] = []
  private(set) var segments: [Segment] = []

  init?(path: String) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_size > 64 else { return nil }
    let size = Int(st.st_size)
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return nil }
    defer { munmap(base, size) }
    let bytes = UnsafeRawBufferPointer(start: base, count: size)
    guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2 else { return nil }
    parse(bytes)
    symbols.sort { $0.value < $1.value || ($0.value == $1.value && $0.size > $1.size) }
  }

  private func parse(_ b: UnsafeRawBufferPointer, segmentsToo: Bool = true) {
    func u16(_ o: Int) -> Int { o + 2 <= b.count ? Int(b.loadUnaligned(fromByteOffset: o, as: UInt16.self)) : 0 }
    func u32(_ o: Int) -> UInt32 { o + 4 <= b.count ? b.loadUnaligned(fromByteOffset: o, as: UInt32.self) : 0 }
    func u64(_ o: Int) -> UInt64 { o + 8 <= b.count ? b.loadUnaligned(fromByteOffset: o, as: UInt64.self) : 0 }

    let phoff = Int(u64(0x20)), phentsize = u16(0x36), phnum = segmentsToo ? u16(0x38) : 0
    for i in 0..<phnum {
      let p = phoff + i * phentsize
      guard p + 56 <= b.count, u32(p) == 1 else { continue }  // PT_LOAD
      segments.append(Segment(offset: u64(p + 8), vaddr: u64(p + 0x10), fileSize: u64(p + 0x20)))
    }
    let shoff = Int(u64(0x28)), shentsize = u16(0x3a), shnum = u16(0x3c)
    guard shoff > 0, shentsize >= 64 else { return }
    struct Section { var type: UInt32; var offset: Int; var size: Int; var link: Int; var entsize: Int }
    var sections: [Section] = []
    for i in 0..<shnum {
      let s = shoff + i * shentsize
      guard s + 64 <= b.count else { break }
      sections.append(Section(type: u32(s + 4), offset: Int(u64(s + 0x18)), size: Int(u64(s + 0x20)),
                              link: Int(u32(s + 0x28)), entsize: Int(u64(s + 0x38))))
    }
    // MiniDebugInfo: symbols of a stripped binary, in an embedded xz-compressed ELF.
    let shstrndx = u16(0x3e)
    if shstrndx < sections.count {
      let names = sections[shstrndx]
      for i in 0..<shnum where i < sections.count {
        let nameOffset = names.offset + Int(u32(shoff + i * shentsize))
        let wanted = Array(".gnu_debugdata".utf8)
        guard nameOffset + wanted.count < b.count,
          (0..<wanted.count).allSatisfy({ b[nameOffset + $0] == wanted[$0] }), b[nameOffset + wanted.count] == 0
        else { continue }
        let sec = sections[i]
        guard sec.offset + sec.size <= b.count, sec.size > 0 else { continue }
        var out: UnsafeMutablePointer<UInt8>?
        var outLen = 0
        let rc = ct_xz_decompress(b.baseAddress!.assumingMemoryBound(to: UInt8.self) + sec.offset, sec.size, 64 << 20, &out, &outLen)
        if rc == 0, let out {
          let inner = UnsafeRawBufferPointer(start: out, count: outLen)
          if outLen > 64, inner[0] == 0x7f, inner[1] == 0x45 { parse(inner, segmentsToo: false) }
          ct_xz_free(out)
        }
      }
    }
    for sec in sections where sec.type == 2 || sec.type == 11 {  // SHT_SYMTAB, SHT_DYNSYM
      guard sec.link < sections.count, sec.entsize >= 24 else { continue }
      let strtab = sections[sec.link]
      let count = sec.size / sec.entsize
      for i in 0..<count {
        let e = sec.offset + i * sec.entsize
        guard e + 24 <= b.count else { break }
        let info = b[e + 4]
        let type = info & 0xf
        guard type == 2 || type == 10 else { continue }  // STT_FUNC, STT_GNU_IFUNC
        let value = u64(e + 8), size = u64(e + 16)
        guard value != 0, u16(e + 6) != 0 else { continue }  // defined here
        let nameOffset = strtab.offset + Int(u32(e))
        guard nameOffset < b.count else { continue }
        var end = nameOffset
        while end < b.count && end < strtab.offset + strtab.size && b[end] != 0 { end += 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[nameOffset..<end]), as: UTF8.self)
        symbols.append(Symbol(value: value, size: size, name: name))
      }
    }
  }

  /// The symbol address of a file offset, through the PT_LOAD segment that maps it.
  func vaddr(ofFileOffset off: UInt64) -> UInt64? {
    for s in segments where off >= s.offset && off < s.offset + s.fileSize {
      return off - s.offset + s.vaddr
    }
    return nil
  }

  /// The function containing `vaddr`, and the offset into it.
  func symbol(containing vaddr: UInt64) -> (String, UInt64)? {
    var lo = 0, hi = symbols.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if symbols[mid].value <= vaddr { lo = mid + 1 } else { hi = mid }
    }
    // Walk back over symbols starting at or before vaddr; the first whose extent covers it wins.
    var i = lo - 1
    var checked = 0
    while i >= 0 && checked < 64 {
      let s = symbols[i]
      if vaddr >= s.value && (vaddr < s.value + s.size || (s.size == 0 && vaddr == s.value)) {
        return (s.name, vaddr - s.value)
      }
      i -= 1
      checked += 1
    }
    return nil
  }
}
