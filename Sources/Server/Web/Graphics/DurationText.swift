/// Durations as people read them: "850ms", "12.3s", "3m 04s", "1h 02m".
///
/// Each unit is truncated, never rounded up, so 59,990 ms reads "59.9s" rather than "60.0s".
package enum DurationText {
    package static func format(milliseconds: Int) -> String {
        let milliseconds = max(0, milliseconds)
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if milliseconds < 60_000 {
            let tenths = milliseconds / 100
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = milliseconds / 1000
        if seconds < 3600 { return "\(seconds / 60)m \(twoDigits(seconds % 60))s" }
        return "\(seconds / 3600)h \(twoDigits(seconds / 60 % 60))m"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
