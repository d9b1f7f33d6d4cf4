import Foundation
import GRDB

/// A passed run of a job that a later run with the same cache key may stand on.
public struct ReusableRun: Sendable, Hashable {
    public let cacheKey: String
    /// The commit whose run did the work: where a reused record's own `reused_from` points,
    /// so that a chain of reuses always leads to a run with a log.
    public let commit: String
    /// The commit whose record was found (the same, unless that record was itself reused).
    public let foundOn: String
    public let job: String
    /// What the run kept: a reused job hands these on to the jobs that depend on it.
    public var artifacts: [NoteRecord.Artifact] = []
}

extension ResultIndex {
    /// For each of `keys`, the newest passed (or reused) job result recorded with it, on any
    /// commit of any branch. Only a job's result counts (the record that supersedes its others
    /// on that commit, NoteRecord.supersedes): a key whose run passed and was then run again
    /// and failed on the same commit is not reusable there. One query for all keys.
    public func reusableRuns(forKeys keys: Set<String>) throws -> [String: ReusableRun] {
        guard !keys.isEmpty else { return [:] }
        let ordered = keys.sorted()
        let rows = try recovering {
            try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT commit_id, line FROM records WHERE kind = 'job' AND (commit_id, job) IN
                        (SELECT commit_id, job FROM records WHERE cache_key IN (\(databaseQuestionMarks(count: ordered.count))))
                    """, arguments: StatementArguments(ordered))
                    .map { (String($0["commit_id"] as String), String($0["line"] as String)) }
            }
        }
        let decoder = JSONDecoder()
        var newest: [String: (commit: String, record: NoteRecord)] = [:]
        for (commit, line) in rows {
            guard let record = try? decoder.decode(NoteRecord.self, from: Data(line.utf8)), let job = record.job else { continue }
            let slot = commit + "\n" + job
            if let current = newest[slot], !record.supersedes(current.record) { continue }
            newest[slot] = (commit, record)
        }
        var found: [String: (run: ReusableRun, finished: Double)] = [:]
        for (commit, record) in newest.values {
            guard let key = record.cacheKey, keys.contains(key), Self.reusableStatuses.contains(record.status),
                  let job = record.job else { continue }
            var run = ReusableRun(cacheKey: key, commit: record.reusedFrom ?? commit, foundOn: commit, job: job)
            run.artifacts = record.artifacts ?? []
            if let best = found[key], best.finished > record.finished
                || (best.finished == record.finished && best.run.foundOn > commit) { continue }
            found[key] = (run, record.finished)
        }
        return found.mapValues(\.run)
    }

    static let reusableStatuses: Set<String> = ["passed", "reused"]
}
