public import Foundation

/// One line of a `refs/notes/gitci` note: a finished job run, or a finished pipeline run.
///
/// The note format is a contract (DESIGN.md, "Results in git"): one self-contained JSON object
/// per line, so that `git notes merge -s cat_sort_uniq` of two servers' notes stays valid, and
/// readers take the newest record per job instead of trusting line order. Keys are only ever
/// added; a reader ignores keys it does not know.
public struct NoteRecord: Codable, Sendable, Hashable {
    public static let currentVersion = 1

    public enum Kind: String, Codable, Sendable {
        case job, pipeline
    }

    public var v: Int
    public var kind: Kind
    /// The pipeline run this record belongs to (a run id, unique per run).
    public var pipeline: String
    /// The job's planned name (`test (python=3.12)`); nil on pipeline records.
    public var job: String?
    public var stage: String?
    /// `passed`, `failed`, `skipped`, `reused`, `cancelled`, `config-error`, or a status a newer
    /// gitci wrote; kept as text so that such a status is still shown.
    public var status: String
    /// When the run started, ISO 8601 in UTC with milliseconds (readable in `git log --notes`).
    public var started: String
    public var durationMs: Int
    public var exitCode: Int32?
    public var node: String?
    public var branch: String?
    /// The built commit's tree and the blob id of the `.gitci.yml` that was run.
    public var tree: String?
    public var config: String?
    public var matrix: [String: String]?
    public var allowFailure: Bool?
    /// Why a job was skipped, cancelled or failed; the messages of a config error.
    public var reason: String?
    public var errors: [String]?
    /// Where the job's log was written on `node`.
    public var log: String?
    // Filled by later capabilities; part of the format now so that readers keep them.
    public var repos: [String: String]?
    public var cacheKey: String?
    public var reusedFrom: String?
    public var tests: TestCounts?
    public var artifacts: [String]?

    public struct TestCounts: Codable, Sendable, Hashable {
        public var passed: Int
        public var failed: Int
        public var skipped: Int?

        public init(passed: Int, failed: Int, skipped: Int? = nil) {
            self.passed = passed
            self.failed = failed
            self.skipped = skipped
        }
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, pipeline, job, stage, status, started, node, branch, tree, config, matrix, reason, errors, log
        case repos, tests, artifacts
        case durationMs = "duration_ms"
        case exitCode = "exit_code"
        case allowFailure = "allow_failure"
        case cacheKey = "cache_key"
        case reusedFrom = "reused_from"
    }

    public init(kind: Kind, pipeline: String, job: String? = nil, status: String, started: Date, durationMs: Int) {
        self.v = Self.currentVersion
        self.kind = kind
        self.pipeline = pipeline
        self.job = job
        self.status = status
        self.started = Timestamp.format(started)
        self.durationMs = durationMs
    }

    /// When the run ended: what "newest" means when records of one job compete.
    public var finished: Double {
        (Timestamp.parse(started) ?? 0) + Double(durationMs) / 1000
    }

    /// The record as one line of JSON (no newline inside: JSON escapes them).
    public func line() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and dictionaries of strings cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
