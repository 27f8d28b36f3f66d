import CTrace

/// Captures and symbolizes stacks of stopped tracees. Address spaces live per process image
/// (created once, flushed when code is mapped or unmapped, dropped at execve), symbols per module
/// file, names per (module, offset).
package final class StackUnwinder {
  private var spaces: [Int32: OpaquePointer] = [:]
  private var threads: [Int32: OpaquePointer] = [:]
  private var maps: [Int32: [Mapping]] = [:]
  private var modules: [String: ElfSymbols?] = [:]
  private var names: [String: [UInt64: (String, UInt64)?]] = [:]
  let maxFrames: Int
  private var pcs: [UInt64]

  package init(maxFrames: Int = 64) {
    self.maxFrames = maxFrames
    pcs = [UInt64](repeating: 0, count: maxFrames)
  }

  deinit {
    for s in spaces.values { ct_unwind_space_destroy(s) }
    for t in threads.values { ct_unwind_thread_destroy(t) }
  }

  func capture(tid: Int32, tgid: Int32) -> [StackFrame] {
    let space: OpaquePointer
    if let s = spaces[tgid] {
      space = s
    } else {
      guard let s = ct_unwind_space_create() else { return [] }
      spaces[tgid] = s
      space = s
    }
    let thread: OpaquePointer
    if let t = threads[tid] {
      thread = t
    } else {
      guard let t = ct_unwind_thread_create(tid) else { return [] }
      threads[tid] = t
      thread = t
    }
    let n = ct_unwind(space, thread, &pcs, Int32(pcs.count))
    var frames: [StackFrame] = []
    frames.reserveCapacity(Int(n))
    for i in 0..<Int(n) {
      // Return addresses point after the call; look up pc-1 for every frame but the first.
      frames.append(symbolize(pcs[i], lookup: i == 0 ? pcs[i] : pcs[i] - 1, tgid: tgid))
    }
    return frames
  }

  private func mapping(of pc: UInt64, tgid: Int32) -> Mapping? {
    if let m = maps[tgid], let hit = m.first(where: { pc >= $0.start && pc < $0.end }) { return hit }
    // Unknown address: the maps may have changed since they were read.
    let fresh = Mapping.read(pid: tgid).filter(\.isFile)
    maps[tgid] = fresh
    return fresh.first { pc >= $0.start && pc < $0.end }
  }

  private func symbolize(_ pc: UInt64, lookup: UInt64, tgid: Int32) -> StackFrame {
    guard let m = mapping(of: lookup, tgid: tgid) else {
      return StackFrame(pc: pc, module: nil, symbol: nil, symbolOffset: 0, moduleOffset: pc)
    }
    let fileOffset = pc - m.start + m.offset
    let lookupOffset = lookup - m.start + m.offset
    var found: (String, UInt64)?
    if let cached = names[m.path]?[lookupOffset] {
      found = cached
    } else {
      if modules[m.path] == nil { modules[m.path] = ElfSymbols(path: m.path) }
      if let elf = modules[m.path] ?? nil, let va = elf.vaddr(ofFileOffset: lookupOffset) {
        found = elf.symbol(containing: va)
      }
      names[m.path, default: [:]][lookupOffset] = .some(found)
    }
    var frame = StackFrame(pc: pc, module: m.path, symbol: nil, symbolOffset: 0, moduleOffset: fileOffset)
    if let (name, off) = found {
      frame.symbol = name
      frame.symbolOffset = off + (pc - lookup)
    }
    return frame
  }

  /// Code was mapped or unmapped: cached unwind info and maps of this process are stale.
  func codeChanged(tgid: Int32) {
    if let s = spaces[tgid] { ct_unwind_space_flush(s) }
    maps[tgid] = nil
  }

  /// A new program image: nothing of the old one applies.
  func imageReplaced(tgid: Int32) {
    if let s = spaces.removeValue(forKey: tgid) { ct_unwind_space_destroy(s) }
    maps[tgid] = nil
  }

  func threadGone(tid: Int32) {
    if let t = threads.removeValue(forKey: tid) { ct_unwind_thread_destroy(t) }
  }

  func processGone(tgid: Int32) {
    if let s = spaces.removeValue(forKey: tgid) { ct_unwind_space_destroy(s) }
    maps[tgid] = nil
  }
}
