import GRDB

/// What a queue file moved aside as corrupt still holds that must not be lost: pushes not yet
/// turned into builds, builds not yet done, and the plan branches. Each table is read row by
/// row as far as SQLite can read it (damage usually hits a few pages, not the whole file), and
/// what was read is copied into the fresh queue. Builds keep their state: one that was running
/// is found by the worker's orphan check as usual, its processes stopped and its run id kept,
/// so its results are never recorded twice.
extension BuildQueue {
    struct Salvage: CustomStringConvertible {
        var events = 0
        var builds = 0
        var plans = 0

        var description: String {
            guard events + builds + plans > 0 else { return "nothing it held could be read" }
            let parts = [Self.counted(events, "unprocessed ref update", "unprocessed ref updates"),
                         Self.counted(builds, "build not yet done", "builds not yet done"),
                         Self.counted(plans, "plan branch", "plan branches")]
            return "carried over what could be read: " + parts.joined(separator: ", ")
        }

        static func counted(_ count: Int, _ one: String, _ many: String) -> String {
            "\(count) \(count == 1 ? one : many)"
        }
    }

    func salvage(from path: String) -> Salvage {
        guard let old = try? DatabaseQueue(path: path) else { return Salvage() }
        let events = Self.readableRows(of: old, sql: "SELECT received, old, new, ref, options FROM events WHERE done = 0 ORDER BY id")
        let builds = Self.readableRows(of: old, sql: """
            SELECT id, branch, ref, commit_id, state, jobs, variables, reason, created, started, attempt, lost_attempts,
                   cancel_requested, interruptible, run_id FROM builds WHERE state IN ('queued', 'running') ORDER BY id
            """)
        let groups = Self.readableRows(of: old, sql: "SELECT build_id, pgid FROM process_groups")
        let plans = Self.readableRows(of: old, sql: "SELECT branch, state, created, retired, last_commit FROM plans")
        // Row by row, each on its own: a row the damage garbled (a NULL where none may be) is
        // skipped, not the whole lot.
        let carried = try? pool.write { db -> Salvage in
            var carried = Salvage()
            for row in events where (try? db.execute(sql: PushEvent.insertion, arguments: StatementArguments(row.databaseValues))) != nil {
                carried.events += 1
            }
            var newIDs: [Int64: Int64] = [:]
            for row in builds {
                let inserted: Void? = try? db.execute(sql: """
                    INSERT INTO builds (branch, ref, commit_id, state, jobs, variables, reason, created, started, attempt,
                                        lost_attempts, cancel_requested, interruptible, run_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments(row.databaseValues.dropFirst()))
                guard inserted != nil, let oldID = row[0] as Int64? else { continue }
                newIDs[oldID] = db.lastInsertedRowID
                carried.builds += 1
            }
            for row in groups {
                guard let build = (row[0] as Int64?).flatMap({ newIDs[$0] }) else { continue }
                try? db.execute(sql: "INSERT OR IGNORE INTO process_groups (build_id, pgid) VALUES (?, ?)", arguments: [build, row[1]])
            }
            for row in plans where (try? db.execute(sql: """
                INSERT OR IGNORE INTO plans (branch, state, created, retired, last_commit) VALUES (?, ?, ?, ?, ?)
                """, arguments: [row[0], row[1], row[2], row[3], row[4]])) != nil {
                carried.plans += 1
            }
            return carried
        }
        return carried ?? Salvage()
    }

    /// The rows of `sql` up to the first one SQLite cannot read.
    private static func readableRows(of queue: DatabaseQueue, sql: String) -> [Row] {
        var rows: [Row] = []
        try? queue.read { db in
            let cursor = try Row.fetchCursor(db, sql: sql)
            while let row = try cursor.next() { rows.append(row.copy()) }
        }
        return rows
    }
}
