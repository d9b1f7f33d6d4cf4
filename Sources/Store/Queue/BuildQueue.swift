public import Foundation
public import HookIntake
import GRDB
internal import CHookSupport

/// The durable queue of a repository's state folder (`queue.sqlite`, WAL): pushes as the hook
/// received them, plan branches, and builds from queued to finished.
///
/// Kept apart from the results index on purpose: the index may be thrown away and rebuilt from
/// the notes at any time, the queue may not.
public final class BuildQueue: Sendable {
    public static let fileName = StateLayout.queue

    public let path: String
    let pool: DatabaseQueue

    private init(path: String, pool: DatabaseQueue) {
        self.path = path
        self.pool = pool
    }

    /// Opens the queue of `stateFolder`, which must exist (`gitci install` makes it): a hook
    /// never creates folders in a repository behind the administrator's back.
    /// `busyTimeout` bounds how long a writer waits for another one (seconds): short in a hook,
    /// which would rather spool than hold up a push. `durable` makes every commit reach the disk
    /// before it returns: what the hook records exists nowhere else.
    public static func open(stateFolder: String, busyTimeout: Double = 15, durable: Bool = false) throws(StoreError) -> BuildQueue {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: stateFolder, isDirectory: &isDirectory) else {
            throw StoreError("the state folder \(stateFolder) is missing (run `gitci install` on the repository)")
        }
        guard isDirectory.boolValue else {
            throw StoreError("the state folder \(stateFolder) is a file, not a folder (move it aside and run `gitci install` on the repository)")
        }
        let path = (stateFolder as NSString).appendingPathComponent(fileName)
        do {
            let pool = try DatabaseSetup.open(path: path, busyTimeout: busyTimeout, durable: durable, keepsWALPages: true,
                                              schema: schema)
            return BuildQueue(path: path, pool: pool)
        } catch {
            throw StoreError("cannot open the queue \(path): \(error)")
        }
    }

    static let schema = DatabaseSetup.Schema(migrations: ["v1", "v2", "v3", "v4", "v5", "v6"], migrator: { migrator })

    /// Whether `schema` lists exactly the migrations the migrator registers (a test keeps them so).
    package static var schemaListsEveryMigration: Bool { schema.migrations == migrator.migrations }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY, received REAL NOT NULL,
                    old TEXT NOT NULL, new TEXT NOT NULL, ref TEXT NOT NULL,
                    options TEXT NOT NULL DEFAULT '[]', done INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX events_pending ON events (done, id);
                CREATE TABLE plans (
                    branch TEXT PRIMARY KEY, state TEXT NOT NULL, created REAL NOT NULL,
                    retired REAL, last_commit TEXT
                );
                CREATE TABLE builds (
                    id INTEGER PRIMARY KEY, branch TEXT, ref TEXT, commit_id TEXT NOT NULL,
                    state TEXT NOT NULL, jobs TEXT NOT NULL DEFAULT '[]', variables TEXT NOT NULL DEFAULT '{}',
                    reason TEXT, created REAL NOT NULL, started REAL, finished REAL,
                    attempt INTEGER NOT NULL DEFAULT 0, lost_attempts INTEGER NOT NULL DEFAULT 0,
                    cancel_requested INTEGER NOT NULL DEFAULT 0, interruptible INTEGER NOT NULL DEFAULT 0,
                    run_id TEXT, result TEXT
                );
                CREATE INDEX builds_by_state ON builds (state, id);
                CREATE INDEX builds_by_commit ON builds (commit_id);
                CREATE INDEX builds_by_branch ON builds (branch, state);
                CREATE TABLE build_jobs (
                    build_id INTEGER NOT NULL, job TEXT NOT NULL, status TEXT NOT NULL, started REAL,
                    PRIMARY KEY (build_id, job)
                );
                -- Process groups of running steps, so that a worker that replaces a killed one
                -- can stop what it left behind.
                CREATE TABLE process_groups (build_id INTEGER NOT NULL, pgid INTEGER NOT NULL, PRIMARY KEY (build_id, pgid));
                """)
        }
        // Claiming a build looks its new run id up among every build the queue ever held.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "CREATE INDEX builds_by_run_id ON builds (run_id)")
        }
        // Which push an update came with, and whether the worker took it up from the
        // pre-receive hook's hint: written no more since push hints went (a migration never
        // changes once queues carry it), read by nothing.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN push TEXT;
                ALTER TABLE events ADD COLUMN hinted INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX events_by_push ON events (push, ref) WHERE push IS NOT NULL;
                """)
        }
        // When a worker last left: the write that starts the WAL over (startWALOver), on a page
        // of its own.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "CREATE TABLE worker_left (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL)")
        }
        // What a build was asked to do beyond a plain build (BuildRequest), as JSON.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: "ALTER TABLE builds ADD COLUMN request TEXT NOT NULL DEFAULT '{}'")
        }
        // Why a job of a running build has not started: it waits for a build agent.
        migrator.registerMigration("v6") { db in
            try db.execute(sql: "ALTER TABLE build_jobs ADD COLUMN detail TEXT")
        }
        return migrator
    }

    // MARK: - What the hook does

    /// Records a push's ref updates in one transaction.
    public func record(_ events: [PushEvent], at time: Double = Date().timeIntervalSince1970) throws(StoreError) {
        do {
            try pool.write { db in
                let insert = try db.cachedStatement(sql: PushEvent.insertion)
                for event in events {
                    try insert.execute(arguments: [time, event.old, event.new, event.ref, Self.encode(event.options)])
                }
            }
        } catch {
            throw StoreError("cannot queue the push in \(path): \(error)")
        }
    }

    // MARK: - What the worker does

    /// Pushes not yet turned into plans and builds, oldest first.
    public func pendingEvents(limit: Int = 500) throws -> [(id: Int64, event: PushEvent)] {
        try pool.read { db in try QueueTransaction(db: db).pendingEvents(limit: limit) }
    }

    /// Runs `body` in one write transaction: what a processed push changes lands together
    /// with the mark that it was processed, so a crash never processes it twice.
    public func update<T>(_ body: (QueueTransaction) throws -> T) throws -> T {
        try pool.write { db in try body(QueueTransaction(db: db)) }
    }

    /// Builds that a worker was running when it died: back to the queue, the lost attempt
    /// counted. One that was asked to stop meanwhile (`gitci cancel`, a newer push) is not
    /// queued again: running its steps first would be what the cancel asked not to happen; it
    /// stays running for the caller to stop its processes and finish it, cancelled. Only call
    /// while holding the worker lock (no other worker is running them).
    public func requeueOrphans() throws -> [Build] {
        // Looked at first without the write lock, which a hook queueing a push may hold: only
        // the worker lock's holder runs builds, so none can start running in between.
        guard try pool.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM builds WHERE state = 'running')") }) == true else {
            return []
        }
        return try pool.write { db in
            let orphans = try Build.fetch(db, where: "state = 'running'")
            try db.execute(sql: """
                UPDATE builds SET state = 'queued', lost_attempts = lost_attempts + 1, started = NULL,
                reason = 'the worker running it stopped; queued again' WHERE state = 'running' AND cancel_requested = 0
                """)
            try db.execute(sql: "DELETE FROM build_jobs WHERE build_id IN (SELECT id FROM builds WHERE state = 'queued')")
            return orphans
        }
    }

    /// Up to `limit` of the oldest queued builds, claimed (QueueTransaction.claim).
    public func claim(upTo limit: Int, runID: () -> String) throws -> [Build] {
        try update { transaction in try transaction.claim(upTo: limit, runID: runID) }
    }

    public func finish(_ buildID: Int64, state: Build.State, result: String?, reason: String? = nil) throws {
        try pool.write { db in
            try db.cachedStatement(sql: "UPDATE builds SET state = ?, result = ?, reason = coalesce(?, reason), finished = ? WHERE id = ?")
                .execute(arguments: [state.rawValue, result, reason, Date().timeIntervalSince1970, buildID])
            try db.cachedStatement(sql: "DELETE FROM process_groups WHERE build_id = ?").execute(arguments: [buildID])
        }
    }

    /// Running builds someone asked to stop (`gitci cancel`, a newer push to an interruptible branch).
    public func cancelRequested() throws -> Set<Int64> {
        try pool.read { db in
            Set(try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM builds WHERE state = 'running' AND cancel_requested = 1")))
        }
    }

    public func hasWork() throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM events WHERE done = 0) OR EXISTS (SELECT 1 FROM builds WHERE state IN ('queued', 'running'))
                """)) ?? false
        }
    }

    public func setJobStatus(_ buildID: Int64, job: String, status: String, started: Double?) {
        _ = try? pool.write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO build_jobs (build_id, job, status, started) VALUES (?, ?, ?, ?)")
                .execute(arguments: [buildID, job, status, started])
        }
    }

    /// A job of the build waits to be taken (queued, `detail` saying why), or no longer
    /// waits (nil: running).
    public func setJobDetail(_ buildID: Int64, job: String, detail: String?) {
        _ = try? pool.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO build_jobs (build_id, job, status, detail) VALUES (?, ?, ?, ?)
                ON CONFLICT (build_id, job) DO UPDATE SET detail = excluded.detail, status = excluded.status
                """).execute(arguments: [buildID, job, detail == nil ? "running" : "queued", detail])
        }
    }

    /// The details set on a running build's jobs, by job.
    public func jobDetails(of buildID: Int64) throws -> [String: String] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT job, detail FROM build_jobs WHERE build_id = ? AND detail IS NOT NULL", arguments: [buildID])
                .reduce(into: [:]) { $0[$1["job"] as String] = $1["detail"] as String }
        }
    }

    public func addProcessGroup(_ buildID: Int64, pgid: Int32) {
        _ = try? pool.write { db in
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO process_groups (build_id, pgid) VALUES (?, ?)").execute(arguments: [buildID, pgid])
        }
    }

    public func processGroups(of buildIDs: [Int64]) throws -> [Int32] {
        guard !buildIDs.isEmpty else { return [] }
        return try pool.read { db in
            try Int32.fetchAll(db, sql: "SELECT pgid FROM process_groups WHERE build_id IN (\(buildIDs.map(String.init).joined(separator: ",")))")
        }
    }

    // MARK: - What the commands read and ask

    public func plans() throws -> [PlanBranch] {
        try pool.read { db in try PlanBranch.fetch(db, where: "1 ORDER BY state, branch") }
    }

    /// Builds of `commit` that are queued or running, newest first.
    public func activeBuilds(of commit: String) throws -> [Build] {
        try pool.read { db in
            try Build.fetch(db, where: "commit_id = ? AND state IN ('queued', 'running') ORDER BY id DESC", arguments: [commit])
        }
    }

    /// Live job statuses of a running build.
    public func jobStatuses(of buildID: Int64) throws -> [(job: String, status: String, started: Double?)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT job, status, started FROM build_jobs WHERE build_id = ? ORDER BY rowid", arguments: [buildID])
                .map { ($0["job"], $0["status"], $0["started"]) }
        }
    }

    /// Each plan branch's most recent build (any state) of the commit it was last pushed or
    /// triggered at, for `gitci plans`; the branch's most recent build when there is none. Not
    /// simply its most recent build: a push that reached the queue late, after a newer one,
    /// is recorded after it (PushProcessor's overtaken updates).
    public func latestBuilds() throws -> [String: Build] {
        try pool.read { db in
            let builds = try Build.fetch(db, where: """
                id IN (SELECT coalesce(
                    (SELECT max(id) FROM builds WHERE branch = plans.branch AND commit_id = plans.last_commit),
                    (SELECT max(id) FROM builds WHERE branch = plans.branch)) FROM plans)
                """)
            return Dictionary(builds.compactMap { build in build.branch.map { ($0, build) } }, uniquingKeysWith: { $1 })
        }
    }

    public func build(_ id: Int64) throws -> Build? {
        try pool.read { db in try Build.fetch(db, where: "id = ?", arguments: [id]).first }
    }

    /// Every build the queue keeps, oldest first.
    package func builds() throws -> [Build] {
        try pool.read { db in try Build.fetch(db, where: "1 ORDER BY id") }
    }

    /// Cancels the queued builds of `commit` and asks the worker to stop its running ones.
    public func cancel(commit: String) throws -> (queued: Int, running: Int) {
        try pool.write { db in
            try db.execute(sql: "UPDATE builds SET state = 'cancelled', reason = 'cancelled by gitci cancel', finished = ? WHERE commit_id = ? AND state = 'queued'",
                           arguments: [Date().timeIntervalSince1970, commit])
            let queued = db.changesCount
            try db.execute(sql: "UPDATE builds SET cancel_requested = 1, reason = 'cancelled by gitci cancel' WHERE commit_id = ? AND state = 'running'",
                           arguments: [commit])
            return (queued, db.changesCount)
        }
    }

    // Lists and maps are nearly always empty: those skip Foundation's JSON coders, which cost
    // a worker a good part of a millisecond per push.
    static func encode(_ strings: [String]) -> String {
        strings.isEmpty ? "[]" : json(strings)
    }

    static func encode(_ variables: [String: String]) -> String {
        variables.isEmpty ? "{}" : json(variables)
    }

    static func decodeList(_ text: String) -> [String]? {
        text == "[]" ? [] : try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    static func decodeMap(_ text: String) -> [String: String]? {
        text == "{}" ? [:] : try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    static func encode(_ request: BuildRequest) -> String {
        request.isPlain ? "{}" : json(request)
    }

    /// A request this gitci cannot read (written by a newer one, or damaged) builds plainly.
    static func decodeRequest(_ text: String) -> BuildRequest {
        text == "{}" ? BuildRequest() : (try? JSONDecoder().decode(BuildRequest.self, from: Data(text.utf8))) ?? BuildRequest()
    }

    private static func json(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

extension BuildQueue {
    /// Compiles, and keeps, the statements that take a push up and claim its build
    /// (QueueTransaction's): the worker a push starts does it as the queue opens, beside reading
    /// the pipeline, where the first round would do it on the way from the push to its build
    /// (SQLite's parser and code generator running for the first time).
    public func compileWorkerStatements() {
        try? pool.inDatabase { db in
            for sql in QueueTransaction.SQL.takingUpAPush { _ = try db.cachedStatement(sql: sql) }
        }
    }

    /// How many statements the queue's connection holds compiled.
    package var compiledStatements: Int {
        pool.inDatabase { db in Int(gitci_compiled_statements(UnsafeMutableRawPointer(db.sqliteConnection))) }
    }
}

/// The changes one processed push makes, applied in one transaction.
public struct QueueTransaction {
    let db: Database

    /// Statement texts, one each: a statement is compiled once per connection and kept under
    /// its text.
    enum SQL {
        static let pendingEvents = "SELECT id, old, new, ref, options FROM events WHERE done = 0 ORDER BY id LIMIT ?"
        static let claimableBuilds = "state = 'queued' ORDER BY id LIMIT ?"
        static let runIDTaken = "SELECT EXISTS (SELECT 1 FROM builds WHERE run_id = ?)"
        static let claim = """
            UPDATE builds SET state = 'running', started = ?, attempt = attempt + 1, run_id = coalesce(run_id, ?)
            WHERE id = ? AND state = 'queued'
            """
        static let markDone = "UPDATE events SET done = 1 WHERE id = ?"
        static let activatePlan = """
            INSERT INTO plans (branch, state, created, last_commit) VALUES (?, 'active', ?, ?)
            ON CONFLICT (branch) DO UPDATE SET state = 'active', retired = NULL, last_commit = excluded.last_commit
            """
        static let supersede = "UPDATE builds SET state = 'superseded', reason = ?, finished = ? WHERE branch = ? AND state = 'queued'"
        static let interrupt = "UPDATE builds SET cancel_requested = 1, reason = ? WHERE branch = ? AND state = 'running' AND interruptible = 1"
        static let enqueue = """
            INSERT INTO builds (branch, ref, commit_id, state, jobs, variables, reason, created, interruptible, request)
            VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
            """

        /// What a push's first round runs, from the push's record to its claimed build.
        static let takingUpAPush = [pendingEvents, markDone, activatePlan, supersede, interrupt, enqueue, Build.select(where: claimableBuilds),
                                    runIDTaken, claim]
    }

    /// Pushes not yet turned into plans and builds, oldest first.
    public func pendingEvents(limit: Int) throws -> [(id: Int64, event: PushEvent)] {
        try Row.fetchAll(db.cachedStatement(sql: SQL.pendingEvents), arguments: [limit])
            .map { row in
                let options = BuildQueue.decodeList(row["options"] as String) ?? []
                return (row["id"] as Int64, PushEvent(old: row["old"], new: row["new"], ref: row["ref"], options: options))
            }
    }

    /// Whether an update of `ref` that started from `old` has been processed: one made after
    /// the update that moved `ref` to `old`.
    public func hasProcessedUpdate(of ref: String, from old: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE ref = ? AND old = ? AND done = 1)", arguments: [ref, old]) ?? false
    }

    /// Takes up to `limit` of the oldest queued builds, marking each running with a run id
    /// (kept from an earlier, lost attempt so that its results are never recorded twice). A
    /// run id names the build's log and workspace folders, so one that another build has is
    /// never given out again: `runID` is asked until it returns a new one.
    public func claim(upTo limit: Int, runID: () -> String) throws -> [Build] {
        guard limit > 0 else { return [] }
        var claimed: [Build] = []
        for build in try Build.fetch(db, where: SQL.claimableBuilds, arguments: [limit]) {
            var newID = build.runID ?? runID()
            while build.runID == nil, try Bool.fetchOne(db.cachedStatement(sql: SQL.runIDTaken), arguments: [newID]) == true {
                newID = runID()
            }
            let started = Date().timeIntervalSince1970
            try db.cachedStatement(sql: SQL.claim).execute(arguments: [started, newID, build.id])
            // What the statement made of the row, without reading it again.
            claimed.append(Build(id: build.id, branch: build.branch, ref: build.ref, commit: build.commit, state: .running,
                                 jobs: build.jobs, variables: build.variables, reason: build.reason, created: build.created,
                                 started: started, finished: build.finished, attempt: build.attempt + 1,
                                 lostAttempts: build.lostAttempts, cancelRequested: build.cancelRequested,
                                 interruptible: build.interruptible, runID: build.runID ?? newID, result: build.result,
                                 request: build.request))
        }
        return claimed
    }

    public func markDone(event id: Int64) throws {
        try db.cachedStatement(sql: SQL.markDone).execute(arguments: [id])
    }

    public func plan(_ branch: String) throws -> PlanBranch? {
        try PlanBranch.fetch(db, where: "branch = ?", arguments: [branch]).first
    }

    /// Creates the plan branch on first push, or brings a retired one back.
    public func activatePlan(_ branch: String, commit: String, at time: Double = Date().timeIntervalSince1970) throws {
        try db.cachedStatement(sql: SQL.activatePlan).execute(arguments: [branch, time, commit])
    }

    /// Creates the plan branch when there is none; one there already is left as it is.
    public func notePlan(_ branch: String, commit: String, at time: Double = Date().timeIntervalSince1970) throws {
        try db.execute(sql: "INSERT INTO plans (branch, state, created, last_commit) VALUES (?, 'active', ?, ?) ON CONFLICT (branch) DO NOTHING",
                       arguments: [branch, time, commit])
    }

    /// Retires the plan branch (its history stays), cancels its queued builds and asks the
    /// worker to stop its running ones, interruptible or not: a deleted branch's build would
    /// otherwise hold a build slot to the end for results nobody will look at.
    public func retirePlan(_ branch: String, at time: Double = Date().timeIntervalSince1970) throws {
        try db.execute(sql: "UPDATE plans SET state = 'retired', retired = ? WHERE branch = ?", arguments: [time, branch])
        try db.execute(sql: "UPDATE builds SET state = 'cancelled', reason = 'branch deleted', finished = ? WHERE branch = ? AND state = 'queued'",
                       arguments: [time, branch])
        try db.execute(sql: "UPDATE builds SET cancel_requested = 1, reason = 'branch deleted' WHERE branch = ? AND state = 'running'",
                       arguments: [branch])
    }

    /// Marks the branch's queued builds superseded by a newer push, and (when the pipeline is
    /// interruptible) asks for its running ones to be stopped.
    public func supersede(branch: String, by commit: String, interruptRunning: Bool) throws {
        try db.cachedStatement(sql: SQL.supersede)
            .execute(arguments: ["superseded by \(commit.prefix(10))", Date().timeIntervalSince1970, branch])
        if interruptRunning {
            try db.cachedStatement(sql: SQL.interrupt)
                .execute(arguments: ["interrupted by a newer push (\(commit.prefix(10)))", branch])
        }
    }

    @discardableResult
    public func enqueue(commit: String, branch: String?, ref: String?, jobs: [String] = [], variables: [String: String] = [:],
                        interruptible: Bool = false, reason: String? = nil, request: BuildRequest = BuildRequest()) throws -> Int64 {
        try db.cachedStatement(sql: SQL.enqueue).execute(arguments: [branch, ref, commit, BuildQueue.encode(jobs), BuildQueue.encode(variables), reason,
                             Date().timeIntervalSince1970, interruptible, BuildQueue.encode(request)])
        return db.lastInsertedRowID
    }

    /// Records a build that was settled before it could start (`state` superseded or cancelled).
    public func enqueueSettled(commit: String, branch: String?, ref: String?, state: Build.State, reason: String,
                               at time: Double = Date().timeIntervalSince1970) throws {
        try db.execute(sql: "INSERT INTO builds (branch, ref, commit_id, state, reason, created, finished) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [branch, ref, commit, state.rawValue, reason, time, time])
    }
}

extension Build {
    /// `condition` is SQL text with `?` for the `arguments`, never values: its statement is
    /// compiled once per connection and kept.
    static func fetch(_ db: Database, where condition: String, arguments: StatementArguments = []) throws -> [Build] {
        try Row.fetchAll(db.cachedStatement(sql: select(where: condition)), arguments: arguments).map(Build.init(row:))
    }

    static func select(where condition: String) -> String {
        "SELECT * FROM builds WHERE \(condition)"
    }

    init(row: Row) {
        self.init(id: row["id"], branch: row["branch"], ref: row["ref"], commit: row["commit_id"],
                  state: State(rawValue: row["state"]) ?? .finished,
                  jobs: BuildQueue.decodeList(row["jobs"] as String) ?? [],
                  variables: BuildQueue.decodeMap(row["variables"] as String) ?? [:],
                  reason: row["reason"], created: row["created"], started: row["started"], finished: row["finished"],
                  attempt: row["attempt"], lostAttempts: row["lost_attempts"], cancelRequested: row["cancel_requested"],
                  interruptible: row["interruptible"], runID: row["run_id"], result: row["result"],
                  request: BuildQueue.decodeRequest(row["request"] as String? ?? "{}"))
    }
}

extension PlanBranch {
    static func fetch(_ db: Database, where condition: String, arguments: StatementArguments = []) throws -> [PlanBranch] {
        try Row.fetchAll(db, sql: "SELECT * FROM plans WHERE \(condition)", arguments: arguments).map { row in
            PlanBranch(branch: row["branch"], state: State(rawValue: row["state"]) ?? .retired, created: row["created"],
                       retired: row["retired"], lastCommit: row["last_commit"])
        }
    }
}

extension BuildQueue {
    /// The newest build of `commit`, in any state.
    public func latestBuild(of commit: String) throws -> Build? {
        try pool.read { db in try Build.fetch(db, where: "commit_id = ? ORDER BY id DESC LIMIT 1", arguments: [commit]).first }
    }
}

extension BuildQueue {
    /// For a worker about to leave: moves what the WAL holds into the main file, then starts
    /// the WAL over with a write of its own. Connections to the queue leave the WAL's pages in
    /// place when they close (DatabaseSetup's `keepsWALPages`), so the next push's first write,
    /// the post-receive hook's or its worker's, appends to a started WAL. Starting it over
    /// syncs its header and the state folder: 1 to 3 ms that the push would otherwise wait for
    /// on its way to its first step.
    ///
    /// Between workers the WAL holds that write (one page, worker_left's) and the pushes'
    /// since: copies of pages that hide damage to the same pages in the main file until the
    /// next checkpoint writes the copies over it.
    public func startWALOver(at time: Double = Date().timeIntervalSince1970) {
        try? pool.writeWithoutTransaction { db in
            // Only pages no connection still reads are moved; the write then appends, and the
            // next worker's checkpoint moves them.
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
            try db.execute(sql: "INSERT OR REPLACE INTO worker_left (id, at) VALUES (1, ?)", arguments: [time])
        }
    }

    /// Forgets processed pushes and finished builds' live job statuses after `days`: what a
    /// build produced lives in the notes, and the queue should not grow with every push forever.
    public func prune(olderThan days: Double = 7) throws {
        let cutoff = Date().timeIntervalSince1970 - days * 86_400
        try pool.write { db in
            try db.execute(sql: "DELETE FROM events WHERE done = 1 AND received < ?", arguments: [cutoff])
            try db.execute(sql: """
                DELETE FROM build_jobs WHERE build_id IN
                (SELECT id FROM builds WHERE state NOT IN ('queued', 'running') AND finished < ?)
                """, arguments: [cutoff])
        }
    }
}

/// The hook's ref updates, as the queue stores them (defined with the hook's own code).
public typealias PushEvent = HookIntake.PushEvent
