import CTrace

/// The signals a tracer takes itself (SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCHLD, with
/// sigtimedwait). They are blocked only while something is traced: from just before the first
/// tracee is launched or attached (or the tracer thread starts; threads inherit the mask) until
/// the trace is over. Before that, pipetrace is an ordinary program that Ctrl-C ends, also while it
/// waits in `open` of an `-o FIFO` nobody reads. Inherited as ignored, they get their default
/// action back before `main` (CTrace/signals.c), so none sent to pipetrace is lost; SIGPIPE is
/// ignored there (a reader gone is EPIPE, a write error); a launched command gets back what
/// pipetrace inherited.
public enum TracerSignals {
  /// Blocks them in the calling thread and in every thread it starts from now on.
  public static func block() { _ = ct_block_tracer_signals() }

  /// Unblocks them in the calling thread: one that arrived meanwhile and was not taken by the
  /// tracer now has its default action (pipetrace ends as any program would).
  public static func unblock() { _ = ct_unblock_tracer_signals() }
}
