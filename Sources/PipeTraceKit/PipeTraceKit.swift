// The engine as one import for the CLI and other Swift code: every layer, top to bottom.
@_exported import PipeTraceReport
@_exported import PipeTraceRun
