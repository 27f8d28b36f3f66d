import CTrace

#if canImport(Glibc)
import Glibc
#endif

/// One wait status of a traced task, decoded once (strace's `trace_event`): the loop, detaching
/// and injecting all switch over this instead of testing status bits.
package enum TraceStop: Equatable {
  /// The task ended with exit(code).
  case exited(code: Int32)
  /// The task was killed by `signal`.
  case killed(signal: Int32, coreDumped: Bool)
  /// A syscall-entry or -exit stop (SIGTRAP | 0x80 with PTRACE_O_TRACESYSGOOD);
  /// PTRACE_GET_SYSCALL_INFO tells which.
  case syscall
  /// The seccomp filter asked for this syscall (PTRACE_EVENT_SECCOMP): an entry.
  case seccomp
  /// fork, vfork or clone created a task (PTRACE_EVENT_FORK/VFORK/CLONE); its id is the event message.
  case newTask(ForkEvent)
  /// execve succeeded (PTRACE_EVENT_EXEC); the event message is the tid that called it.
  case exec
  /// A job-control stop of a seized task (PTRACE_EVENT_STOP with a stop signal).
  case groupStop(signal: Int32)
  /// PTRACE_EVENT_STOP otherwise: a PTRACE_INTERRUPT, or the first stop of a new or attached task.
  case interrupt
  /// A signal is about to be delivered; PTRACE_GETSIGINFO tells more.
  case signal(Int32)
  /// Anything else waitpid reports: nothing to do but resume. The tracer asks for no other event
  /// (PTRACE_O_TRACEVFORKDONE, PTRACE_O_TRACEEXIT) and waits without WCONTINUED, so none is expected.
  case other(status: Int32)

  package enum ForkEvent: Equatable {
    case fork, vfork, clone
  }

  /// PTRACE_O_TRACESYSGOOD marks syscall stops with this stop signal.
  static let syscallStopSignal = SIGTRAP | 0x80

  package init(status: Int32) {
    var w = ct_wait_status()
    ct_decode_wait_status(status, &w)
    switch w.kind {
    case Int32(CT_WAIT_EXITED):
      self = .exited(code: w.value)
    case Int32(CT_WAIT_SIGNALED):
      self = .killed(signal: w.value, coreDumped: w.core != 0)
    case Int32(CT_WAIT_STOPPED):
      self = TraceStop.stopped(signal: w.value, event: w.event, status: status)
    default:
      self = .other(status: status)
    }
  }

  private static func stopped(signal: Int32, event: Int32, status: Int32) -> TraceStop {
    switch event {
    case 0:
      return signal == syscallStopSignal ? .syscall : .signal(signal)
    case Int32(CT_EVENT_SECCOMP): return .seccomp
    case Int32(CT_EVENT_FORK): return .newTask(.fork)
    case Int32(CT_EVENT_VFORK): return .newTask(.vfork)
    case Int32(CT_EVENT_CLONE): return .newTask(.clone)
    case Int32(CT_EVENT_EXEC): return .exec
    case Int32(CT_EVENT_STOP):
      switch signal {
      case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: return .groupStop(signal: signal)
      default: return .interrupt
      }
    default:
      return .other(status: status)
    }
  }

  /// The task is gone: no ptrace request can reach it any more.
  package var isTermination: Bool {
    switch self {
    case .exited, .killed: return true
    default: return false
    }
  }

  /// The shell's way to say how a task ended: its exit code, or 128+N when killed by signal N.
  package var shellStatus: Int32? {
    switch self {
    case .exited(let code): return code
    case .killed(let signal, _): return 128 + signal
    default: return nil
    }
  }
}
