import Foundation

/// The `run --json` / `status --json` document of the command-line contract, and what the JSON
/// API serves for a commit: one document, two transports. Keys are never
/// renamed; absent values are written as null rather than left out.
public struct RunDocument: Encodable, Sendable {
    public var commit: String?
    public var status: String
    public var pipeline: String?
    public var branch: String?
    public var tag: String?
    public var logs: String?
    public var jobs: [JobDocument]
    public var errors: [ErrorDocument]?
    /// Why a build ended without results in the notes (`status`: superseded, failed to
    /// start, lost), or why the queued or running build was asked for when it says (`gitci
    /// rerun`, a trigger, a schedule); left out otherwise.
    public var reason: String?

    public struct JobDocument: Encodable, Sendable {
        public var name: String
        public var stage: String
        public var status: String
        public var exitCode: Int32?
        public var durationMs: Int
        public var node: String?
        public var log: String?
        public var reusedFrom: String?
        public var cacheKey: String?
        public var reason: String?
        public var allowFailure: Bool
        public var started: String?
        public var matrix: [String: String]
        /// The commits its `repos:` entries were pinned to, by name; null without entries.
        public var repos: [String: String]? = nil
        /// What it kept (`name`, `size`, `sha256`); null when nothing.
        public var artifacts: [NoteRecord.Artifact]? = nil
        /// Its `junit:` reports' counts (`passed`, `failed`, `skipped`, `errors`); null without any.
        public var tests: TestsDocument? = nil
        /// What went wrong without changing its status (an unreadable report); null when nothing.
        public var warnings: [String]? = nil

        public struct TestsDocument: Encodable, Sendable {
            public var passed: Int
            public var failed: Int
            public var skipped: Int
            public var errors: Int

            public init?(_ counts: NoteRecord.TestCounts?) {
                guard let counts else { return nil }
                (passed, failed, skipped, errors) = (counts.passed, counts.failed, counts.skipped ?? 0, counts.errors ?? 0)
            }
        }

        public init(name: String, stage: String, status: String, exitCode: Int32?, durationMs: Int, node: String?, log: String?,
                    reusedFrom: String?, cacheKey: String?, reason: String?, allowFailure: Bool, started: String?,
                    matrix: [String: String], repos: [String: String]? = nil, artifacts: [NoteRecord.Artifact]? = nil,
                    tests: TestsDocument? = nil, warnings: [String]? = nil) {
            self.name = name
            self.stage = stage
            self.status = status
            self.exitCode = exitCode
            self.durationMs = durationMs
            self.node = node
            self.log = log
            self.reusedFrom = reusedFrom
            self.cacheKey = cacheKey
            self.reason = reason
            self.allowFailure = allowFailure
            self.started = started
            self.matrix = matrix
            self.repos = repos
            self.artifacts = artifacts
            self.tests = tests
            self.warnings = warnings
        }

        enum CodingKeys: String, CodingKey {
            case name, stage, status, exitCode = "exit_code", durationMs = "duration_ms", node, log
            case reusedFrom = "reused_from", cacheKey = "cache_key", reason, allowFailure = "allow_failure", started, matrix, repos, artifacts
            case tests, warnings
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(stage, forKey: .stage)
            try container.encode(status, forKey: .status)
            try container.encode(exitCode, forKey: .exitCode)
            try container.encode(durationMs, forKey: .durationMs)
            try container.encode(node, forKey: .node)
            try container.encode(log, forKey: .log)
            try container.encode(reusedFrom, forKey: .reusedFrom)
            try container.encode(cacheKey, forKey: .cacheKey)
            try container.encode(reason, forKey: .reason)
            try container.encode(allowFailure, forKey: .allowFailure)
            try container.encode(started, forKey: .started)
            try container.encode(matrix, forKey: .matrix)
            try container.encode(repos, forKey: .repos)
            try container.encode(artifacts, forKey: .artifacts)
            try container.encode(tests, forKey: .tests)
            try container.encode(warnings, forKey: .warnings)
        }
    }

    public struct ErrorDocument: Encodable, Sendable {
        public var file: String
        public var line: Int
        public var column: Int
        public var message: String

