public import Foundation

/// When something happened, as the command line and the web UI say it.
public enum RelativeTime {
    /// "just now", "5 min ago", "3 h ago", "2 days ago", then the date.
    public static func describe(since seconds: Double, now: Date) -> String {
        let elapsed = now.timeIntervalSince1970 - seconds
        switch elapsed {
        case ..<60: return "just now"
        case ..<3600: return "\(Int(elapsed / 60)) min ago"
        case ..<86_400: return "\(Int(elapsed / 3600)) h ago"
        case ..<(86_400 * 14): return "\(Int(elapsed / 86_400)) days ago"
        default:
            return Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle().year().month().day())
        }
    }
}
