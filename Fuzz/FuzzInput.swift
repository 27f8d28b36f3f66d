#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's input as a file (the readers read files in bounded chunks), reused across runs.
enum FuzzInput {
  nonisolated(unsafe) static var path = "/tmp/pipetrace-fuzz-\(getpid())"

  static func write(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    if fd >= 0 {
      _ = try? writeAll(fd, UnsafeRawBufferPointer(start: data, count: size))
      close(fd)
    }
    return path
  }

  /// Every event of `reader` through the report builder (the model and the renderers too).
  static func consume(_ reader: TraceReader) {
    let builder = ReportBuilder()
    while let e = reader.next() { builder.handle(e) }
    builder.finish()
    let report = builder.makeReport()
    _ = TextReport.render(report)
    _ = ChromeTrace.render(report)
  }
}
