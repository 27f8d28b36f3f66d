/// What the tracer does when pipetrace itself is sent SIGINT, SIGTERM, SIGHUP or SIGQUIT (unless
/// `Tracer.onSignal` takes them). Decided from what was launched or attached and how many such
/// signals came; the tracer carries the answer out.
package struct TracerSignalPolicy {
  package enum Response: Equatable {
    /// Attached: let go of everything; the targets run on as if never traced.
    case detach
    /// Launched: end the trace now, whatever the command left behind (`Tracer.endLaunchedTrace`).
    case endTrace
    /// Launched: send the signal on to the command.
    case passOn
    /// Launched: nothing to do, the command got the signal already.
    case none
  }

  /// Tracer signals received in launch mode.
  package private(set) var launchedSignals = 0

  package init() {}

  /// The answer to one signal with si_code `code`; `commandGone`: the launched command has ended.
  package mutating func respond(code: Int32, launched: Bool, commandGone: Bool) -> Response {
    guard launched else { return .detach }
    launchedSignals += 1
    // The command is gone (or this is the second request): what it left behind (a daemon that
    // ignores SIGINT) must not keep pipetrace waiting.
    if commandGone || launchedSignals > 1 { return .endTrace }
    // Launched: a terminal signal already reached the command's process group; one sent to
    // pipetrace alone (si_code <= 0) is passed on, so `kill PIPETRACE` ends the traced command.
    return code <= 0 ? .passOn : .none
  }
}
