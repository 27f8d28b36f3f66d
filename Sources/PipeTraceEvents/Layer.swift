// The event stream: strace-style and JSON writers, the trace readers, live output filters and
// summaries, the fd/pipe/process model.
// Each layer re-exports the one below, so a file here sees every lower layer.
@_exported import PipeTraceSyscalls
