public import Foundation

/// Timestamps of the note format: `2026-11-25T22:16:17.123Z`.
public enum Timestamp {
    /// Written by hand from `gmtime_r`: Foundation's formatters cost a worker a good part of a
    /// millisecond on the way from a push to its first step. Milliseconds are truncated, as
    /// Foundation's ISO 8601 style does.
    public static func format(_ date: Date, fractionalSeconds: Bool = true) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = digits(Int(parts.tm_year) + 1900, 4) + "-" + digits(Int(parts.tm_mon) + 1, 2) + "-" + digits(Int(parts.tm_mday), 2)
        text += "T" + digits(Int(parts.tm_hour), 2) + ":" + digits(Int(parts.tm_min), 2) + ":" + digits(Int(parts.tm_sec), 2)
        if fractionalSeconds {
            let milliseconds = min(999, max(0, Int(((date.timeIntervalSince1970 - seconds) * 1000 + 1e-6).rounded(.down))))
            text += "." + digits(milliseconds, 3)
        }
        return text + "Z"
    }

    /// `value` in decimal (or `radix`), zero-padded to `width` digits.
    public static func digits(_ value: Int, _ width: Int, radix: Int = 10) -> String {
        let text = String(value, radix: radix)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Seconds since 1970, or nil when `text` is not an ISO 8601 time.
    public static func parse(_ text: String) -> Double? {
        if let seconds = parseUTC(text) { return seconds }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
            return date.timeIntervalSince1970
        }
        return (try? Date.ISO8601FormatStyle().parse(text))?.timeIntervalSince1970
    }

    /// The format gitci writes, `YYYY-MM-DDTHH:MM:SS[.fff]Z`, read without Foundation's
    /// general parser: a reindex reads it 100,000 times.
    static func parseUTC(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), let digits = number(20..<(bytes.count - 1)), bytes.count - 21 <= 9 else { return nil }
            fraction = Double(digits) / pow(10, Double(bytes.count - 21))
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        // Days from 1970-01-01 to the date (proleptic Gregorian; Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
    }
}
