/// libFuzzer target: the strace log reader, then the report built from what it read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStraceLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  guard let source = try? LineSource(path: FuzzInput.write(data, size)) else { return 0 }
  FuzzInput.consume(StraceLogReader(source: source))
  return 0
}
