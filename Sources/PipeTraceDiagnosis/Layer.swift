// `why`: a blocked call, what it waits on, who holds the other end, the verdict and the fix.
// Each layer re-exports the one below, so a file here sees every lower layer.
@_exported import PipeTraceEngine
