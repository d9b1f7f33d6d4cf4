public import Foundation
import GRDB

/// Jobs handed to agents: a job is queued by the build that needs it, claimed by one agent at a
/// time under a lease the agent renews, and finished by that agent's result, or queued again
/// (a new attempt) when its lease runs out. A row outlives the coordinator's process: a
/// coordinator started again finds what was queued, running (with its lease) or finished.
extension CoordinatorStore {
    public struct DispatchedJob: Sendable, Equatable {
        public enum State: String, Sendable {
            case queued, running, finished, cancelled
        }

        public let id: Int64
        /// The served repository's name.
        public let repository: String
        public let runID: String
        public let job: String
        public let labels: [String]
        /// What the agent is given (a JobAssignment and what comes with it), as JSON.
        public let assignment: Data
        /// Where the coordinator keeps the job's log: the agent's chunks are written there.
        public let logPath: String
        public let state: State
        /// 0 until claimed; each claim is the next attempt.
        public let attempt: Int
        public let agent: String?
        /// The name of the agent token the attempt was claimed with.
        public let token: String?
        public let leaseExpires: Double?
        public let cancelRequested: Bool
        /// Bytes of the current attempt's log received so far.
        public let logSize: Int64
        /// The agent's JobResult, as JSON.
        public let result: Data?
        /// Why it finished without a result of an agent's (lost too often, cancelled).
        public let reason: String?

        init(row: Row) {
            id = row["id"]
            repository = row["repository"]
            runID = row["run_id"]
            job = row["job"]
            labels = (try? JSONDecoder().decode([String].self, from: Data((row["labels"] as String).utf8))) ?? []
            assignment = row["assignment"]
            logPath = row["log_path"]
            state = State(rawValue: row["state"]) ?? .finished
            attempt = row["attempt"]
            agent = row["agent"]
            token = row["token"]
            leaseExpires = row["lease_expires"]
            cancelRequested = (row["cancel_requested"] as Int) != 0
            logSize = row["log_size"]
            result = row["result"]
            reason = row["reason"]
        }

        public var isFinished: Bool { state == .finished || state == .cancelled }
    }

    /// What the holder of a job learns when it renews its lease.
    public enum LeaseCheck: Sendable, Equatable {
        case held(cancelRequested: Bool)
        /// Expired and given to another attempt, finished, or never this agent's.
        case lost
    }

    public struct AgentRecord: Sendable, Equatable {
        public struct RunningJob: Sendable, Equatable {
            public let repository: String
            public let runID: String
            public let job: String
        }

        public let name: String
        public let labels: [String]
        public let slots: Int
        public let lastSeen: Date
        public let running: [RunningJob]
    }

