import Foundation
import Pipeline
import Testing

/// Cron expressions as crontab(5) reads them, in UTC.
@Suite struct CronScheduleTests {
    static func seconds(_ text: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        return Int64(formatter.date(from: text)!.timeIntervalSince1970)
    }

    static func iso(_ seconds: Int64?) -> String? {
        seconds.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval($0))) }
    }

    @Test(arguments: [
        ("0 3 * * *", "2026-12-07T15:45:00Z", "2026-12-08T03:00:00Z"),
        ("*/15 * * * *", "2026-12-07T15:45:00Z", "2026-12-07T16:00:00Z"),
        ("30 2 1 * *", "2026-12-07T15:45:00Z", "2027-01-01T02:30:00Z"),
        ("0 9 * * mon-fri", "2026-12-11T10:00:00Z", "2026-12-14T09:00:00Z"),
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("@weekly", "2026-12-07T15:45:00Z", "2026-12-13T00:00:00Z"),
        ("@hourly", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z"),
        ("0 0 1 jan,jul *", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00Z"),
        // Both day fields restricted: either one.
        ("0 12 13 * fri", "2026-12-07T00:00:00Z", "2026-12-11T12:00:00Z"),
        ("5/20 * * * 7", "2026-12-06T10:50:00Z", "2026-12-06T11:05:00Z"),
    ])
    func nextFiring(expression: String, after: String, expected: String) throws {
        let schedule = try CronSchedule(expression)
        #expect(Self.iso(schedule.next(after: Self.seconds(after))) == expected, "\(expression)")
    }

    @Test func nextAgreesWithAMinuteByMinuteSearch() throws {
        var generator = SystemRandomNumberGenerator()
        let expressions = ["7 */5 * * *", "0 0 * * 3", "15 10 10-12 * *", "*/7 3 * 2,8 *", "0 6 1 * 1", "59 23 31 * *"]
        for expression in expressions {
            let schedule = try CronSchedule(expression)
            for _ in 0..<5 {
                let start = Int64.random(in: 1_600_000_000...1_900_000_000, using: &generator)
                var minute = start / 60 + 1
                while !schedule.matches(CivilTime(unixSeconds: minute * 60)) { minute += 1 }
                #expect(schedule.next(after: start) == minute * 60, "\(expression) after \(start)")
            }
        }
    }

    @Test func civilTimeAgreesWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for seconds in stride(from: Int64(-2_000_000_000), through: 4_000_000_000, by: 7_777_777) {
            let time = CivilTime(unixSeconds: seconds)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday],
                                                from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect([time.year, time.month, time.day, time.hour, time.minute, time.weekday + 1]
                    == [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.weekday], "\(seconds)")
            #expect(CivilTime.unixSeconds(year: time.year, month: time.month, day: time.day) == seconds - seconds.modulo(86_400))
        }
    }

    @Test(arguments: ["", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
                      "*/0 * * * *", "5-1 * * * *", "a b c d e", "* * * * mon-", "1,,2 * * * *"])
    func badExpressionsAreRefusedWithAReason(expression: String) {
        #expect(throws: CronSchedule.Invalid.self, "\(expression)") { try CronSchedule(expression) }
    }

    @Test func anImpossibleDateNeverFires() throws {
        #expect(try CronSchedule("0 0 31 2 *").next(after: 0) == nil)
    }
}

extension Int64 {
    fileprivate func modulo(_ divisor: Int64) -> Int64 { ((self % divisor) + divisor) % divisor }
}

/// `schedules:` in the pipeline file.
@Suite struct SchedulesKeyTests {
    @Test func schedulesAreRead() throws {
        let config = try parse("""
            schedules:
              - { cron: "0 3 * * *", branch: main }
              - { cron: "@weekly", branch: release/2.x }
            jobs:
              a: { steps: ["true"] }
            """)
        #expect(config.schedules.map(\.branch) == ["main", "release/2.x"])
        #expect(config.schedules.map(\.cron.description) == ["0 3 * * *", "@weekly"])
    }

    @Test func badEntriesAreErrorsWithTheirLine() {
        let text = """
            schedules:
              - { cron: "61 * * * *", branch: main }
              - { branch: main }
              - { cron: "@daily", branch: "bad..name" }
              - { cron: "@daily", branch: main, when: never }
              - "0 3 * * *"
            jobs:
              a: { steps: ["true"] }
            """
        do {
            _ = try parse(text)
            Issue.record("accepted")
        } catch {
            let messages = error.description
            #expect(messages.contains(".gitci.yml:2:") && messages.contains("'61' is not a valid minute"), "\(messages)")
            #expect(messages.contains(".gitci.yml:3:") && messages.contains("has no 'cron'"), "\(messages)")
            #expect(messages.contains(".gitci.yml:4:") && messages.contains("'bad..name' is not a branch name"), "\(messages)")
            #expect(messages.contains(".gitci.yml:5:") && messages.contains("when"), "\(messages)")
            #expect(messages.contains(".gitci.yml:6:"), "\(messages)")
        }
    }
}
