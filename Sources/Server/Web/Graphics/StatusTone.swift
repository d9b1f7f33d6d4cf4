/// The colour family a status is drawn in: the same grouping as the command line's
/// `StatusColor` (Sources/gitci/Output/CommitResultsView.swift), so a result looks alike in a
/// terminal and in a browser.
///
/// Statuses arrive as text here (read back from notes and the JSON documents), and a status this
/// version does not know is drawn gray rather than refused.
package enum StatusTone: String, Sendable, CaseIterable {
    case green, red, blue, gray

    package init(status: String) {
        switch status {
        case "passed", "reused": self = .green
        case "failed", "config-error": self = .red
        case "running": self = .blue
        default: self = .gray
        }
    }

    /// The class the page's style sheet colours (`tone-green`, ...): light and dark mode are the
    /// style sheet's business.
    package var cssClass: String { "tone-" + rawValue }

    /// For drawings without the page's style sheet (the badge) and as the fallback inside inline
    /// drawings. Mid-tones: each keeps a contrast of about 3:1 or more against white and against a
    /// near-black background, and carries white badge text.
    package var hex: String {
        switch self {
        case .green: return "#2ea043"
        case .red: return "#da3633"
        case .blue: return "#1f6feb"
        case .gray: return "#6e7781"
        }
    }

    /// The command line's status symbols (`JobStatus.symbol` in Sources/gitci/Output/StatusStyle.swift).
    package static func symbol(for status: String) -> String {
        switch status {
        case "passed": return "✔"
        case "reused": return "↺"
        case "failed", "config-error": return "✘"
        case "running": return "▶"
        case "skipped": return "–"
        case "cancelled": return "■"
        default: return "·"
        }
    }
}