        public init(file: String, line: Int, column: Int, message: String) {
            self.file = file
            self.line = line
            self.column = column
            self.message = message
        }

        /// Reads back `.gitci.yml:LINE:COL: message` as recorded in a note.
        public init(diagnostic text: String) {
            let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if parts.count == 4, let line = Int(parts[1]), let column = Int(parts[2]) {
                self.init(file: String(parts[0]), line: line, column: column,
                          message: parts[3].trimmingCharacters(in: .whitespaces))
            } else {
                self.init(file: ".gitci.yml", line: 0, column: 0, message: text)
            }
        }
    }

    public init(commit: String?, status: String, jobs: [JobDocument]) {
        self.commit = commit
        self.status = status
        self.jobs = jobs
    }

    enum CodingKeys: String, CodingKey {
        case commit, status, pipeline, branch, tag, logs, jobs, errors, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commit, forKey: .commit)
        try container.encode(status, forKey: .status)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(branch, forKey: .branch)
        try container.encode(tag, forKey: .tag)
        try container.encode(logs, forKey: .logs)
        try container.encode(jobs, forKey: .jobs)
        try container.encodeIfPresent(errors, forKey: .errors)
        try container.encodeIfPresent(reason, forKey: .reason)
    }

    public init(results: CommitResults) {
        commit = results.commit
        status = results.status
        pipeline = results.pipeline?.pipeline
        branch = results.pipeline?.branch
        tag = results.pipeline?.tag
        jobs = results.jobs.map { job in
            JobDocument(name: job.job ?? "", stage: job.stage ?? "", status: job.status, exitCode: job.exitCode,
                        durationMs: job.durationMs, node: job.node, log: job.log, reusedFrom: job.reusedFrom,
                        cacheKey: job.cacheKey, reason: job.reason, allowFailure: job.allowFailure ?? false, started: job.started,
                        matrix: job.matrix ?? [:], repos: job.repos, artifacts: job.artifacts,
                        tests: JobDocument.TestsDocument(job.tests), warnings: job.warnings)
        }
        if results.status == "config-error" {
            errors = (results.pipeline?.errors ?? []).map(ErrorDocument.init(diagnostic:))
        }
    }

    /// A queued or running build: its status, and its jobs' live statuses over recorded ones.
    public mutating func overlay(_ live: LiveBuild) {
        status = live.build.state.rawValue
        pipeline = live.build.runID ?? pipeline
        // What this build is for, not what an earlier run of the commit was.
        branch = live.branch
        tag = live.tag
        for entry in live.jobs {
            let started = entry.started.map { Timestamp.format(Date(timeIntervalSince1970: $0)) }
            let elapsed = entry.started.map { Int((Date().timeIntervalSince1970 - $0) * 1000) } ?? 0
            if let index = jobs.firstIndex(where: { $0.name == entry.job }) {
                jobs[index].status = entry.status
                jobs[index].started = started
                if entry.status == "running" { jobs[index].durationMs = elapsed }
                if let detail = live.details[entry.job] { jobs[index].reason = detail }
            } else {
                jobs.append(JobDocument(name: entry.job, stage: "", status: entry.status, exitCode: nil, durationMs: elapsed,
                                        node: nil, log: nil, reusedFrom: nil, cacheKey: nil, reason: nil, allowFailure: false,
                                        started: started, matrix: [:]))
                if let detail = live.details[entry.job] { jobs[jobs.count - 1].reason = detail }
            }
        }
    }
}

/// A build of the commit that is queued or running, with its jobs as far as they got.
public struct LiveBuild: Sendable {
    public let build: Build
    public let jobs: [(job: String, status: String, started: Double?)]
    /// What the build is for: its branch, or its tag for a tag build.
    public let branch: String?
    public let tag: String?
    /// Why a job has not started (it waits for a build agent), by job.
    public let details: [String: String]

    public init(build: Build, jobs: [(job: String, status: String, started: Double?)], branch: String?, tag: String?,
                details: [String: String] = [:]) {
        self.build = build
        self.jobs = jobs
        self.branch = branch
        self.tag = tag
        self.details = details
    }
}
