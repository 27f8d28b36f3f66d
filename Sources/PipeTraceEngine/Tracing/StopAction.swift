/// How a stopped tracee goes on once the loop has handled its stop. Every stop handler returns one
/// and the loop applies it in one place (`Tracer.restart`), as strace's `dispatch_event` ends in
/// its one `ptrace_restart`.
package enum StopAction: Equatable {
  /// PTRACE_SYSCALL, delivering this signal (0: none): on to the next syscall stop or event.
  case syscall(Int32)
  /// PTRACE_CONT, delivering this signal (0: none): on to the next event (seccomp stops still
  /// come when the filter asks).
  case cont(Int32)
  /// PTRACE_LISTEN: stays in its group-stop, but reports the end of it.
  case listen
  /// Stays at its stop, held for an injection (the injection lets it go).
  case hold
  /// Not a tracee any more (it exited or was let go): nothing to restart.
  case gone
}
