/// The report's renderings, for `pipetrace report --format` and for a live trace's end.
public enum ReportFormat: String, Sendable, CaseIterable {
  case text, json, chrome, html

  public func render(_ report: Report, title: String = "") -> String {
    switch self {
    case .text: return TextReport.render(report, title: title)
    case .json: return JSONReport.render(report)
    case .chrome: return ChromeTrace.render(report)
    case .html: return HTMLReport.render(report, title: title.isEmpty ? "pipetrace report" : "pipetrace report: " + title)
    }
  }
}

extension ReportBuilder {
  /// Ends the stream and renders: what a live trace calls after its last event.
  public func render(_ format: ReportFormat = .text, title: String = "") -> String {
    format.render(makeReport(), title: title)
  }
}
