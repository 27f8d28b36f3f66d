/// libFuzzer target: every input goes through both trace readers (the strace-log reader and the
/// JSON-lines reader), then through the report built from what each read. One binary for both
/// keeps the sanitizer build to one compile.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraceReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let path = FuzzInput.write(data, size)
  if let source = try? LineSource(path: path) { FuzzInput.consume(StraceLogReader(source: source)) }
  if let source = try? LineSource(path: path) { FuzzInput.consume(JSONLinesReader(source: source)) }
  return 0
}
