import GRDB

/// What the web UI reads of the queue: builds under way, and each branch's recent builds for
/// its sparkline and durations.
extension BuildQueue {
    /// Every queued or running build, oldest first.
    public func activeBuilds() throws -> [Build] {
        try pool.read { db in try Build.fetch(db, where: "state IN ('queued', 'running') ORDER BY id") }
    }

    /// The newest `limit` builds of each branch, newest first, by branch: one query for every
    /// plan branch of a repository page.
    public func recentBuilds(perBranch limit: Int) throws -> [String: [Build]] {
        try pool.read { db in
            let builds = try Build.fetch(db, where: """
                id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY branch ORDER BY id DESC) AS position
                                       FROM builds WHERE branch IS NOT NULL) WHERE position <= ?) ORDER BY id DESC
                """, arguments: [limit])
            return Dictionary(grouping: builds) { $0.branch ?? "" }
        }
    }

    /// The newest `limit` builds of `branch`, newest first.
    public func builds(ofBranch branch: String, limit: Int) throws -> [Build] {
        try pool.read { db in try Build.fetch(db, where: "branch = ? ORDER BY id DESC LIMIT ?", arguments: [branch, limit]) }
    }

    /// The build whose results are recorded under `runID`.
    public func build(runID: String) throws -> Build? {
        try pool.read { db in try Build.fetch(db, where: "run_id = ? ORDER BY id DESC LIMIT 1", arguments: [runID]).first }
    }
}
