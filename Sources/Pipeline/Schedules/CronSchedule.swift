/// A five-field cron expression (minute, hour, day of month, month, day of week), as crontab(5)
/// reads it: `*`, lists, ranges, steps, month and weekday names, and the `@hourly`-style
/// shorthands. Times are UTC: a coordinator's schedule must not move with a server's locale.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    /// crontab's rule: when both day fields are restricted, a day matching either one counts.
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    static let shorthands = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                             "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingWhitespace()
        let expanded = Self.shorthands[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw Invalid(description: "'\(text)' is not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week) or @daily, @hourly, @weekly, @monthly, @yearly")
        }
        description = trimmed
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, nameOffset: 1)
        // 7 is Sunday too.
        daysOfWeek = Set(try Self.field(fields[4], name: "day of week", range: 0...7, names: Self.dayNames).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String],
                              nameOffset: Int = 0) throws(Invalid) -> Set<Int> {
        func value(_ part: Substring) throws(Invalid) -> Int {
            if let number = Int(part), range.contains(number) { return number }
            if let index = names.firstIndex(of: part.lowercased()) { return index + nameOffset }
            throw Invalid(description: "'\(part)' is not a valid \(name) (\(range.lowerBound)-\(range.upperBound)\(names.isEmpty ? "" : " or a name like \(names[0])"))")
        }
        var result = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else {
                throw Invalid(description: "'\(item)' is not a \(name) entry")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0, parsed <= range.upperBound else {
                    throw Invalid(description: "'\(pieces[1])' is not a step for the \(name)")
                }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if base == "*" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-") {
                let low = try value(base[..<dash]), high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw Invalid(description: "'\(base)' is an empty \(name) range") }
                bounds = low...high
            } else {
                let single = try value(base)
                // `5/15` means from 5 to the end, every 15.
                bounds = pieces.count == 2 ? single...range.upperBound : single...single
            }
            result.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return result
    }

    /// Whether the schedule fires at this minute.
    public func matches(_ time: CivilTime) -> Bool {
        guard minutes.contains(time.minute), hours.contains(time.hour), months.contains(time.month) else { return false }
        let dayOfMonth = daysOfMonth.contains(time.day)
        let dayOfWeek = daysOfWeek.contains(time.weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return dayOfMonth || dayOfWeek }
        return dayOfMonth && dayOfWeek
    }

    /// The first minute after `seconds` (Unix time) at which the schedule fires, or nil when it
    /// never does within four years (`0 0 31 2 *`).
    public func next(after seconds: Int64) -> Int64? {
        var minute = seconds / 60 + 1
        let limit = minute + 4 * 366 * 24 * 60
        while minute < limit {
            let time = CivilTime(unixSeconds: minute * 60)
            if !months.contains(time.month) {
                // To the first minute of the next month.
                minute = CivilTime.unixSeconds(year: time.month == 12 ? time.year + 1 : time.year,
                                               month: time.month == 12 ? 1 : time.month + 1, day: 1) / 60
                continue
            }
            let dayMatches = matches(CivilTime(year: time.year, month: time.month, day: time.day, hour: hours.min() ?? 0,
                                               minute: minutes.min() ?? 0, weekday: time.weekday))
            if !dayMatches {
                minute = CivilTime.unixSeconds(year: time.year, month: time.month, day: time.day) / 60 + 24 * 60
                continue
            }
            if !hours.contains(time.hour) {
                minute = (minute / 60 + 1) * 60
                continue
            }
            if matches(time) { return minute * 60 }
            minute += 1
        }
        return nil
    }
}

/// A UTC calendar time, to the minute, computed without Foundation (Pipeline does no I/O and keeps
/// its dependencies small).
public struct CivilTime: Sendable, Hashable {
    public let year: Int
    public let month: Int
    public let day: Int
    public let hour: Int
    public let minute: Int
    /// 0 is Sunday.
    public let weekday: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, weekday: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.weekday = weekday
    }

    public init(unixSeconds: Int64) {
        let days = Int(unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(unixSeconds - Int64(days) * 86_400)
        // Howard Hinnant's days-to-civil algorithm.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day,
                  hour: secondsOfDay / 3600, minute: secondsOfDay / 60 % 60,
                  weekday: ((days % 7) + 11) % 7)
    }

    /// Midnight UTC of a date, in Unix seconds.
    public static func unixSeconds(year: Int, month: Int, day: Int) -> Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Int64(era * 146_097 + dayOfEra - 719_468) * 86_400
    }
}
