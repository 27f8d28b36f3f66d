// The post-mortem report of a saved trace and its renderers.
// Each layer re-exports the one below, so a file here sees every lower layer.
@_exported import PipeTraceDiagnosis
