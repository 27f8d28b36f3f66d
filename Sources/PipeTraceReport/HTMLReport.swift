/// `--format html`: one self-contained page (nothing fetched: no links, no CDN, one small inline
/// script). From the top: the verdict (what blocked, for how long, who held the pipe and with which
/// fd, the fix), a timeline with a lane per process laid out as the process tree (the holder's lane
/// marked, blocking calls in red, arrows from each release to the call it released, time ticks, zoom
/// and pan), then the report's tables, the pipes as collapsible sections. Every list that is cut
/// says how many it left out. Every string from the trace goes through `esc`.
public enum HTMLReport {
  static let laneLimit = 300
  static let blockRowLimit = 500
  static let drawnBlockLimit = 2000
  static let pipeLimit = 200
  static let processRowLimit = 1000
  /// Command lines longer than this are folded into a <details>.
  static let foldAt = 100
  static let labelWidth = 260.0, plotWidth = 1000.0, laneHeight = 22.0, axisHeight = 24.0

  public static func render(_ r: Report, title: String = "pipetrace report") -> String {
    let verdict = r.verdict()
    var h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(esc(title))</title>\n<style>\n\(style)</style></head><body>\n"
    h += "<h1>\(esc(title))</h1>\n"
    let start = r.traceStart ?? 0
    let end = max(r.traceEnd ?? start, start + 0.000001)
    h += verdictBox(r, verdict)
    h += "<p>\(r.eventCount) events, \(r.processes.count) processes, \(esc(NumberText.duration(end - start))) traced. Durations: \(esc(Report.clockNote)).</p>\n"
    if !r.hasTimestamps {
      h += "<p>The log has no timestamps: times only order events (1 µs per line); durations come from -T.</p>\n"
    }
    if r.badLines.count > 0 {
      h += "<p class=\"bad-lines\">Unreadable lines: \(r.badLines.count)"
      for s in r.badLines.samples.prefix(5) { h += "<br>\(esc(s.file)):\(s.line): \(esc(s.reason))" }
      h += "</p>\n"
    }
    h += timeline(r, verdict, start: start, end: end)
    h += blockingTable(r)
    if !r.leaks.isEmpty {
      h += "<h2>Leaked pipe ends</h2>\n<table id=\"leaks\"><tr><th>holder</th><th>program</th><th>fd</th><th>pipe</th><th>blocked reader</th></tr>\n"
      for l in r.leaks {
        h += "<tr><td>\(l.holderPid)</td><td>\(esc(l.program))</td><td>\(l.fd) (\(l.end.rawValue))</td><td>\(esc(l.pipe))</td><td>\(l.blockedPid) \(esc(r.laneName(l.blockedPid))) \(esc(NumberText.duration(l.blockedDur)))</td></tr>\n"
      }
      h += "</table>\n"
    }
    h += processTable(r)
    h += pipeSections(r, verdict)
    h += "<h2>Syscalls (wall time)</h2>\n<table id=\"summary\"><tr><th>syscall</th><th>calls</th><th>errors</th><th>total</th><th>avg</th><th>p50</th><th>p99</th><th>max</th></tr>\n"
    for s in r.summary {
      h += "<tr><td>\(esc(s.name))</td><td>\(s.calls)</td><td>\(s.errors)</td><td>\(esc(NumberText.duration(s.total)))</td><td>\(esc(NumberText.duration(s.avg)))</td><td>\(esc(NumberText.duration(s.p50)))</td><td>\(esc(NumberText.duration(s.p99)))</td><td>\(esc(NumberText.duration(s.max)))</td></tr>\n"
    }
    h += "</table>\n<script>\n\(script)</script>\n</body></html>\n"
    return h
  }

  // MARK: The verdict

  static func callText(_ b: Report.BlockingCall) -> String {
    "\(b.name)(\(b.fd.map { "\($0)" + (b.target.map { "<\($0)>" } ?? "") } ?? ""))"
  }

