// The tracer loop, remote syscalls (injection) and stack unwinding.
// Each layer re-exports the one below, so a file here sees every lower layer.
@_exported import PipeTraceEvents
