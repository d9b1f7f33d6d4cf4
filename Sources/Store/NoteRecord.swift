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
    /// The tag a tag build was started for (then `branch` is absent).
    public var tag: String?
    /// Which run of the commit this is: one more than the highest attempt its note held when
    /// the run was recorded (absent on records written before attempts: 1). What decides which
    /// record is a job's result (`supersedes`), before any clock.
    public var attempt: Int?
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
    /// What the job kept (`artifacts:`), by path in its workspace. Notes written before this
    /// format held plain names here: such a value reads as no artifacts (see the decoding below).
    public var artifacts: [Artifact]?
    /// What went wrong beside the steps without changing the job's status: a test report that
    /// could not be read, a `junit:` pattern that matched nothing.
    public var warnings: [String]?

    /// One stored artifact: its path relative to the job's workspace, its size in bytes, and the
    /// SHA-256 (hex) under which the state folder's artifact store keeps its content.
    public struct Artifact: Codable, Sendable, Hashable {
        public var name: String
        public var size: Int64
        public var sha256: String

        public init(name: String, size: Int64, sha256: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    public struct TestCounts: Codable, Sendable, Hashable {
        public var passed: Int
        public var failed: Int
        public var skipped: Int?
        /// Cases that ended in an error rather than a failed assertion (JUnit's `<error>`).
        public var errors: Int?

        public init(passed: Int, failed: Int, skipped: Int? = nil, errors: Int? = nil) {
            self.passed = passed
            self.failed = failed
            self.skipped = skipped
            self.errors = errors
        }
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, pipeline, job, stage, status, started, node, branch, tag, tree, config, matrix, reason, errors, log
        case repos, tests, artifacts, attempt, warnings
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

    /// When the run ended, by the clock of the machine that ran it.
    public var finished: Double {
        (Timestamp.parse(started) ?? 0) + Double(durationMs) / 1000
    }

    /// `attempt`, 1 when the record has none.
    public var runAttempt: Int { attempt ?? 1 }

    // MARK: - The result rule

    /// Whether this record, rather than `other`, is the result of their job (or, for pipeline
    /// records, of the commit's pipeline). The one rule every reader uses (CommitResults, and
    /// through it the index and `gitci reindex`), so that all of them agree:
    /// 1. the higher `attempt` wins: a later run of the commit, whatever the clocks say;
    /// 2. at the same attempt (two machines that ran the commit without each other's notes),
    ///    a run that finished its work beats a cancelled one;
    /// 3. then the one that finished last by its clock, then the greater run id, then the
    ///    greater line: a total order, so that the answer never depends on line order.
    public func supersedes(_ other: NoteRecord) -> Bool {
        if runAttempt != other.runAttempt { return runAttempt > other.runAttempt }
        let (cancelled, otherCancelled) = (status == Self.cancelled, other.status == Self.cancelled)
        if cancelled != otherCancelled { return otherCancelled }
        if finished != other.finished { return finished > other.finished }
        if pipeline != other.pipeline { return pipeline > other.pipeline }
        return line() > other.line()
    }

    static let cancelled = "cancelled"

    /// The record as one line of JSON (no newline inside: JSON escapes them).
    public func line() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and dictionaries of strings cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

// MARK: - Lenient artifacts

/// An element of `artifacts` that may not be an object (older notes held names): nil then.
private struct LenientArtifact: Decodable {
    let artifact: NoteRecord.Artifact?

    init(from decoder: any Decoder) throws {
        artifact = try? NoteRecord.Artifact(from: decoder)
    }
}

extension KeyedDecodingContainer where K == NoteRecord.CodingKeys {
    /// Chosen over the generic overload by NoteRecord's synthesized decoding: an `artifacts`
    /// value of another shape is dropped, never a reason to lose the whole record.
    func decodeIfPresent(_ type: [NoteRecord.Artifact].Type, forKey key: K) throws -> [NoteRecord.Artifact]? {
        guard let elements = try? decodeIfPresent([LenientArtifact].self, forKey: key) else { return nil }
        let artifacts = elements.compactMap(\.artifact)
        return artifacts.isEmpty ? nil : artifacts
    }
}