  static func verdictBox(_ r: Report, _ v: ReportVerdict) -> String {
    var s = "<section id=\"verdict\" class=\"verdict\"><h2>Verdict</h2>\n"
    guard let b = v.call else { return s + "<p class=\"verdict-text\">\(esc(v.verdict))</p></section>\n" }
    s += "<p class=\"what\"><b>\(b.pid) \(esc(r.laneName(b.pid)))</b> blocked <b>\(esc(NumberText.duration(b.dur)))</b> in <code>\(esc(callText(b)))</code> at \(esc(r.relative(b.ts))), "
      + (b.returned ? "then returned <code>\(esc(b.result))</code>" : "and never returned") + ".</p>\n<dl>\n"
    if let holder = v.holder {
      s += "<dt>Held by</dt><dd id=\"holder\" data-pid=\"\(holder.pid)\" data-fd=\"\(holder.fd)\"><b>\(holder.pid) \(esc(holder.name))</b>, "
        + "<b>fd \(holder.fd)</b> (\(holder.end.rawValue) end of \(esc(holder.pipe))): \(esc(holder.how))</dd>\n"
    } else if let rel = b.releasedBy {
      s += "<dt>Released by</dt><dd id=\"releaser\" data-pid=\"\(rel.pid)\">\(rel.pid) \(esc(r.laneName(rel.pid))): \(esc(rel.event)) at \(esc(r.relative(rel.ts)))</dd>\n"
    } else {
      s += "<dt>Held by</dt><dd id=\"holder-unknown\">the trace cannot tell</dd>\n"
    }
    s += "<dt>Verdict</dt><dd class=\"verdict-text\">\(esc(v.verdict))</dd>\n"
    if let fix = v.fix { s += "<dt>Fix</dt><dd class=\"fix\"><code>\(esc(fix))</code></dd>\n" }
    for d in v.done { s += "<dt>Done</dt><dd class=\"done\">\(esc(d))</dd>\n" }
    s += "</dl><p class=\"source\">"
      + (v.fromDiagnosis ? "From pipetrace's diagnosis during the trace (--stuck-after), as <code>pipetrace why</code> gave it."
        : "From the trace's model: no diagnosis was made while it ran (pipetrace --stuck-after records one).")
      + "</p></section>\n"
    return s
  }

  // MARK: The timeline

  /// The lanes to draw: the processes the verdict names and their ancestors first, then the rest
  /// in tree order, up to `laneLimit`; drawn in tree order.
  static func lanes(_ r: Report, _ v: ReportVerdict) -> (lanes: [(process: ProcessRecord, depth: Int)], omitted: Int) {
    let tree = r.processTree()
    guard tree.count > laneLimit else { return (tree, 0) }
    var wanted = Set<Int32>()
    func addWithAncestors(_ pid: Int32) {
      var p: Int32? = pid
      while let q = p, r.processIndex[q] != nil, wanted.insert(q).inserted { p = r.processes[r.processIndex[q]!].parent }
    }
    for pid in [v.call?.pid, v.holder?.pid, v.call?.releasedBy?.pid].compactMap({ $0 }) { addWithAncestors(pid) }
    for (p, _) in tree where wanted.count < laneLimit { wanted.insert(p.pid) }
    let kept = tree.filter { wanted.contains($0.process.pid) }
    return (kept, tree.count - kept.count)
  }

