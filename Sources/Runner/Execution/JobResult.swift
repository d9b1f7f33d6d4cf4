public import Foundation
public import Pipeline
public import Store

/// Where a job stands, with the spellings of the JSON and notes contracts.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, passed, failed, skipped, reused, cancelled

    public var isFinished: Bool { ![.queued, .running].contains(self) }
}

/// The status of a whole pipeline run for one commit.
public enum PipelineStatus: String, Sendable, Codable {
    case queued, running, passed, failed, cancelled
    case configError = "config-error"
    case none
}

/// A step that failed its job: its place (from 1) and name, which the log's step headers show.
public struct FailedStep: Sendable, Hashable, Codable {
    public var index: Int
    public var name: String
}

/// What became of one job. The same whoever ran it: `gitci run`, a worker or an agent; Codable,
/// so that an agent can send it to the coordinator.
public struct JobResult: Sendable, Codable {
    public var name: String
    public var stage: String
    public var status: JobStatus
    /// The failing step's exit status (128 + signal when killed), or the last step's; nil when
    /// no step ran.
    public var exitCode: Int32?
    public var started: Date?
    public var durationMs: Int
    public var logPath: String?
    /// Why it was skipped, cancelled or failed without an exit status of its own.
    public var reason: String?
    public var allowFailure: Bool
    public var node: String
    public var matrix: [EnvironmentVariable]
    /// The commit of the earlier passed run whose result a `reused` job stands on.
    public var reusedFrom: String?
    /// The job's cache key (CacheKey), when it has one: what a later run looks up to reuse it.
    public var cacheKey: String?
    /// The commits its `repos:` entries were pinned to, by entry name.
    public var repos: [String: String] = [:]
    /// A `changes:` job skipped because nothing it watches changed since this commit: it
    /// counts as passed for `needs` and stages, unlike other skipped jobs.
    public var unchangedSince: String?
    /// The step that failed the job, when one did.
    public var failedStep: FailedStep?
    /// What it kept of its `artifacts:`, in the artifact store.
    public var artifacts: [NoteRecord.Artifact] = []
    /// The cases its `junit:` reports held, and their counts (nil without any case).
    public var testCases: [TestCase] = []
    public var tests: NoteRecord.TestCounts?
    /// What went wrong without changing its status (a report that could not be read).
    public var warnings: [String] = []

    public init(name: String, stage: String, status: JobStatus, exitCode: Int32? = nil, started: Date? = nil,
                durationMs: Int = 0, logPath: String? = nil, reason: String? = nil, allowFailure: Bool = false,
                node: String = "", matrix: [EnvironmentVariable] = []) {
        self.name = name
        self.stage = stage
        self.status = status
        self.exitCode = exitCode
        self.started = started
        self.durationMs = durationMs
        self.logPath = logPath
        self.reason = reason
        self.allowFailure = allowFailure
        self.node = node
        self.matrix = matrix
    }

    /// A failure that stops what depends on it (an allowed failure does not).
    public var isBlockingFailure: Bool {
        status == .failed && !allowFailure
    }
}

extension PipelineStatus {
    /// The pipeline's status from its finished jobs: failed if a job failed that was not allowed
    /// to, cancelled if the run was stopped, passed otherwise.
    public init(finished results: [JobResult]) {
        if results.contains(where: \.isBlockingFailure) {
            self = .failed
        } else if results.contains(where: { $0.status == .cancelled }) {
            self = .cancelled
        } else {
            self = .passed
        }
    }
}
