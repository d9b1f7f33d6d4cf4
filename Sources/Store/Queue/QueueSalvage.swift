import Foundation
import GRDB

// MARK: - Repairing a corrupt queue

extension BuildQueue {
    /// The worker's way in: a queue file SQLite calls corrupt is moved aside (kept for
    /// inspection, never deleted) and a fresh one started, so that spooled pushes can be built
    /// again instead of piling up behind a file nobody can open. What can still be read of the
    /// old one (pushes not yet processed, builds not yet done, plan branches) is carried over.
    public static func openRepairing(stateFolder: String, report: (String) -> Void) throws(StoreError) -> BuildQueue {
        do {
            return try open(stateFolder: stateFolder)
        } catch {
            let path = (stateFolder as NSString).appendingPathComponent(fileName)
            guard isCorrupt(path) else { throw error }
            return try moveAsideAndSalvage(stateFolder: stateFolder, report: report)
        }
    }

    /// For a worker whose queue failed it, once no build of its own is running: damage to pages
    /// that opening does not read (the tables' rows) shows only in the queries that read them,
    /// and a check of every page costs too much to make at every open, on the way from a push
    /// to its build. When SQLite calls the file corrupt, it is repaired as openRepairing does
    /// and the fresh queue returned; `queue` must not be used after that.
    public static func repairedIfCorrupt(_ queue: BuildQueue, stateFolder: String,
                                         report: (String) -> Void) -> BuildQueue? {
        guard isCorrupt(queue.path) else { return nil }
        // Closed before its files move: a connection closed later could take the fresh
        // queue's -wal and -shm, which have the same names, for its own.
        try? queue.pool.close()
        do {
            return try moveAsideAndSalvage(stateFolder: stateFolder, report: report)
        } catch {
            report("gitci: worker: the queue \(queue.path) is corrupt and cannot be replaced: \(error)")
            return nil
        }
    }

    private static func moveAsideAndSalvage(stateFolder: String, report: (String) -> Void) throws(StoreError) -> BuildQueue {
        let path = (stateFolder as NSString).appendingPathComponent(fileName)
        let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        let fresh = try open(stateFolder: stateFolder)
        let carried = fresh.salvage(from: aside)
        report("gitci: worker: the queue \(path) is corrupt; moved it to \(aside) and started a new one; \(carried)")
        return fresh
    }

    private static func isCorrupt(_ path: String) -> Bool {
        do {
            let queue = try DatabaseQueue(path: path)
            let result = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            return result != "ok"
        } catch let error as DatabaseError {
            return error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        } catch {
            return false
        }
    }

    /// Moves everything the WAL holds into the queue file and empties the WAL: for tests that
    /// damage the file's pages as a disk would.
    package func checkpointIntoFile() throws {
        _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}

// MARK: - Carrying over what can be read

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
        let events = Self.readableRows(of: old, sql: "SELECT id, received, old, new, ref, options FROM events NOT INDEXED WHERE done = 0")
        let builds = Self.readableRows(of: old, sql: """
            SELECT id, branch, ref, commit_id, state, jobs, variables, reason, created, started, attempt, lost_attempts,
                   cancel_requested, interruptible, run_id, request FROM builds NOT INDEXED WHERE state IN ('queued', 'running')
            """)
        let groups = Self.readableRows(of: old, sql: "SELECT rowid, build_id, pgid FROM process_groups NOT INDEXED")
        let plans = Self.readableRows(of: old, sql: "SELECT rowid, branch, state, created, retired, last_commit FROM plans NOT INDEXED")
        // Row by row, each on its own: a row the damage garbled (a NULL where none may be) is
        // skipped, not the whole lot.
        let carried = try? pool.write { db -> Salvage in
            var carried = Salvage()
            for row in events where (try? db.execute(sql: PushEvent.insertion, arguments: StatementArguments(row.databaseValues.dropFirst()))) != nil {
                carried.events += 1
            }
            var newIDs: [Int64: Int64] = [:]
            for row in builds {
                let inserted: Void? = try? db.execute(sql: """
                    INSERT INTO builds (branch, ref, commit_id, state, jobs, variables, reason, created, started, attempt,
                                        lost_attempts, cancel_requested, interruptible, run_id, request)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, '{}'))
                    """, arguments: StatementArguments(row.databaseValues.dropFirst()))
                guard inserted != nil, let oldID = row[0] as Int64? else { continue }
                newIDs[oldID] = db.lastInsertedRowID
                carried.builds += 1
            }
            for row in groups {
                guard let build = (row[1] as Int64?).flatMap({ newIDs[$0] }) else { continue }
                try? db.execute(sql: "INSERT OR IGNORE INTO process_groups (build_id, pgid) VALUES (?, ?)", arguments: [build, row[2]])
            }
            for row in plans where (try? db.execute(sql: """
                INSERT OR IGNORE INTO plans (branch, state, created, retired, last_commit) VALUES (?, ?, ?, ?, ?)
                """, arguments: [row[1], row[2], row[3], row[4], row[5]])) != nil {
                carried.plans += 1
            }
            return carried
        }
        return carried ?? Salvage()
    }

    /// The rows of `sql` (whose first column is the rowid) that SQLite can read, in rowid
    /// order: read from the first row on up to the first damaged page, and from the last row
    /// back to the last damaged page, so that rows on both sides of the damage are kept. The
    /// queries read the tables themselves (NOT INDEXED): a damaged index must not hide rows.
    private static func readableRows(of queue: DatabaseQueue, sql: String) -> [Row] {
        var rows: [Int64: Row] = [:]
        for order in ["ASC", "DESC"] {
            try? queue.read { db in
                let cursor = try Row.fetchCursor(db, sql: "\(sql) ORDER BY 1 \(order)")
                while let row = try cursor.next() {
                    guard let id = row[0] as Int64?, rows[id] == nil else { continue }
                    rows[id] = row.copy()
                }
            }
        }
        return rows.keys.sorted().compactMap { rows[$0] }
    }
}
