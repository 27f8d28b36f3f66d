/// libFuzzer target: every input goes through both trace readers (the strace-log reader and the
/// JSON-lines reader) and through `TraceInput.open` as the report command uses it, then through the
/// report built from what each read. One binary for both
/// keeps the sanitizer build to one compile.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraceReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let path = FuzzInput.write(data, size)
  if let source = try? LineSource(path: path) { FuzzInput.consume(StraceLogReader(source: source)) }
  if let source = try? LineSource(path: path) { FuzzInput.consume(JSONLinesReader(source: source)) }
  // As `pipetrace report` opens it: format detection on the same source, data bytes left out.
  if let reader = try? TraceInput.open(paths: [path], keepData: false) { FuzzInput.consume(reader) }
  return 0
}
