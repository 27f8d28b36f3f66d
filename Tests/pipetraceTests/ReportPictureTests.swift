import Foundation
import PipeTraceTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The HTML report as headless Chromium renders it, and the Chrome trace checked against the Trace
/// Event Format, from traces of real processes and a generated big one.
final class ReportPictureTests: XCTestCase {
  var procs: TestProcesses!

  override func setUpWithError() throws { procs = try TestProcesses() }
  override func tearDown() { procs.cleanUp() }

  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

  func path(_ name: String) -> String { procs.directory.appendingPathComponent(name).path }

  /// The DOM after Chromium loaded the page and ran its script (`query` is appended to the URL).
  func renderedDOM(_ html: String, query: String = "") throws -> String {
    let chromium = try XCTUnwrap(Self.chromium, "chromium is not installed")
    let r = try runProgram(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(path("profile"))",
                                      "--dump-dom", "file://\(html)\(query)"], timeout: 90, stderrPath: "/dev/null")
    XCTAssertEqual(r.status, 0)
    return r.stdout
  }

  /// The seed hang traced for real: Python's communicate() on a script that leaves `sleep 300`
  /// holding the pipe; pipetrace diagnoses it after 1 s and closes the leaked end after 2 s.
  func traceSeedHang() throws -> (trace: String, python: Int32, sleeper: Int32) {
    try procs.write("b.sh", "#!/bin/sh\nsleep 300 &\necho $! > sleeper.pid\necho start ok\n", executable: true)
    let trace = path("seed.jsonl")
    let tracer = try procs.launch([CLI.binary, "--json", "-o", trace, "--stuck-after", "1", "--unstick-after", "2", "--",
                                   TestProcesses.python, "-c",
                                   "import subprocess; print(subprocess.Popen('./b.sh', shell=True, stdout=subprocess.PIPE).communicate())"])
    let sleeper = try procs.pid(fromFile: "sleeper.pid")
    // Python goes on once its pipe is unstuck; the traced sleep would keep pipetrace 300 s: it ends now.
    var python = 0
    try waitUntil("python exited in the trace", timeout: 30) {
      let events = (try? JSONLines.read(trace)) ?? []
      python = events.first { $0["event"] as? String == "exec" }?["pid"] as? Int ?? 0
      return python > 0 && events.contains { $0["event"] as? String == "exit" && $0["pid"] as? Int == python }
    }
    kill(sleeper, SIGKILL)
    XCTAssertEqual(try tracer.wait(timeout: 30), 0)
    return (trace, Int32(python), sleeper)
  }

  struct Lane {
    var pid: Int32
    var parent: Int32?
    var depth: Int
    var indent: Int
    var classes: String
    var text: String
  }

  /// The timeline's lanes in document order.
  func lanes(in dom: String) throws -> [Lane] {
    let pattern = try NSRegularExpression(pattern: "<div class=\"(lane[^\"]*)\" id=\"lane-(\\d+)\" data-pid=\"\\d+\" data-parent=\"(\\d*)\" data-depth=\"(\\d+)\" data-row=\"\\d+\" style=\"padding-left:(\\d+)px\"[^>]*>(.*?)</div>")
    let ns = dom as NSString
    return pattern.matches(in: dom, range: NSRange(location: 0, length: ns.length)).map { m in
      Lane(pid: Int32(ns.substring(with: m.range(at: 2)))!, parent: Int32(ns.substring(with: m.range(at: 3))),
           depth: Int(ns.substring(with: m.range(at: 4)))!, indent: Int(ns.substring(with: m.range(at: 5)))!,
           classes: ns.substring(with: m.range(at: 1)), text: ns.substring(with: m.range(at: 6)))
    }
  }

  func testSeedHangPageNamesTheHolderAndItsFdAndNestsTheLanes() throws {
    try XCTSkipUnless(Self.chromium != nil, "chromium is not installed")
    let (trace, python, sleeper) = try traceSeedHang()
    let html = path("seed.html")
    let r = try CLI.run(["report", "--format", "html", "-o", html, trace])
    XCTAssertEqual(r.status, 0, r.stderr)
    let dom = try renderedDOM(html)

    // The verdict box comes first and names the reader, the holder, its fd, why's verdict and the fix done.
    let verdict = try XCTUnwrap(dom.range(of: "<section id=\"verdict\"").map { String(dom[$0.lowerBound...].prefix { $0 != "§" }) })
    let box = String(verdict[..<verdict.range(of: "</section>")!.upperBound])
    XCTAssertLessThan(dom.range(of: "id=\"verdict\"")!.lowerBound, dom.range(of: "id=\"timeline\"")!.lowerBound)
    XCTAssertTrue(box.contains("<b>\(python) python3</b> blocked"), box)
    XCTAssertTrue(box.contains("<dd id=\"holder\" data-pid=\"\(sleeper)\" data-fd=\"1\"><b>\(sleeper) sleep</b>, <b>fd 1</b> (write end of pipe:["), box)
    XCTAssertTrue(box.contains("exec'd /usr/bin/sleep"), box)
    XCTAssertTrue(box.contains("held open by leaked \(sleeper) (sleep, fd 1"), box)  // why's verdict, from the --stuck-after note
    XCTAssertTrue(box.contains("--inject-close \(sleeper) 1 --expect"), box)
    XCTAssertTrue(box.contains("inject-close \(sleeper) fd 1 (pipe:["), box)
    XCTAssertTrue(box.contains("replaced by /dev/null"), box)

    // Lanes as the process tree: a child's lane comes after its parent's, one level deeper, more indented.
    let lanes = try lanes(in: dom)
    XCTAssertGreaterThanOrEqual(lanes.count, 4, String(dom.prefix(3000)))
    var index: [Int32: Int] = [:]
    for (k, l) in lanes.enumerated() { index[l.pid] = k }
    var nested = 0
    for (k, l) in lanes.enumerated() {
      guard let parent = l.parent, let p = index[parent] else {
        XCTAssertEqual(l.depth, 0, "lane \(l.pid) has no parent lane")
        continue
      }
      XCTAssertLessThan(p, k, "lane \(l.pid) before its parent \(parent)")
      XCTAssertEqual(l.depth, lanes[p].depth + 1, "lane \(l.pid)")
      XCTAssertGreaterThan(l.indent, lanes[p].indent, "lane \(l.pid)")
      nested += 1
    }
    XCTAssertGreaterThanOrEqual(nested, 3)
    // Named lanes; the holder's lane is marked with the fd it holds.
    XCTAssertEqual(lanes[index[python]!].text, "\(python) <span class=\"name\">python3</span>")
    let culprit = try XCTUnwrap(index[sleeper].map { lanes[$0] })
    XCTAssertTrue(culprit.classes.contains("culprit"))
    XCTAssertEqual(culprit.text, "\(sleeper) <span class=\"name\">sleep</span> <span class=\"holds\">holds fd 1</span>")
    XCTAssertEqual(lanes.filter { $0.classes.contains("culprit") }.count, 1)
    // Time ticks, and the pipe of the verdict opened among collapsed pipe sections.
    XCTAssertGreaterThanOrEqual(dom.components(separatedBy: "class=\"tick-label\"").count - 1, 3)
    XCTAssertTrue(dom.contains("<details class=\"pipe\" open=\"\">"), "the verdict's pipe is open")
    XCTAssertTrue(dom.contains("<details class=\"pipe\">"), "other pipes are collapsed")
    XCTAssertFalse(dom.contains("more processes not shown"))

    // The inline script zooms: ?zoom=4 at load makes the plot four times wider and redraws the ticks.
    let zoomed = try renderedDOM(html, query: "?zoom=4")
    XCTAssertTrue(zoomed.contains("<span id=\"zoom-level\">4.0×</span>"), String(zoomed.prefix(4000)))
    XCTAssertTrue(zoomed.contains("width=\"4020\""), "the svg is 4 × 1000 px plus the margin")
    XCTAssertGreaterThan(zoomed.components(separatedBy: "class=\"tick-label\"").count,
                         dom.components(separatedBy: "class=\"tick-label\"").count)

    // The Chrome trace of the same run: every syscall a slice, named tracks, flows from each release.
    let chrome = path("seed.json")
    XCTAssertEqual(try CLI.run(["report", "--format", "chrome", "-o", chrome, trace]).status, 0)
    let json = path("seed-report.json")
    XCTAssertEqual(try CLI.run(["report", "--format", "json", "-o", json, trace]).status, 0)
    try checkChromeTrace(chrome, against: trace, report: json)
  }

  /// Checks every event against the Trace Event Format, and against the trace and the report:
  /// a slice per syscall, named tracks, a flow from each blocking call's release (the report's) to its end.
  func checkChromeTrace(_ chrome: String, against trace: String, report: String, flows: Bool = true) throws {
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: chrome))) as? [String: Any])
    let events = try XCTUnwrap(object["traceEvents"] as? [[String: Any]])
    var slices: [Int: [(ts: Double, end: Double, name: String)]] = [:]
    var processNames = Set<Int>(), threadNames = Set<Int>(), flowStarts: [Int: [String: Any]] = [:], flowEnds: [Int: [String: Any]] = [:]
    for (k, e) in events.enumerated() {
      let where_ = "event \(k): \(e)"
      let ph = try XCTUnwrap(e["ph"] as? String, where_)
      XCTAssertNotNil(e["name"] as? String, where_)
      let pid = try XCTUnwrap(e["pid"] as? Int, where_), tid = try XCTUnwrap(e["tid"] as? Int, where_)
      let ts = try XCTUnwrap(e["ts"] as? Double, where_)
      XCTAssertGreaterThanOrEqual(ts, 0, where_)
      switch ph {
      case "M":
        let args = try XCTUnwrap(e["args"] as? [String: Any], where_)
        switch e["name"] as? String {
        case "process_name": processNames.insert(pid); XCTAssertNotNil(args["name"] as? String, where_)
        case "thread_name": threadNames.insert(tid); XCTAssertNotNil(args["name"] as? String, where_)
        case "process_sort_index": XCTAssertNotNil(args["sort_index"] as? Int, where_)
        default: XCTFail("unknown metadata: \(where_)")
        }
      case "X":
        let dur = try XCTUnwrap(e["dur"] as? Double, where_)
        XCTAssertGreaterThanOrEqual(dur, 0, where_)
        slices[tid, default: []].append((ts, ts + dur, e["name"] as! String))
        _ = pid
      case "s", "f":
        let id = try XCTUnwrap(e["id"] as? Int, where_)
        XCTAssertEqual(e["cat"] as? String, "release", where_)
        if ph == "s" {
          XCTAssertNil(flowStarts[id], "flow id \(id) started twice")
          flowStarts[id] = e
        } else {
          XCTAssertEqual(e["bp"] as? String, "e", where_)
          XCTAssertNil(flowEnds[id], "flow id \(id) ended twice")
          flowEnds[id] = e
        }
      default:
        XCTFail("unexpected phase: \(where_)")
      }
    }
    // Every track is named; slices on one thread nest (none partly overlaps another).
    XCTAssertEqual(Set(slices.keys).subtracting(threadNames), [], "unnamed threads")
    for (tid, list) in slices {
      var stack: [(ts: Double, end: Double, name: String)] = []
      for s in list.sorted(by: { $0.ts != $1.ts ? $0.ts < $1.ts : $0.end > $1.end }) {
        while let top = stack.last, top.end <= s.ts + 0.0015 { stack.removeLast() }
        if let top = stack.last { XCTAssertLessThanOrEqual(s.end, top.end + 0.0015, "tid \(tid): \(s) overlaps \(top)") }
        stack.append(s)
      }
    }
    // A process's lifetime slice encloses everything on its main track (its execve too, which
    // began before the tracer stamped the exec event).
    for life in events where life["ph"] as? String == "X" && life["cat"] as? String == "process" {
      let pid = life["pid"] as! Int, from = life["ts"] as! Double, to = from + (life["dur"] as! Double)
      for s in slices[pid] ?? [] where s.name != life["name"] as? String || s.ts != from {
        XCTAssertTrue(from <= s.ts + 0.0015 && s.end <= to + 0.0015, "\(pid): \(s) outside its lifetime [\(from), \(to)]")
      }
    }
    // A slice for every syscall in the trace.
    let traced = try JSONLines.read(trace).filter { $0["event"] as? String == "syscall" }
    let syscallSlices = events.filter { $0["ph"] as? String == "X" && ["syscall", "blocking"].contains($0["cat"] as? String) }
    XCTAssertGreaterThanOrEqual(syscallSlices.count, traced.count)
    XCTAssertEqual(Set(traced.compactMap { $0["pid"] as? Int }).subtracting(processNames), [], "processes without a name")
    // Each flow starts at the report's release, on the releaser's track, and ends inside the blocking call.
    XCTAssertEqual(Set(flowStarts.keys), Set(flowEnds.keys))
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
    let origin = try XCTUnwrap((report["trace"] as? [String: Any])?["start"] as? Double)
    let blocking = try XCTUnwrap(report["blocking"] as? [[String: Any]])
    let released = blocking.filter { $0["released_by"] is [String: Any] }
    XCTAssertEqual(flowStarts.count, released.count)
    XCTAssertEqual(released.count > 0, flows)
    for (k, b) in blocking.enumerated() {
      guard let rel = b["released_by"] as? [String: Any] else { continue }
      let s = try XCTUnwrap(flowStarts[k + 1]), f = try XCTUnwrap(flowEnds[k + 1])
      XCTAssertEqual(s["pid"] as? Int, rel["pid"] as? Int)
      XCTAssertEqual(try XCTUnwrap(s["ts"] as? Double), ((rel["ts"] as! Double) - origin) * 1e6, accuracy: 0.01)
      XCTAssertEqual(f["pid"] as? Int, b["pid"] as? Int)
      XCTAssertEqual(f["tid"] as? Int, b["tid"] as? Int)
      let end = ((b["ts"] as! Double) + (b["dur"] as! Double) - origin) * 1e6
      XCTAssertEqual(try XCTUnwrap(f["ts"] as? Double), end, accuracy: 0.01)
      // The flow's ends lie inside slices on their tracks (what bp "e" binds them to).
      for (e, what) in [(s, "start"), (f, "end")] {
        let t = e["ts"] as! Double
        XCTAssertTrue(slices[e["tid"] as! Int, default: []].contains { $0.ts <= t && t <= $0.end }, "flow \(k + 1) \(what) in no slice")
      }
    }
  }

  /// A generated trace longer than every list the page shows: 350 children of one shell, each
  /// making a pipe and blocking twice in read on it.
  func testBigTraceSaysHowManyEachListLeftOut() throws {
    try XCTSkipUnless(Self.chromium != nil, "chromium is not installed")
    let children = 350
    var lines = ["{\"event\":\"exec\",\"pid\":100,\"tid\":100,\"path\":\"/bin/sh\",\"argv\":[\"sh\",\"-c\",\"\(String(repeating: "x", count: 300))\"],\"ts\":1000.0}"]
    for k in 0..<children {
      let pid = 1000 + k, t = 1000.0 + Double(k) * 0.01, inode = 5000 + k
      lines.append("{\"event\":\"fork\",\"pid\":100,\"tid\":100,\"child\":\(pid),\"kind\":\"fork\",\"ts\":\(t)}")
      lines.append("{\"event\":\"exec\",\"pid\":\(pid),\"tid\":\(pid),\"path\":\"/usr/bin/job\",\"argv\":[\"job\",\"<b>\(k)</b>\"],\"ts\":\(t + 0.001)}")
      lines.append("{\"event\":\"syscall\",\"pid\":\(pid),\"tid\":\(pid),\"ts\":\(t + 0.002),\"name\":\"pipe2\",\"args\":[[3,4],0],\"ret\":0,\"dur\":0.00001,\"fds\":[{\"arg\":0,\"index\":0,\"fd\":3,\"kind\":\"pipe\",\"inode\":\(inode),\"path\":\"pipe:[\(inode)]\"},{\"arg\":0,\"index\":1,\"fd\":4,\"kind\":\"pipe\",\"inode\":\(inode),\"path\":\"pipe:[\(inode)]\"}]}")
      for r in 0..<2 {
        lines.append("{\"event\":\"syscall\",\"pid\":\(pid),\"tid\":\(pid),\"ts\":\(t + 0.003 + Double(r) * 0.3),\"name\":\"read\",\"args\":[3,\"\",4096],\"ret\":0,\"dur\":0.2,\"fds\":[{\"arg\":0,\"fd\":3,\"kind\":\"pipe\",\"inode\":\(inode),\"path\":\"pipe:[\(inode)]\"}]}")
      }
      lines.append("{\"event\":\"exit\",\"pid\":\(pid),\"tid\":\(pid),\"code\":0,\"signal\":null,\"core\":false,\"ts\":\(t + 0.7)}")
    }
    lines.append("{\"event\":\"exit\",\"pid\":100,\"tid\":100,\"code\":0,\"signal\":null,\"core\":false,\"ts\":1010.0}")
    let trace = path("big.jsonl")
    try (lines.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)
    let html = path("big.html")
    let r = try CLI.run(["report", "--format", "html", "-o", html, trace])
    XCTAssertEqual(r.status, 0, r.stderr)
    let dom = try renderedDOM(html)
    // 351 processes in 300 lanes, 700 blocking reads in 500 rows, 350 pipes in 200 sections.
    XCTAssertEqual(try lanes(in: dom).count, 300)
    XCTAssertTrue(dom.contains("<div class=\"more\" id=\"lanes-more\">51 more processes not shown</div>"), String(dom.prefix(3000)))
    XCTAssertTrue(dom.contains("<p class=\"more\" id=\"blocking-more\">200 more blocking calls not shown (see --format json)</p>"))
    XCTAssertTrue(dom.contains("<p class=\"more\" id=\"pipes-more\">150 more pipes not shown (see --format json)</p>"))
    XCTAssertTrue(dom.contains("id=\"blocks-more\">102 more blocking calls not drawn"), "the 51 processes without a lane")
    XCTAssertEqual(dom.components(separatedBy: "<details class=\"pipe\"").count - 1, 200)
    // The long command line is folded; the hostile argv is text, not markup.
    XCTAssertTrue(dom.contains("<details class=\"cmd\"><summary>sh -c xxx"))
    XCTAssertTrue(dom.contains("job &lt;b&gt;0&lt;/b&gt;"))
    XCTAssertFalse(dom.contains("<b>0</b>"))
    // Nothing blocked on a leak: the verdict is the model's, and says the trace cannot tell a holder.
    XCTAssertTrue(dom.contains("From the trace's model"))

    let chrome = path("big.json"), json = path("big-report.json")
    XCTAssertEqual(try CLI.run(["report", "--format", "chrome", "-o", chrome, trace]).status, 0)
    XCTAssertEqual(try CLI.run(["report", "--format", "json", "-o", json, trace]).status, 0)
    try checkChromeTrace(chrome, against: trace, report: json, flows: false)
  }
}
