/// When each schedule last fired, and which are due: the decisions behind `schedules:`, with
/// the clock given (Unix seconds, UTC, as CronSchedule reads them), so they can be tested at
/// any time of day.
///
/// Rules:
/// - A schedule is known by its branch and its cron text. One seen for the first time records
///   `now` as its baseline and does not fire: adding a schedule (or starting gitci on a
///   repository that has one) does not start a build at once.
/// - A schedule fires when a time it names has passed since it last fired (or its baseline);
///   however many such times passed (a worker that was down for three nights), it fires once,
///   and `now` becomes its last fire.
/// - A schedule no longer listed is forgotten (written again later, it starts over), except
///   on branches whose pipeline file could not be read this time: a typo pushed to a branch
///   does not reset its schedules.
public struct ScheduleBook: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var branch: String
        /// The cron expression as written (CronSchedule.description).
        public var cron: String
        /// When it last fired, or was first seen (Unix seconds).
        public var last: Int64

        public init(branch: String, cron: String, last: Int64) {
            self.branch = branch
            self.cron = cron
            self.last = last
        }
    }

    /// Sorted by branch, then cron text.
    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries.sorted { ($0.branch, $0.cron) < ($1.branch, $1.cron) }
    }

    /// What one look at the schedules decided.
    public struct Outcome: Sendable {
        /// The schedules to build now, in the order given.
        public var due: [Schedule] = []
        /// Entries of schedules no longer listed, dropped from the book.
        public var forgotten: [Entry] = []
        /// The earliest time a listed schedule fires next; nil when none ever does.
        public var next: Int64?
    }

    /// Brings the book up to `now` for `schedules` (everything listed now, on every branch):
    /// records first sightings, fires what is due (once each), forgets what is gone, except the
    /// entries of `unreadableBranches`, which stay as they were.
    public mutating func advance(_ schedules: [Schedule], unreadableBranches: Set<String> = [], now: Int64) -> Outcome {
        struct Key: Hashable {
            let branch: String
            let cron: String
        }
        var known: [Key: Entry] = [:]
        for entry in entries { known[Key(branch: entry.branch, cron: entry.cron)] = entry }
        var outcome = Outcome()
        var kept: [Key: Entry] = [:]
        for schedule in schedules {
            let key = Key(branch: schedule.branch, cron: schedule.cron.description)
            guard kept[key] == nil else { continue }  // listed twice: one schedule
            var entry = known.removeValue(forKey: key) ?? Entry(branch: schedule.branch, cron: key.cron, last: now)
            // A clock set back: wait from now, not from a time that may be days ahead.
            if entry.last > now { entry.last = now }
            if let fire = schedule.cron.next(after: entry.last), fire <= now {
                outcome.due.append(schedule)
                entry.last = now
            }
            kept[key] = entry
            if let next = schedule.cron.next(after: entry.last) { outcome.next = min(outcome.next ?? next, next) }
        }
        for (key, entry) in known {
            if unreadableBranches.contains(entry.branch) { kept[key] = entry } else { outcome.forgotten.append(entry) }
        }
        outcome.forgotten.sort { ($0.branch, $0.cron) < ($1.branch, $1.cron) }
        self = ScheduleBook(entries: Array(kept.values))
        return outcome
    }
}
