import GRDB

/// What the web UI reads of the queue: builds under way, and each branch's recent builds for
/// its sparkline and durations.
extension BuildQueue {
    /// Every queued or running build, oldest first.
    public func activeBuilds() throws -> [Build] {
        try pool.read { db in try Build.fetch(db, where: "state IN ('queued', 'running') ORDER BY id") }
    }

    /// What a build came to, without what it was asked to do: what lists of many builds show.
    public struct Outcome: Sendable, Hashable {
        public let branch: String
        public let commit: String
        public let state: Build.State
        public let result: String?
        public let started: Double?
        public let finished: Double?

        public var durationMs: Int? {
            guard let started, let finished else { return nil }
            return Int((finished - started) * 1000)
        }
    }

    /// The newest `limit` builds of each of `branches`, newest first, by branch: one query for
    /// every plan branch of a repository page. Only each branch's newest has its times.
    public func recentOutcomes(of branches: [String], perBranch limit: Int) throws -> [String: [Outcome]] {
        guard !branches.isEmpty else { return [:] }
        // A cursor reads each value straight from the statement; only the newest build of a
        // branch needs its times (its row's duration and when it ended).
        return try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT branch, commit_id, state, result, CASE position WHEN 1 THEN started END,
                       CASE position WHEN 1 THEN finished END FROM (
                    SELECT branch, commit_id, state, result, started, finished, id,
                           row_number() OVER (PARTITION BY branch ORDER BY id DESC) AS position
                    FROM builds WHERE branch IN (\(databaseQuestionMarks(count: branches.count))))
                WHERE position <= ? ORDER BY id DESC
                """, arguments: StatementArguments(branches) + [limit])
            var outcomes: [String: [Outcome]] = [:]
            while let row = try rows.next() {
                let outcome = Outcome(branch: row[0], commit: row[1], state: Build.State(rawValue: row[2]) ?? .finished,
                                      result: row[3], started: row[4], finished: row[5])
                outcomes[outcome.branch, default: []].append(outcome)
            }
            return outcomes
        }
    }

    /// The newest `limit` builds of `branch`, newest first.
    public func builds(ofBranch branch: String, limit: Int) throws -> [Build] {
        try pool.read { db in try Build.fetch(db, where: "branch = ? ORDER BY id DESC LIMIT ?", arguments: [branch, limit]) }
    }
}
