import CTrace

/// Reads a trace on a thread of its own, a batch of events ahead of its consumer. Parsing a line
/// costs about as much as the report's handling of the event, so with two CPUs the two overlap.
/// Memory stays bounded: at most `depth` batches of `batchSize` events wait.
///
/// `forEachEvent` lends each event in place and gives the batch back to the reading thread, which
/// frees it: all of the events' allocations and frees then happen on one thread (glibc's malloc
/// pays for a free from another thread with a lock on the arena it came from).
public final class PrefetchingReader: TraceReader {
  /// What the reading thread hands over: events, and the reader's state after reading them.
  private struct Batch: Sendable {
    var events: [Event]
    var timeResolution: Double
    var hasTimestamps: Bool
    var badLines: BadLines
    var last: Bool
  }

  /// The wrapped reader moves to the reading thread and is used there only.
  private struct Handoff: @unchecked Sendable { let reader: TraceReader }

  private let full: BlockingQueue<Batch>
  /// Consumed batches on their way back to be emptied and refilled.
  private let empty: BlockingQueue<[Event]>
  /// `next()`'s batch, reversed so that each event is moved out with `popLast()`.
  private var current: [Event] = []
  private var ended = false
  public private(set) var badLines = BadLines()
  public private(set) var timeResolution = 0.000001
  public private(set) var hasTimestamps = true

  /// `reader` read ahead on another thread; `reader` itself when this process may use one CPU only
  /// (nothing would overlap) or no thread can be made.
  public static func wrap(_ reader: TraceReader, batchSize: Int = 4096, depth: Int = 3) -> TraceReader {
    if ct_usable_cpus() < 2 { return reader }
    return (try? PrefetchingReader(reader, batchSize: batchSize, depth: depth)) ?? reader
  }

  public init(_ reader: TraceReader, batchSize: Int = 4096, depth: Int = 3) throws(Errno) {
    let full = BlockingQueue<Batch>(capacity: depth)
    let empty = BlockingQueue<[Event]>(capacity: depth + 2)
    self.full = full
    self.empty = empty
    let handoff = Handoff(reader: reader)
    let size = max(1, batchSize)
    if let e = OSThread.start({ Self.produce(handoff.reader, into: full, recycling: empty, batchSize: size) }) {
      throw e
    }
  }

  deinit {
    // Abandoned before the end: the reading thread stops after its current batch.
    full.close()
    empty.close()
  }

  private static func produce(
    _ reader: TraceReader, into full: BlockingQueue<Batch>, recycling empty: BlockingQueue<[Event]>, batchSize: Int
  ) {
    while true {
      var events: [Event]
      if var old = empty.poll() {
        old.removeAll(keepingCapacity: true)  // the consumer's events are freed here, on this thread
        events = old
      } else {
        events = []
        events.reserveCapacity(batchSize)
      }
      var last = false
      while events.count < batchSize {
        guard let e = reader.next() else {
          last = true
          break
        }
        events.append(e)
      }
      let batch = Batch(
        events: events, timeResolution: reader.timeResolution, hasTimestamps: reader.hasTimestamps,
        badLines: reader.badLines, last: last)
      if !full.put(batch) || last { return }
    }
  }

  /// The next batch's events (in order) and state; nil at the end.
  private func takeBatch() -> [Event]? {
    if ended { return nil }
    guard let batch = full.take() else {
      ended = true
      return nil
    }
    timeResolution = batch.timeResolution
    hasTimestamps = batch.hasTimestamps
    badLines = batch.badLines
    ended = batch.last
    return batch.events
  }

  public func next() -> Event? {
    while true {
      if let e = current.popLast() { return e }
      guard let events = takeBatch() else { return nil }
      current = events.reversed()
    }
  }

  public func forEachEvent(_ body: (borrowing Event) -> Void) {
    while let e = current.popLast() { body(e) }
    while let events = takeBatch() {
      events.withUnsafeBufferPointer { buffer in
        for k in buffer.indices { body(buffer[k]) }
      }
      empty.put(events)
    }
  }
}