  static func timeline(_ r: Report, _ v: ReportVerdict, start: Double, end: Double) -> String {
    let (lanes, omitted) = self.lanes(r, v)
    var laneOf: [Int32: Int] = [:]
    for (k, l) in lanes.enumerated() { laneOf[l.process.pid] = k }
    let span = end - start
    func f(_ d: Double) -> String { NumberText.fixed(d, places: 1) }
    func t(_ ts: Double) -> String { NumberText.fixed(ts - start, places: 6) }
    func x(_ ts: Double) -> Double { (ts - start) / span * plotWidth }
    func y(_ lane: Int) -> Double { axisHeight + Double(lane) * laneHeight }
    let height = y(lanes.count) + 4
    var s = "<h2>Timeline</h2>\n<p class=\"hint\">Zoom: ctrl + wheel, the buttons or + / −; pan: drag or scroll sideways. Lanes are the process tree; red: blocking calls; green arrows: what released them.</p>\n"
    s += "<div class=\"zoom\"><button id=\"zoom-in\">+</button><button id=\"zoom-out\">−</button><button id=\"zoom-reset\">reset</button> <span id=\"zoom-level\">1×</span></div>\n"
    s += "<div class=\"timeline-box\"><div id=\"lanes\" class=\"lanes\" style=\"width:\(f(labelWidth))px;padding-top:\(f(axisHeight))px\">\n"
    for (k, l) in lanes.enumerated() {
      let p = l.process
      var cls = "lane"
      var extra = ""
      if p.pid == v.holder?.pid {
        cls += " culprit"
        extra = " <span class=\"holds\">holds fd \(v.holder!.fd)</span>"
      }
      if p.pid == v.call?.pid { cls += " blocked-lane" }
      let command = p.argv.isEmpty ? (p.program ?? "") : p.argv.joined(separator: " ")
      s += "<div class=\"\(cls)\" id=\"lane-\(p.pid)\" data-pid=\"\(p.pid)\" data-parent=\"\(p.parent.map { "\($0)" } ?? "")\" data-depth=\"\(l.depth)\" data-row=\"\(k)\" "
        + "style=\"padding-left:\(min(l.depth, 24) * 12 + 4)px\" title=\"\(esc("\(p.pid) \(command) (\(r.statusText(p)))"))\">"
        + "\(p.pid) <span class=\"name\">\(esc(r.laneName(p.pid)))</span>\(extra)</div>\n"
    }
    if omitted > 0 {
      s += "<div class=\"more\" id=\"lanes-more\">\(omitted) more processes not shown</div>\n"
    }
    s += "</div><div id=\"plot\" class=\"plot\"><svg id=\"timeline\" data-span=\"\(JSONText.number(span))\" data-width=\"\(f(plotWidth))\" width=\"\(f(plotWidth + 20))\" height=\"\(f(height))\">\n"
    s += "<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" class=\"rel-dot\"/></marker></defs>\n"
    s += "<g id=\"ticks\">" + ticks(span: span, width: plotWidth, height: height) + "</g>\n"
    for (k, l) in lanes.enumerated() {
      let p = l.process
      let x0 = x(p.start), x1 = max(x(p.end ?? end), x0 + 1)
      s += "<rect class=\"lane-bg\(p.pid == v.holder?.pid ? " culprit" : "")\" data-pid=\"\(p.pid)\" data-t0=\"\(t(p.start))\" data-t1=\"\(t(p.end ?? end))\" x=\"\(f(x0))\" y=\"\(f(y(k) + 3))\" width=\"\(f(x1 - x0))\" height=\"\(f(laneHeight - 6))\"><title>\(esc("\(p.pid) \(r.laneName(p.pid)) \(r.statusText(p))"))</title></rect>\n"
    }
    let drawn = r.blocking.filter { laneOf[$0.pid] != nil }
    for b in drawn.prefix(drawnBlockLimit) {
      let lane = laneOf[b.pid]!
      let x0 = x(b.ts), x1 = max(x(b.ts + b.dur), x0 + 2)
      s += "<rect class=\"block\" data-pid=\"\(b.pid)\" data-dur=\"\(JSONText.number(b.dur))\" data-t0=\"\(t(b.ts))\" data-t1=\"\(t(b.ts + b.dur))\" data-min=\"2\" x=\"\(f(x0))\" y=\"\(f(y(lane) + 3))\" width=\"\(f(x1 - x0))\" height=\"\(f(laneHeight - 6))\"><title>\(esc("\(b.pid) \(callText(b)) \(NumberText.duration(b.dur)) \(b.result)"))</title></rect>\n"
      if let rel = b.releasedBy, let relLane = laneOf[rel.pid] {
        let y0 = y(relLane) + laneHeight / 2, y1 = y(lane) + laneHeight / 2
        s += "<path class=\"release\" marker-end=\"url(#arrow)\" data-t0=\"\(t(rel.ts))\" data-t1=\"\(t(b.ts + b.dur))\" data-y0=\"\(f(y0))\" data-y1=\"\(f(y1))\" d=\"M\(f(x(rel.ts))),\(f(y0)) L\(f(x1)),\(f(y1))\"><title>\(esc("released by \(rel.pid): \(rel.event)"))</title></path>\n"
      }
    }
    s += "</svg></div></div>\n"
    let undrawn = r.blocking.count - min(drawn.count, drawnBlockLimit)
    if undrawn > 0 {
      s += "<p class=\"more\" id=\"blocks-more\">\(undrawn) more blocking calls not drawn (their process has no lane, or past the first \(drawnBlockLimit)).</p>\n"
    }
    return s
  }

