import GRDB

/// What a running build tells the queue as it goes: the status of a job (for `gitci status`),
/// a process group its steps run in (for the worker that replaces a killed one to stop).
public enum BuildProgress: Sendable, Hashable {
    case jobStatus(job: String, status: String, started: Double?)
    case processGroup(Int32)
}

extension BuildQueue {
    /// Writes `progress` of build `buildID`, in order, in one transaction: a 1,000-job build
    /// reports thousands of these, and a transaction each is a large part of its cost per job.
    /// Best effort: what cannot be written is only a live view (the build's end is recorded
    /// apart from it, by `finish`).
    public func record(_ progress: [BuildProgress], of buildID: Int64) {
        guard !progress.isEmpty else { return }
        _ = try? pool.write { db in
            let status = try db.cachedStatement(sql: "INSERT OR REPLACE INTO build_jobs (build_id, job, status, started) VALUES (?, ?, ?, ?)")
            let group = try db.cachedStatement(sql: "INSERT OR IGNORE INTO process_groups (build_id, pgid) VALUES (?, ?)")
            for item in progress {
                switch item {
                case .jobStatus(let job, let state, let started): try status.execute(arguments: [buildID, job, state, started])
                case .processGroup(let pgid): try group.execute(arguments: [buildID, pgid])
                }
            }
        }
    }
}