    static func registerDispatch(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE dispatched_jobs (
                    id INTEGER PRIMARY KEY, repository TEXT NOT NULL, run_id TEXT NOT NULL, job TEXT NOT NULL,
                    labels TEXT NOT NULL DEFAULT '[]', assignment BLOB NOT NULL, log_path TEXT NOT NULL,
                    state TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, agent TEXT, token TEXT,
                    lease_expires REAL, cancel_requested INTEGER NOT NULL DEFAULT 0,
                    log_size INTEGER NOT NULL DEFAULT 0, result BLOB, reason TEXT,
                    created REAL NOT NULL, claimed REAL, finished REAL,
                    UNIQUE (repository, run_id, job)
                );
                CREATE INDEX dispatched_jobs_by_state ON dispatched_jobs (state, id);
                CREATE TABLE agents (
                    name TEXT PRIMARY KEY, token TEXT NOT NULL, labels TEXT NOT NULL DEFAULT '[]',
                    slots INTEGER NOT NULL DEFAULT 1, last_seen REAL NOT NULL
                );
                """)
        }
    }

    // MARK: - The coordinator's side

    /// Queues `job` of the run, or returns the row a run of the same id queued before (a build
    /// the coordinator runs again after a restart finds its jobs where they were).
    public func enqueueJob(repository: String, runID: String, job: String, labels: [String], assignment: Data,
                           logPath: String, now: Double = Date().timeIntervalSince1970) throws(StoreError) -> DispatchedJob {
        let labelText = String(decoding: (try? JSONEncoder().encode(labels)) ?? Data("[]".utf8), as: UTF8.self)
        return try write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO dispatched_jobs (repository, run_id, job, labels, assignment, log_path, state, created)
                VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)
                """, arguments: [repository, runID, job, labelText, assignment, logPath, now])
            let row = try Row.fetchOne(db, sql: "SELECT * FROM dispatched_jobs WHERE repository = ? AND run_id = ? AND job = ?",
                                       arguments: [repository, runID, job])
            guard let row else { throw StoreError("the job '\(job)' of \(runID) was not queued") }
            return DispatchedJob(row: row)
        }
    }

    public func dispatchedJob(_ id: Int64) throws(StoreError) -> DispatchedJob? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM dispatched_jobs WHERE id = ?", arguments: [id]).map(DispatchedJob.init) }
    }

    /// Asks the job to stop. A job no agent holds yet ends cancelled at once; one that runs
    /// learns it at its next lease check. Returns the row as it is afterwards.
    @discardableResult
    public func requestJobCancel(_ id: Int64, reason: String, now: Double = Date().timeIntervalSince1970) throws(StoreError) -> DispatchedJob? {
        try write { db in
            try db.execute(sql: """
                UPDATE dispatched_jobs SET state = 'cancelled', finished = ?, reason = ? WHERE id = ? AND state = 'queued'
                """, arguments: [now, reason, id])
            try db.execute(sql: "UPDATE dispatched_jobs SET cancel_requested = 1 WHERE id = ? AND state = 'running'", arguments: [id])
            return try Row.fetchOne(db, sql: "SELECT * FROM dispatched_jobs WHERE id = ?", arguments: [id]).map(DispatchedJob.init)
        }
    }

    /// Leases that ran out: the job is queued again for another attempt, unless it has had
    /// `maxAttempts` or was asked to stop, when it ends (returned as `ended`).
    public func expireLeases(now: Double = Date().timeIntervalSince1970, maxAttempts: Int)
        throws(StoreError) -> (requeued: [DispatchedJob], ended: [DispatchedJob]) {
        try write { db in
            let expired = try Row.fetchAll(db, sql: "SELECT * FROM dispatched_jobs WHERE state = 'running' AND lease_expires < ?",
                                           arguments: [now]).map(DispatchedJob.init)
            var requeued: [DispatchedJob] = [], ended: [DispatchedJob] = []
            for job in expired {
                let agent = job.agent ?? "its agent"
                if job.cancelRequested {
                    try db.execute(sql: "UPDATE dispatched_jobs SET state = 'cancelled', finished = ?, reason = ? WHERE id = ?",
                                   arguments: [now, "cancelled; \(agent) stopped answering", job.id])
                    ended.append(job)
                } else if job.attempt >= maxAttempts {
                    try db.execute(sql: "UPDATE dispatched_jobs SET state = 'finished', finished = ?, reason = ? WHERE id = ?",
                                   arguments: [now, "lost its agent \(job.attempt) times (last: \(agent)); not tried again", job.id])
                    ended.append(job)
                } else {
                    try db.execute(sql: "UPDATE dispatched_jobs SET state = 'queued', agent = NULL, token = NULL, lease_expires = NULL WHERE id = ?",
                                   arguments: [job.id])
                    requeued.append(job)
                }
            }
            return (requeued, ended)
        }
    }

    /// Jobs held by agents whose token was revoked, or by `agent` (a coordinator's own slots,
    /// when it starts again), go back to the queue; the attempt they were is not counted again.
    public func releaseJobs(ofAgent agent: String? = nil) throws(StoreError) -> [DispatchedJob] {
        try write { db in
            var condition = "token IN (SELECT name FROM agent_tokens WHERE revoked IS NOT NULL)"
            var arguments: StatementArguments = []
            if let agent {
                condition = "agent = ?"
                arguments = [agent]
            }
            let released = try Row.fetchAll(db, sql: "SELECT * FROM dispatched_jobs WHERE state = 'running' AND \(condition)",
                                            arguments: arguments).map(DispatchedJob.init)
            for job in released {
                try db.execute(sql: """
                    UPDATE dispatched_jobs SET state = 'queued', agent = NULL, token = NULL, lease_expires = NULL,
                        attempt = MAX(0, attempt - 1) WHERE id = ?
                    """, arguments: [job.id])
            }
            return released
        }
    }

    // MARK: - The agents' side

    /// Gives the oldest queued job whose labels `labels` holds to `agent` (among `among` only,
    /// when given), as its next attempt, under a lease of `lease` seconds.
    public func claimJob(agent: String, token: String, labels: Set<String>, among: Set<Int64>? = nil, lease: Double,
                         now: Double = Date().timeIntervalSince1970) throws(StoreError) -> DispatchedJob? {
        try write { db in
            let queued = try Row.fetchCursor(db, sql: "SELECT id, labels FROM dispatched_jobs WHERE state = 'queued' ORDER BY id")
            var chosen: Int64?
            // Many queued jobs share a few label sets: each is read once per claim.
            var fits: [String: Bool] = ["[]": true]
            while let row = try queued.next() {
                let id: Int64 = row["id"]
                if let among, !among.contains(id) { continue }
                let text: String = row["labels"]
                let fit = fits[text] ?? {
                    let wanted = (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? ["?"]
                    let fit = wanted.allSatisfy(labels.contains)
                    fits[text] = fit
                    return fit
                }()
                if fit {
                    chosen = id
                    break
                }
            }
            guard let chosen else { return nil }
            try db.execute(sql: """
                UPDATE dispatched_jobs SET state = 'running', attempt = attempt + 1, agent = ?, token = ?, lease_expires = ?,
                    claimed = ?, log_size = 0, cancel_requested = 0 WHERE id = ?
                """, arguments: [agent, token, now + lease, now, chosen])
            return try Row.fetchOne(db, sql: "SELECT * FROM dispatched_jobs WHERE id = ?", arguments: [chosen]).map(DispatchedJob.init)
        }
    }

    /// Extends the lease of `agent`'s attempt, if it still holds it.
    public func renewLease(_ id: Int64, attempt: Int, agent: String, lease: Double,
                           now: Double = Date().timeIntervalSince1970) throws(StoreError) -> LeaseCheck {
        try write { db in
            try db.execute(sql: """
                UPDATE dispatched_jobs SET lease_expires = ? WHERE id = ? AND attempt = ? AND agent = ? AND state = 'running'
                """, arguments: [now + lease, id, attempt, agent])
            guard db.changesCount > 0 else { return .lost }
            let cancel = try Int.fetchOne(db, sql: "SELECT cancel_requested FROM dispatched_jobs WHERE id = ?", arguments: [id]) ?? 0
            return .held(cancelRequested: cancel != 0)
        }
    }

    public enum LogAppend: Sendable, Equatable {
        /// Written (or had already): the log's size now.
        case accepted(size: Int64)
        /// A chunk that would leave a gap: the size the next chunk must start at.
        case gap(expected: Int64)
        case lost
    }

    /// Adds `bytes`, which start at `offset` of the attempt's log. A chunk sent again (an agent
    /// that did not hear the answer) is taken once: only what lies past the log's end is
    /// written, by `write(skipping:, at:)`, inside the transaction that records the new size.
    public func appendLog(_ id: Int64, attempt: Int, agent: String, offset: Int64, count: Int64,
                          write appendBytes: (_ skipping: Int64, _ at: Int64) throws -> Void) throws(StoreError) -> LogAppend {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT log_size FROM dispatched_jobs WHERE id = ? AND attempt = ? AND agent = ? AND state = 'running'
                """, arguments: [id, attempt, agent]) else { return .lost }
            let size: Int64 = row["log_size"]
            guard offset <= size else { return .gap(expected: size) }
            guard offset + count > size else { return .accepted(size: size) }
            try appendBytes(size - offset, size)
            try db.execute(sql: "UPDATE dispatched_jobs SET log_size = ? WHERE id = ?", arguments: [offset + count, id])
            return .accepted(size: offset + count)
        }
    }

    /// Records `agent`'s result of its attempt; false when the attempt is no longer its own
    /// (its lease ran out and the job was queued again, or it finished already).
    public func finishJob(_ id: Int64, attempt: Int, agent: String, result: Data, cancelled: Bool,
                          now: Double = Date().timeIntervalSince1970) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE dispatched_jobs SET state = ?, result = ?, finished = ?, lease_expires = NULL
                WHERE id = ? AND attempt = ? AND agent = ? AND state = 'running'
                """, arguments: [cancelled ? "cancelled" : "finished", result, now, id, attempt, agent])
            return db.changesCount > 0
        }
    }

    /// What `agent` last said it is: its labels and job slots, and that it is alive.
    public func recordAgentContact(name: String, token: String, labels: [String], slots: Int,
                                   now: Double = Date().timeIntervalSince1970) throws(StoreError) {
        let labelText = String(decoding: (try? JSONEncoder().encode(labels)) ?? Data("[]".utf8), as: UTF8.self)
        try write { db in
            try db.execute(sql: """
                INSERT INTO agents (name, token, labels, slots, last_seen) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET token = excluded.token, labels = excluded.labels, slots = excluded.slots,
                    last_seen = excluded.last_seen
                """, arguments: [name, token, labelText, slots, now])
        }
    }

    /// Every agent seen, newest contact first, with the jobs it holds.
    public func agents() throws(StoreError) -> [AgentRecord] {
        try read { db in
            let running = try Row.fetchAll(db, sql: "SELECT agent, repository, run_id, job FROM dispatched_jobs WHERE state = 'running' ORDER BY id")
            var byAgent: [String: [AgentRecord.RunningJob]] = [:]
            for row in running {
                guard let agent = row["agent"] as String? else { continue }
                byAgent[agent, default: []].append(.init(repository: row["repository"], runID: row["run_id"], job: row["job"]))
            }
            return try Row.fetchAll(db, sql: "SELECT name, labels, slots, last_seen FROM agents ORDER BY last_seen DESC, name").map { row in
                let name: String = row["name"]
                let labels = (try? JSONDecoder().decode([String].self, from: Data((row["labels"] as String).utf8))) ?? []
                return AgentRecord(name: name, labels: labels, slots: row["slots"],
                                   lastSeen: Date(timeIntervalSince1970: row["last_seen"]), running: byAgent[name] ?? [])
            }
        }
    }
}
