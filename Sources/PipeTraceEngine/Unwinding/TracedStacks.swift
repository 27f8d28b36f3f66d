/// Stacks of threads a `Tracer` already traces (an autopsy's blocked threads). Another thread cannot
/// seize them (a task has one tracer) and only the tracing thread may unwind them (ptrace requests
/// are bound to it), so the work goes through the tracer's loop, as an injected close does.
extension StackSnapshot {
  /// Takes the stacks of `threads` on the tracer thread, one process at a time: every thread of it
  /// is held at a PTRACE_EVENT_STOP (a thread blocked in a call is interrupted out of it), the
  /// listed ones are unwound, and all go on exactly as they were, their registers untouched (the
  /// kernel restarts the interrupted calls). A process the tracer does not trace is seized on its
  /// own, as `why --stack` does. `done` gets one stack per thread, in order, on the tracer thread,
  /// once all are served; a process reached after `deadline` (CLOCK_MONOTONIC) is left alone.
  /// Call `abandon()` on the result if its caller stops waiting.
  @discardableResult
  package static func capture(_ threads: [(pid: Int32, tid: Int32)], through tracer: Tracer, deadline: Double,
                      done: @escaping ([ThreadStack]) -> Void) -> TracedCapture {
    let capture = TracedCapture(threads, tracer: tracer, deadline: deadline, done: done)
    capture.next()
    return capture
  }

  /// No stack of `threads`, and why.
  package static func unavailable(_ threads: [(pid: Int32, tid: Int32)], _ reason: String) -> [ThreadStack] {
    threads.map { ThreadStack(pid: $0.pid, tid: $0.tid, frames: [], error: reason) }
  }

  /// One `capture(_:through:deadline:done:)` in progress (tracer thread only).
  package final class TracedCapture {
    private let order: [(pid: Int32, tid: Int32)]
    private var pending: [(pid: Int32, tids: [Int32])] = []
    private var stacks: [Int32: ThreadStack] = [:]
    private let unwinder = StackUnwinder()
    private let tracer: Tracer
    private let deadline: Double
    private var done: (([ThreadStack]) -> Void)?

    init(_ threads: [(pid: Int32, tid: Int32)], tracer: Tracer, deadline: Double, done: @escaping ([ThreadStack]) -> Void) {
      order = threads
      for t in threads {
        if let i = pending.firstIndex(where: { $0.pid == t.pid }) { pending[i].tids.append(t.tid) } else { pending.append((t.pid, [t.tid])) }
      }
      self.tracer = tracer
      self.deadline = deadline
      self.done = done
    }

    /// The stacks taken so far; the others say why they are missing.
    package var result: [ThreadStack] {
      order.map { stacks[$0.tid] ?? StackSnapshot.unavailable([$0], "not stopped in time")[0] }
    }

    /// Its caller has stopped waiting: `done` is not called, and no process is held any more.
    package func abandon() {
      done = nil
      pending.removeAll()
    }

    /// Serves the next process, or ends.
    func next() {
      while done != nil, let (pid, tids) = pending.first {
        pending.removeFirst()
        if Clock.monotonic() > deadline { continue }
        guard tracer.isTracing(process: pid) else {
          for tid in tids { stacks[tid] = StackSnapshot.capture(pid: pid, tid: tid, unwinder: unwinder) }
          continue
        }
        tracer.request(InjectionRequest(
          pid: pid,
          perform: { [self] _ in
            for tid in tids { stacks[tid] = unwind(pid: pid, tid: tid) }
            return []
          },
          completion: { [self] outcome in
            if case .failure(let e) = outcome {
              for tid in tids where stacks[tid] == nil { stacks[tid] = ThreadStack(pid: pid, tid: tid, frames: [], error: e.description) }
            }
            next()
          }))
        return
      }
      if let done {
        self.done = nil
        done(result)
      }
    }

    /// A thread of a process held by the tracer (every thread of it at a stop).
    private func unwind(pid: Int32, tid: Int32) -> ThreadStack {
      let frames = unwinder.capture(tid: tid, tgid: pid)
      unwinder.threadGone(tid: tid)
      return ThreadStack(pid: pid, tid: tid, frames: frames, error: frames.isEmpty ? "no frame could be read" : nil)
    }
  }
}
