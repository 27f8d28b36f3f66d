// The syscall catalogue (one spec per call, per-ABI tables), the argument decoders and the records they produce.
// Each layer re-exports the one below, so a file here sees every lower layer.
@_exported import PipeTraceSystem
