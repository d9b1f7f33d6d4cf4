import Pipeline
import Testing

/// Which schedules are due, with the clock given: first sight, missed times, removed branches.
@Suite struct ScheduleBookTests {
    /// 2026-12-07 00:00 UTC.
    static let midnight = CivilTime.unixSeconds(year: 2026, month: 12, day: 7)
    static let hour: Int64 = 3600
    static let day: Int64 = 86_400

    func nightly(_ branch: String = "main") throws -> Schedule {
        Schedule(cron: try CronSchedule("0 3 * * *"), branch: branch)
    }

    @Test func aScheduleSeenForTheFirstTimeRecordsNowAndDoesNotFire() throws {
        var book = ScheduleBook()
        let now = Self.midnight + 5 * Self.hour
        let outcome = book.advance([try nightly()], now: now)
        #expect(outcome.due.isEmpty)
        #expect(book.entries == [ScheduleBook.Entry(branch: "main", cron: "0 3 * * *", last: now)])
        #expect(outcome.next == Self.midnight + Self.day + 3 * Self.hour)
    }

    @Test func nothingFiresBeforeTheTime() throws {
        var book = ScheduleBook(entries: [.init(branch: "main", cron: "0 3 * * *", last: Self.midnight)])
        let outcome = book.advance([try nightly()], now: Self.midnight + 3 * Self.hour - 1)
        #expect(outcome.due.isEmpty)
        #expect(book.entries[0].last == Self.midnight)
        #expect(outcome.next == Self.midnight + 3 * Self.hour)
    }

    @Test func oneMissedTimeFiresOnceAndNotAgain() throws {
        var book = ScheduleBook(entries: [.init(branch: "main", cron: "0 3 * * *", last: Self.midnight)])
        let now = Self.midnight + 3 * Self.hour + 20
        #expect(book.advance([try nightly()], now: now).due.map(\.branch) == ["main"])
        #expect(book.entries[0].last == now)
        #expect(book.advance([try nightly()], now: now + 30).due.isEmpty, "fired twice for one time")
        #expect(book.advance([try nightly()], now: now + Self.hour).due.isEmpty)
    }

    @Test func threeMissedTimesFireOnce() throws {
        var book = ScheduleBook(entries: [.init(branch: "main", cron: "0 3 * * *", last: Self.midnight)])
        let now = Self.midnight + 2 * Self.day + 12 * Self.hour
        let outcome = book.advance([try nightly()], now: now)
        #expect(outcome.due.count == 1)
        #expect(outcome.next == Self.midnight + 3 * Self.day + 3 * Self.hour)
        #expect(book.advance([try nightly()], now: now + 60).due.isEmpty)
    }

    @Test func aRemovedBranchFiresNothingAndIsForgotten() throws {
        var book = ScheduleBook(entries: [.init(branch: "gone", cron: "0 3 * * *", last: Self.midnight)])
        let outcome = book.advance([], now: Self.midnight + 2 * Self.day)
        #expect(outcome.due.isEmpty)
        #expect(outcome.forgotten.map(\.branch) == ["gone"])
        #expect(book.entries.isEmpty)
        #expect(outcome.next == nil)
    }

    @Test func aBranchWhosePipelineCannotBeReadKeepsItsSchedulesWithoutFiring() throws {
        var book = ScheduleBook(entries: [.init(branch: "main", cron: "0 3 * * *", last: Self.midnight)])
        let outcome = book.advance([], unreadableBranches: ["main"], now: Self.midnight + Self.day)
        #expect(outcome.due.isEmpty && outcome.forgotten.isEmpty)
        #expect(book.entries == [ScheduleBook.Entry(branch: "main", cron: "0 3 * * *", last: Self.midnight)])
        // Fixed later: the time it missed meanwhile fires then, once.
        #expect(book.advance([try nightly()], now: Self.midnight + Self.day + 60).due.count == 1)
    }

    @Test func schedulesAreKnownByBranchAndCronText() throws {
        var book = ScheduleBook(entries: [.init(branch: "main", cron: "0 3 * * *", last: Self.midnight)])
        let hourly = Schedule(cron: try CronSchedule("@hourly"), branch: "main")
        let now = Self.midnight + 4 * Self.hour
        let outcome = book.advance([try nightly(), try nightly(), hourly, try nightly("release")], now: now)
        // The known one was due; the new ones only start counting.
        #expect(outcome.due.map(\.cron.description) == ["0 3 * * *"])
        #expect(book.entries.map { "\($0.branch) \($0.cron)" } == ["main 0 3 * * *", "main @hourly", "release 0 3 * * *"])
        #expect(outcome.next == now + Self.hour)
    }

    @Test func aClockSetBackWaitsFromNow() throws {
        var book = ScheduleBook(entries: [.init(branch: "main", cron: "0 3 * * *", last: Self.midnight + 10 * Self.day)])
        let outcome = book.advance([try nightly()], now: Self.midnight)
        #expect(outcome.due.isEmpty)
        #expect(book.entries[0].last == Self.midnight)
        #expect(outcome.next == Self.midnight + 3 * Self.hour)
    }
}
