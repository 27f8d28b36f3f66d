/// Linux signal names (x86_64 numbering), as strace prints them.
public enum Signals {
  static let names: [String] = [
    "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
    "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
  ]

  public static func name(_ sig: Int32) -> String {
    if sig >= 0 && Int(sig) < names.count { return names[Int(sig)] }
    if sig >= 32 && sig <= 64 { return sig == 34 ? "SIGRTMIN" : "SIGRT_\(sig - 34)" }
    return "\(sig)"
  }

  public static func number(_ name: String) -> Int32? {
    let n = name.hasPrefix("SIG") ? name : "SIG" + name
    if let i = names.firstIndex(of: n.uppercased()) { return Int32(i) }
    return Int32(name)
  }

  /// si_code names for SIGCHLD and for signals sent by a process.
  static func codeName(signo: Int32, code: Int32) -> String {
    switch code {
    case 0: return "SI_USER"
    case -6: return "SI_TKILL"
    case -1: return "SI_QUEUE"
    case 0x80: return "SI_KERNEL"
    default: break
    }
    if signo == 17 {
      let cld = ["", "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"]
      if code > 0 && Int(code) < cld.count { return cld[Int(code)] }
    }
    return "\(code)"
  }
}
