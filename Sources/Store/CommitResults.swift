/// What the notes say about one commit: the result of every job, and the overall status.
public struct CommitResults: Sendable {
    public let commit: String
    /// The result of each job (NoteRecord.supersedes), in the order the jobs first appeared.
    public let jobs: [NoteRecord]
    /// The pipeline record that supersedes the others, if any.
    public let pipeline: NoteRecord?
    public let status: String
    /// Every record read, newest or not.
    public let allRecords: [NoteRecord]

    public static let none = "none"

    /// Readers never rely on line order (notes merged with `cat_sort_uniq` come back sorted):
    /// a job's result is the record that supersedes its others (NoteRecord.supersedes).
    public init(commit: String, records: [NoteRecord]) {
        self.commit = commit
        self.allRecords = records
        var newest: [String: NoteRecord] = [:]
        var order: [String] = []
        var pipeline: NoteRecord?
        for record in records {
            if record.kind == .pipeline {
                if pipeline.map({ record.supersedes($0) }) ?? true { pipeline = record }
                continue
            }
            guard let name = record.job else { continue }
            if let current = newest[name] {
                if record.supersedes(current) { newest[name] = record }
            } else {
                newest[name] = record
                order.append(name)
            }
        }
        self.jobs = order.compactMap { newest[$0] }
        self.pipeline = pipeline
        self.status = Self.overallStatus(jobs: jobs, pipeline: pipeline)
    }

    /// The attempt a new run of the commit records: one more than any its note holds.
    public var nextAttempt: Int {
        (allRecords.map(\.runAttempt).max() ?? 0) + 1
    }

    /// Failed when a job that may not fail failed; a configuration error when the newest run
    /// could not even be planned (no job's result supersedes it); cancelled when a job was
    /// stopped; passed otherwise.
    static func overallStatus(jobs: [NoteRecord], pipeline: NoteRecord?) -> String {
        if let pipeline, pipeline.status == "config-error", !jobs.contains(where: { $0.supersedes(pipeline) }) {
            return "config-error"
        }
        if jobs.isEmpty { return pipeline?.status ?? none }
        if jobs.contains(where: { $0.status == "failed" && $0.allowFailure != true }) { return "failed" }
        if jobs.contains(where: { $0.status == NoteRecord.cancelled }) { return "cancelled" }
        if let unknown = jobs.first(where: { !["passed", "failed", "skipped", "reused"].contains($0.status) }) {
            return unknown.status
        }
        return "passed"
    }
}

/// A commit's overall result, as the index keeps it for history listings.
public struct CommitSummary: Sendable, Hashable {
    public let status: String
    /// When its newest record finished (seconds since 1970).
    public let finished: Double
}

extension CommitResults {
    /// Results read straight from a note's text (lines that are not records are skipped).
    public init(commit: String, text: String) {
        self.init(commit: commit, records: NoteLines.parse(text, commit: commit).records)
    }

    /// The pipeline record of run `runID`, whether or not it is the newest.
    public func pipelineRecord(runID: String) -> NoteRecord? {
        allRecords.first { $0.kind == .pipeline && $0.pipeline == runID }
    }
}
