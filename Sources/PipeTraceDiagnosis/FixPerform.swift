extension HangDiagnosis.Fix {
  /// Performs every replacement of the fix (each fd checked to still point where the diagnosis saw
  /// it). Returns per pid the outcome of each fd; a pid that could not be touched is reported with
  /// its error.
  public func perform(mode: InjectClose.Mode = .replaceWithNull)
    -> [(pid: Int32, result: Result<[(fd: Int32, outcome: InjectClose.Outcome)], InjectionError>)]
  {
    closes.map { c in
      (c.pid, Result { () throws(InjectionError) in
        try InjectClose.close(pid: c.target, fds: c.fds, expect: c.expect, mode: mode)
      })
    }
  }
}
