#if canImport(Glibc)
import Glibc
#endif

/// A first-in first-out queue between threads that holds at most `capacity` items: `put` waits for
/// room, `take` for an item. `close()` wakes both for good (a consumer that gave up, a producer
/// that is done). pthread primitives, not DispatchSemaphore: a semaphore freed below its initial
/// count traps, and a consumer may leave with items still queued.
package final class BlockingQueue<Item: Sendable>: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  /// Taken items are set to nil at once, so the taker holds the only reference (no copy on write).
  private var items: [Item?] = []
  private var head = 0
  private var closed = false
  let capacity: Int

  package init(capacity: Int) {
    self.capacity = max(1, capacity)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(changed, nil)
  }

  deinit {
    pthread_cond_destroy(changed)
    pthread_mutex_destroy(mutex)
    changed.deallocate()
    mutex.deallocate()
  }

  private func locked<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return body()
  }

  /// false when the queue was closed (the item is dropped).
  @discardableResult
  package func put(_ item: Item) -> Bool {
    locked {
      while !closed && items.count - head >= capacity { pthread_cond_wait(changed, mutex) }
      if closed { return false }
      items.append(item)
      pthread_cond_broadcast(changed)
      return true
    }
  }

  /// The oldest item; nil once the queue is closed and empty.
  package func take() -> Item? {
    locked {
      while !closed && head == items.count { pthread_cond_wait(changed, mutex) }
      return removeFirst()
    }
  }

  /// The oldest item if there is one, without waiting.
  package func poll() -> Item? {
    locked { removeFirst() }
  }

  /// With `mutex` held.
  private func removeFirst() -> Item? {
    if head == items.count { return nil }
    let item = items[head]
    items[head] = nil
    head += 1
    if head == items.count {
      items.removeAll(keepingCapacity: true)
      head = 0
    }
    pthread_cond_broadcast(changed)
    return item
  }

  package func close() {
    locked {
      closed = true
      pthread_cond_broadcast(changed)
    }
  }

  var isClosed: Bool { locked { closed } }
}