  /// Tick marks at a round step (1, 2 or 5 × 10^k s), about one per 100 px; the script redraws them on zoom.
  static func ticks(span: Double, width: Double, height: Double) -> String {
    let step = tickStep(span / (width / 100))
    var s = ""
    var k = 0.0
    while k * step <= span * 1.000001 {
      let x = NumberText.fixed(k * step / span * width, places: 1)
      s += "<line class=\"tick\" x1=\"\(x)\" x2=\"\(x)\" y1=\"16\" y2=\"\(NumberText.fixed(height, places: 1))\"/><text class=\"tick-label\" x=\"\(x)\" y=\"12\">\(esc(tickLabel(k * step, step: step)))</text>"
      k += 1
    }
    return s
  }

  static func tickStep(_ raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    var p = 0.000001  // the smallest step: 1 µs
    while p * 10 <= raw { p *= 10 }
    for m in [1.0, 2, 5] where m * p >= raw { return m * p }
    return 10 * p
  }

  static func tickLabel(_ t: Double, step: Double) -> String {
    if step >= 1 { return NumberText.fixed(t, places: 0) + " s" }
    if step >= 0.001 { return NumberText.fixed(t * 1000, places: step >= 0.01 ? 0 : 1) + " ms" }
    return NumberText.fixed(t * 1_000_000, places: 0) + " µs"
  }

  // MARK: Tables

  static func more(_ n: Int, _ what: String, id: String) -> String {
    n > 0 ? "<p class=\"more\" id=\"\(id)\">\(n) more \(what) not shown (see --format json)</p>\n" : ""
  }

