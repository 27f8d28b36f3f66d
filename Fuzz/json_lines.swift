/// libFuzzer target: the JSON-lines reader, then the report built from what it read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLines(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  guard let source = try? LineSource(path: FuzzInput.write(data, size)) else { return 0 }
  FuzzInput.consume(JSONLinesReader(source: source))
  return 0
}
