import Synchronization

/// Work for the tracer thread from another thread (`run`'s main thread asking for the stacks of its
/// tree before the kill): each posted closure runs once on the tracer thread, between stops, with
/// the tracer — or with nil, on the posting thread, once the loop has ended. The mailbox is the
/// loop's ticker; it ticks the tickers it wraps at their own intervals, so its short interval does
/// not make them tick more often.
package final class TracerMailbox: TraceTicker, @unchecked Sendable {
  package typealias Work = @Sendable (Tracer?) -> Void
  private let state = Mutex<(work: [Work], closed: Bool)>(([], false))
  /// Tracer thread only, as `lastTicks`.
  private let wrapped: [TraceTicker]
  private var lastTicks: [Double]

  package init(wrapping tickers: [TraceTicker]) {
    wrapped = tickers
    lastTicks = tickers.map { _ in Clock.monotonic() }
  }

  package var tickInterval: Double { 0.02 }

  package func post(_ work: @escaping Work) {
    let closed = state.withLock { s in
      if !s.closed { s.work.append(work) }
      return s.closed
    }
    if closed { work(nil) }
  }

  package func tick(now: Double, tracer: Tracer) {
    for w in state.withLock({ s in defer { s.work.removeAll() }; return s.work }) { w(tracer) }
    for (i, t) in wrapped.enumerated() where now - lastTicks[i] >= t.tickInterval {
      lastTicks[i] = now
      t.tick(now: now, tracer: tracer)
    }
  }

  /// The loop has ended: what is still posted, and what is posted later, runs with nil.
  package func close() {
    for w in state.withLock({ s in defer { s.work.removeAll(); s.closed = true }; return s.work }) { w(nil) }
  }
}