  static func blockingTable(_ r: Report) -> String {
    var h = "<h2>Blocking calls (&ge; \(esc(NumberText.duration(r.minBlock)))), waits on pipes, sockets and children first, then longest first</h2>\n<table id=\"blocking\"><tr><th>pid</th><th>call</th><th>fd</th><th>start</th><th>duration</th><th>result</th><th>released by</th></tr>\n"
    for (k, b) in r.blocking.prefix(blockRowLimit).enumerated() {
      let rel = b.releasedBy.map { "\($0.pid) \(r.laneName($0.pid)): \($0.event) at \(r.relative($0.ts))" } ?? (b.returned ? "unknown" : "still blocked at end")
      h += "<tr\(k == 0 ? " id=\"longest-block\"" : "")><td>\(b.pid)</td><td>\(esc(b.name))</td><td>\(esc(b.fd.map { "\($0)" + (b.target.map { " \($0)" } ?? "") } ?? ""))</td><td>\(esc(r.relative(b.ts)))</td><td>\(esc(NumberText.duration(b.dur)))</td><td>\(esc(b.result))</td><td>\(esc(rel))</td></tr>\n"
    }
    h += "</table>\n" + more(r.blocking.count - min(r.blocking.count, blockRowLimit), "blocking calls", id: "blocking-more")
    if r.blockingOmitted > 0 { h += "<p class=\"more\" id=\"blocking-dropped\">\(r.blockingOmitted) shorter blocking calls not kept</p>\n" }
    return h
  }

  /// A command line, folded when long: the start shows, the rest opens on a click.
  static func command(_ text: String) -> String {
    guard text.count > foldAt else { return esc(text) }
    return "<details class=\"cmd\"><summary>\(esc(String(text.prefix(foldAt))))…</summary>\(esc(text))</details>"
  }

  static func processTable(_ r: Report) -> String {
    var h = "<h2>Processes</h2>\n<table id=\"processes\"><tr><th>pid</th><th>parent</th><th>program</th><th>start</th><th>end</th><th>lifetime</th><th>status</th></tr>\n"
    let tree = r.processTree()
    for (p, depth) in tree.prefix(processRowLimit) {
      let cmd = p.argv.isEmpty ? (p.program ?? "") : p.argv.joined(separator: " ")
      h += "<tr><td style=\"padding-left:\(min(depth, 24) * 10 + 6)px\">\(p.pid)</td><td>\(p.parent.map { "\($0)" } ?? "")</td><td>\(command(cmd))</td><td>\(esc(r.relative(p.start)))</td><td>\(esc(p.end.map { r.relative($0) } ?? "-"))</td><td>\(esc(p.end.map { NumberText.duration($0 - p.start) } ?? "-"))</td><td>\(esc(r.statusText(p)))</td></tr>\n"
    }
    return h + "</table>\n" + more(tree.count - min(tree.count, processRowLimit), "processes", id: "processes-more")
  }

  static func pipeSections(_ r: Report, _ v: ReportVerdict) -> String {
    var h = "<h2>Pipes</h2>\n"
    if r.pipes.isEmpty { h += "<p>none seen</p>\n" }
    let verdictPipe = v.holder?.pipe ?? v.call?.target
    for p in r.pipes.prefix(pipeLimit) {
      let made = p.created.map { "created by \($0.pid) with \($0.event) at \(r.relative($0.ts))" } ?? "created before the trace"
      let steps = p.history.count + p.omittedHistory
      h += "<details class=\"pipe\"\(p.label == verdictPipe ? " open" : "")><summary><b>\(esc(p.label))</b>: \(esc(made)), \(steps) step\(steps == 1 ? "" : "s")</summary><ul>"
      for e in p.history { h += "<li>\(esc(r.relative(e.ts))) \(esc(e.text))</li>" }
      if p.omittedHistory > 0 { h += "<li class=\"more\">\(p.omittedHistory) more steps not shown</li>" }
      h += "</ul></details>\n"
    }
    h += more(r.pipes.count - min(r.pipes.count, pipeLimit), "pipes", id: "pipes-more")
    if r.pipesOmitted > 0 { h += "<p class=\"more\" id=\"pipes-dropped\">\(r.pipesOmitted) later pipes not kept</p>\n" }
    return h
  }

  static let style = """
    body{font:13px sans-serif;margin:16px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}
    td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-family:monospace;vertical-align:top}th{background:#eee}
    .verdict{border:2px solid #d62728;background:#fff5f5;padding:8px 14px;margin:0 0 16px;max-width:1250px}
    .verdict h2{margin:0 0 6px;color:#b11}.verdict dt{font-weight:bold;float:left;clear:left;width:90px}
    .verdict dd{margin:0 0 4px 100px}.verdict .source{color:#666;font-size:11px;margin:6px 0 0}
    .timeline-box{display:flex;border:1px solid #ccc;max-width:1300px}
    .lanes{flex:none;overflow:hidden;font:11px monospace;border-right:1px solid #ccc}
    .lane{height:22px;line-height:22px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
    .lane .name{color:#1f4e79}.lane.culprit{background:#ffe3b3}.lane.blocked-lane{background:#fde0e0}
    .holds{background:#d62728;color:#fff;border-radius:3px;padding:0 4px;margin-left:4px}
    .plot{flex:auto;overflow-x:auto;overflow-y:hidden;cursor:grab}
    .lane-bg{fill:#c9d8ea}.lane-bg.culprit{fill:#f5b041}.block{fill:#d62728;opacity:.85}
    .tick{stroke:#ddd;stroke-width:1}.tick-label{font:10px monospace;fill:#555}
    .release{stroke:#2ca02c;stroke-width:1.5;fill:none}.rel-dot{fill:#2ca02c}
    .more{color:#a00;font-style:italic}.hint{color:#666;font-size:11px}.zoom button{min-width:28px}
    details.cmd summary{cursor:pointer}details.pipe{margin:2px 0}details.pipe ul{margin:2px 0 6px}

    """

  /// Zoom and pan: rescales what carries `data-t0`/`data-t1` (seconds from the start) and redraws the ticks.
  static let script = """
    (function(){
    var svg=document.getElementById('timeline'),plot=document.getElementById('plot');if(!svg)return;
    var W0=+svg.dataset.width,span=+svg.dataset.span,z=1,NS=svg.namespaceURI;
    function X(t){return t/span*W0*z}
    function step(raw){var p=Math.pow(10,Math.floor(Math.log10(raw)));return [1,2,5,10].map(function(m){return m*p}).find(function(s){return s>=raw})}
    function label(t,s){return s>=1?t.toFixed(0)+' s':s>=0.001?(t*1e3).toFixed(s>=0.01?0:1)+' ms':(t*1e6).toFixed(0)+' µs'}
    function ticks(){var g=document.getElementById('ticks'),h=svg.getAttribute('height');while(g.firstChild)g.removeChild(g.firstChild);
    var s=step(span/(W0*z/100));for(var k=0;k*s<=span*1.000001;k++){var x=X(k*s).toFixed(1);
    var l=document.createElementNS(NS,'line');l.setAttribute('class','tick');l.setAttribute('x1',x);l.setAttribute('x2',x);l.setAttribute('y1',16);l.setAttribute('y2',h);g.appendChild(l);
    var t=document.createElementNS(NS,'text');t.setAttribute('class','tick-label');t.setAttribute('x',x);t.setAttribute('y',12);t.textContent=label(k*s,s);g.appendChild(t)}}
    function layout(){svg.setAttribute('width',(W0*z+20).toFixed(0));
    svg.querySelectorAll('rect[data-t0]').forEach(function(e){var a=X(+e.dataset.t0);e.setAttribute('x',a.toFixed(1));e.setAttribute('width',Math.max(X(+e.dataset.t1)-a,+(e.dataset.min||1)).toFixed(1))});
    svg.querySelectorAll('path[data-t0]').forEach(function(e){e.setAttribute('d','M'+X(+e.dataset.t0).toFixed(1)+','+e.dataset.y0+' L'+X(+e.dataset.t1).toFixed(1)+','+e.dataset.y1)});
    ticks();document.getElementById('zoom-level').textContent=(z<10?z.toFixed(1):z.toFixed(0))+'×'}
    function zoom(f,cx){if(cx===undefined)cx=plot.clientWidth/2;var t=(plot.scrollLeft+cx)/(W0*z);z=Math.min(Math.max(z*f,1),1e5);layout();plot.scrollLeft=t*W0*z-cx}
    plot.addEventListener('wheel',function(e){if(!e.ctrlKey&&!e.metaKey)return;e.preventDefault();zoom(e.deltaY<0?1.25:0.8,e.clientX-plot.getBoundingClientRect().left)},{passive:false});
    var drag=null;plot.addEventListener('mousedown',function(e){drag={x:e.clientX,s:plot.scrollLeft}});
    window.addEventListener('mousemove',function(e){if(drag)plot.scrollLeft=drag.s-(e.clientX-drag.x)});
    window.addEventListener('mouseup',function(){drag=null});
    document.getElementById('zoom-in').onclick=function(){zoom(2)};document.getElementById('zoom-out').onclick=function(){zoom(0.5)};
    document.getElementById('zoom-reset').onclick=function(){z=1;layout();plot.scrollLeft=0};
    window.addEventListener('keydown',function(e){if(e.key==='+'||e.key==='=')zoom(1.5);if(e.key==='-')zoom(1/1.5)});
    var z0=+(new URLSearchParams(location.search).get('zoom')||1);if(z0>1)zoom(z0,0);
    })();

    """

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
