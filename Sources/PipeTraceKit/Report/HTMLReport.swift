/// `--format html`: one self-contained page (no scripts or links to fetch): an SVG timeline with a
/// lane per process, blocking calls in red, arrows from each release to the call it released, and
/// the report's tables.
public enum HTMLReport {
  static let laneLimit = 300

  public static func render(_ r: Report, title: String = "pipetrace report") -> String {
    var h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(esc(title))</title>\n<style>\n"
    h += "body{font:13px sans-serif;margin:16px}table{border-collapse:collapse;margin:8px 0 20px}"
    h += "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-family:monospace}th{background:#eee}"
    h += ".lane-bg{fill:#dde6f0}.block{fill:#d62728;opacity:.85}.lane-label{font:11px monospace}"
    h += ".release{stroke:#2ca02c;stroke-width:1.5;fill:none}.rel-dot{fill:#2ca02c}\n</style></head><body>\n"
    h += "<h1>\(esc(title))</h1>\n"
    let start = r.traceStart ?? 0
    let end = max(r.traceEnd ?? start, start + 0.000001)
    h += "<p>\(r.eventCount) events, \(r.processes.count) processes, \(esc(NumberText.duration(end - start))) traced. Durations: \(esc(Report.clockNote)).</p>\n"
    if r.badLines.count > 0 {
      h += "<p class=\"bad-lines\">Unreadable lines: \(r.badLines.count)"
      for s in r.badLines.samples.prefix(5) { h += "<br>\(esc(s.file)):\(s.line): \(esc(s.reason))" }
      h += "</p>\n"
    }
    h += timeline(r, start: start, end: end)

    h += "<h2>Blocking calls (&ge; \(esc(NumberText.duration(r.minBlock)))), waits on pipes, sockets and children first, then longest first</h2>\n<table id=\"blocking\"><tr><th>pid</th><th>call</th><th>fd</th><th>start</th><th>duration</th><th>result</th><th>released by</th></tr>\n"
    for (k, b) in r.blocking.prefix(500).enumerated() {
      let rel = b.releasedBy.map { "\($0.pid) \(r.programName($0.pid)): \($0.event) at \(r.relative($0.ts))" } ?? (b.returned ? "unknown" : "still blocked at end")
      h += "<tr\(k == 0 ? " id=\"longest-block\"" : "")><td>\(b.pid)</td><td>\(esc(b.name))</td><td>\(esc(b.fd.map { "\($0)" + (b.target.map { " \($0)" } ?? "") } ?? ""))</td><td>\(esc(r.relative(b.ts)))</td><td>\(esc(NumberText.duration(b.dur)))</td><td>\(esc(b.result))</td><td>\(esc(rel))</td></tr>\n"
    }
    h += "</table>\n"
    if !r.leaks.isEmpty {
      h += "<h2>Leaked pipe ends</h2>\n<table id=\"leaks\"><tr><th>holder</th><th>program</th><th>fd</th><th>pipe</th><th>blocked reader</th></tr>\n"
      for l in r.leaks {
        h += "<tr><td>\(l.holderPid)</td><td>\(esc(l.program))</td><td>\(l.fd) (\(l.end.rawValue))</td><td>\(esc(l.pipe))</td><td>\(l.blockedPid) \(esc(l.blockedName)) \(esc(NumberText.duration(l.blockedDur)))</td></tr>\n"
      }
      h += "</table>\n"
    }
    h += "<h2>Processes</h2>\n<table id=\"processes\"><tr><th>pid</th><th>parent</th><th>program</th><th>start</th><th>end</th><th>lifetime</th><th>status</th></tr>\n"
    for p in r.processes {
      h += "<tr><td>\(p.pid)</td><td>\(p.parent.map { "\($0)" } ?? "")</td><td>\(esc(p.argv.isEmpty ? (p.program ?? "") : p.argv.joined(separator: " ")))</td><td>\(esc(r.relative(p.start)))</td><td>\(esc(p.end.map { r.relative($0) } ?? "-"))</td><td>\(esc(p.end.map { NumberText.duration($0 - p.start) } ?? "-"))</td><td>\(esc(r.statusText(p)))</td></tr>\n"
    }
    h += "</table>\n<h2>Pipes</h2>\n"
    for p in r.pipes.prefix(200) {
      h += "<h3>\(esc(p.label))</h3><ul>"
      for e in p.history { h += "<li>\(esc(r.relative(e.ts))) \(esc(e.text))</li>" }
      h += "</ul>\n"
    }
    h += "<h2>Syscalls (wall time)</h2>\n<table id=\"summary\"><tr><th>syscall</th><th>calls</th><th>errors</th><th>total</th><th>avg</th><th>p50</th><th>p99</th><th>max</th></tr>\n"
    for s in r.summary {
      h += "<tr><td>\(esc(s.name))</td><td>\(s.calls)</td><td>\(s.errors)</td><td>\(esc(NumberText.duration(s.total)))</td><td>\(esc(NumberText.duration(s.avg)))</td><td>\(esc(NumberText.duration(s.p50)))</td><td>\(esc(NumberText.duration(s.p99)))</td><td>\(esc(NumberText.duration(s.max)))</td></tr>\n"
    }
    h += "</table>\n</body></html>\n"
    return h
  }

  static func timeline(_ r: Report, start: Double, end: Double) -> String {
    let lanes = Array(r.processes.prefix(laneLimit))
    var laneOf: [Int32: Int] = [:]
    for (k, p) in lanes.enumerated() { laneOf[p.pid] = k }
    let labelWidth = 220.0, plotWidth = 1000.0, laneHeight = 22.0
    let height = Double(lanes.count) * laneHeight + 30
    func x(_ t: Double) -> Double { labelWidth + (t - start) / (end - start) * plotWidth }
    func y(_ lane: Int) -> Double { 20 + Double(lane) * laneHeight }
    func f(_ d: Double) -> String { NumberText.fixed(d, places: 1) }
    var s = "<h2>Timeline</h2>\n<svg id=\"timeline\" width=\"\(f(labelWidth + plotWidth + 20))\" height=\"\(f(height))\">\n"
    s += "<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" class=\"rel-dot\"/></marker></defs>\n"
    s += "<text x=\"\(f(labelWidth))\" y=\"12\" class=\"lane-label\">0 s</text><text x=\"\(f(labelWidth + plotWidth - 60))\" y=\"12\" class=\"lane-label\">\(esc(NumberText.duration(end - start)))</text>\n"
    for (k, p) in lanes.enumerated() {
      let x0 = x(p.start), x1 = max(x(p.end ?? end), x0 + 1)
      s += "<g class=\"lane\" data-pid=\"\(p.pid)\"><title>\(p.pid) \(esc(r.programName(p.pid))) \(esc(r.statusText(p)))</title>"
      s += "<text x=\"4\" y=\"\(f(y(k) + 14))\" class=\"lane-label\">\(p.pid) \(esc(String(r.programName(p.pid).prefix(22))))</text>"
      s += "<rect class=\"lane-bg\" x=\"\(f(x0))\" y=\"\(f(y(k) + 3))\" width=\"\(f(x1 - x0))\" height=\"\(f(laneHeight - 6))\"/></g>\n"
    }
    for b in r.blocking.prefix(2000) {
      guard let lane = laneOf[b.pid] else { continue }
      let x0 = x(b.ts), x1 = max(x(b.ts + b.dur), x0 + 2)
      s += "<rect class=\"block\" data-pid=\"\(b.pid)\" data-dur=\"\(JSONText.number(b.dur))\" x=\"\(f(x0))\" y=\"\(f(y(lane) + 3))\" width=\"\(f(x1 - x0))\" height=\"\(f(laneHeight - 6))\"><title>\(esc("\(b.name)(\(b.fd.map { "\($0)" } ?? "")) \(NumberText.duration(b.dur)) \(b.result)"))</title></rect>\n"
      if let rel = b.releasedBy, let relLane = laneOf[rel.pid] {
        s += "<path class=\"release\" marker-end=\"url(#arrow)\" d=\"M\(f(x(rel.ts))),\(f(y(relLane) + laneHeight / 2)) L\(f(x1)),\(f(y(lane) + laneHeight / 2))\"><title>\(esc("released by \(rel.pid): \(rel.event)"))</title></path>\n"
      }
    }
    s += "</svg>\n"
    return s
  }

  static func esc(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }
}
