// `run`: the command wrapper that cannot hang.
// Each layer re-exports the one below, so a file here sees every lower layer.
@_exported import PipeTraceDiagnosis
