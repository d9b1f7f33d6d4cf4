/// What the notes say about one commit: the newest record of every job, and the overall status.
public struct CommitResults: Sendable {
    public let commit: String
    /// The newest record per job, in the order the jobs first appeared.
    public let jobs: [NoteRecord]
    /// The newest pipeline record, if any.
    public let pipeline: NoteRecord?
    public let status: String
    /// Every record read, newest or not.
    public let allRecords: [NoteRecord]

    public static let none = "none"

    /// Readers never rely on line order (notes merged with `cat_sort_uniq` come back sorted):
    /// "newest" is the record that finished last, ties broken by run id.
    public init(commit: String, records: [NoteRecord]) {
        self.commit = commit
        self.allRecords = records
        var newest: [String: NoteRecord] = [:]
        var order: [String] = []
        var pipeline: NoteRecord?
        for record in records {
            if record.kind == .pipeline {
                if pipeline.map({ Self.isNewer(record, than: $0) }) ?? true { pipeline = record }
                continue
            }
            guard let name = record.job else { continue }
            if let current = newest[name] {
                if Self.isNewer(record, than: current) { newest[name] = record }
            } else {
                newest[name] = record
                order.append(name)
            }
        }
        self.jobs = order.compactMap { newest[$0] }
        self.pipeline = pipeline
        self.status = Self.overallStatus(jobs: jobs, pipeline: pipeline)
    }

    static func isNewer(_ candidate: NoteRecord, than current: NoteRecord) -> Bool {
        let (a, b) = (candidate.finished, current.finished)
        if a != b { return a > b }
        if candidate.pipeline != current.pipeline { return candidate.pipeline > current.pipeline }
        return candidate.line() > current.line()
    }

    /// Failed when a job that may not fail failed; a configuration error when the newest run
    /// could not even be planned; cancelled when a job was stopped; passed otherwise.
    static func overallStatus(jobs: [NoteRecord], pipeline: NoteRecord?) -> String {
        if let pipeline, pipeline.status == "config-error",
           jobs.allSatisfy({ $0.finished <= pipeline.finished }) {
            return "config-error"
        }
        if jobs.isEmpty { return pipeline?.status ?? none }
        if jobs.contains(where: { $0.status == "failed" && $0.allowFailure != true }) { return "failed" }
        if jobs.contains(where: { $0.status == "cancelled" }) { return "cancelled" }
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
