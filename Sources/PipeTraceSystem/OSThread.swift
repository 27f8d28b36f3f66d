#if canImport(Glibc)
import Glibc
#endif

/// A detached OS thread running `body` (Foundation's Thread would load Foundation, and with it
/// ICU, into every pipetrace start).
package enum OSThread {
  private final class Body {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }

  /// nil when the thread runs, else why it could not be created.
  package static func start(_ body: @escaping @Sendable () -> Void) -> Errno? {
    let context = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
      Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
      return nil
    }, context)
    if rc != 0 {
      Unmanaged<Body>.fromOpaque(context).release()
      return Errno(rc)
    }
    pthread_detach(thread)
    return nil
  }
}
