import Foundation
import Pipeline
import Runner
import Store

/// The `run --json` / `status --json` document of the command-line contract. Keys are never
/// renamed; absent values are written as null rather than left out.
struct RunDocument: Encodable {
    var commit: String?
    var status: String
    var pipeline: String?
    var branch: String?
    var tag: String?
    var logs: String?
    var jobs: [JobDocument]
    var errors: [ErrorDocument]?
    /// Why a build ended without results in the notes (`status`: superseded, failed to
    /// start, lost); left out otherwise.
    var reason: String?

    struct JobDocument: Encodable {
        var name: String
        var stage: String
        var status: String
        var exitCode: Int32?
        var durationMs: Int
        var node: String?
        var log: String?
        var reusedFrom: String?
        var cacheKey: String?
        var reason: String?
        var allowFailure: Bool
        var started: String?
        var matrix: [String: String]
        /// The commits its `repos:` entries were pinned to, by name; null without entries.
        var repos: [String: String]? = nil
        /// What it kept (`name`, `size`, `sha256`); null when nothing.
        var artifacts: [NoteRecord.Artifact]? = nil
        /// Its `junit:` reports' counts (`passed`, `failed`, `skipped`, `errors`); null without any.
        var tests: TestsDocument? = nil
        /// What went wrong without changing its status (an unreadable report); null when nothing.
        var warnings: [String]? = nil

        struct TestsDocument: Encodable {
            var passed: Int
            var failed: Int
            var skipped: Int
            var errors: Int

            init?(_ counts: NoteRecord.TestCounts?) {
                guard let counts else { return nil }
                (passed, failed, skipped, errors) = (counts.passed, counts.failed, counts.skipped ?? 0, counts.errors ?? 0)
            }
        }

        enum CodingKeys: String, CodingKey {
            case name, stage, status, exitCode = "exit_code", durationMs = "duration_ms", node, log
            case reusedFrom = "reused_from", cacheKey = "cache_key", reason, allowFailure = "allow_failure", started, matrix, repos, artifacts
            case tests, warnings
        }

        func encode(to encoder: any Encoder) throws {
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

    struct ErrorDocument: Encodable {
        var file: String
        var line: Int
        var column: Int
        var message: String

        init(file: String, line: Int, column: Int, message: String) {
            self.file = file
            self.line = line
            self.column = column
            self.message = message
        }

        /// Reads back `.gitci.yml:LINE:COL: message` as recorded in a note.
        init(diagnostic text: String) {
            let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if parts.count == 4, let line = Int(parts[1]), let column = Int(parts[2]) {
                self.init(file: String(parts[0]), line: line, column: column,
                          message: parts[3].trimmingCharacters(in: .whitespaces))
            } else {
                self.init(file: ".gitci.yml", line: 0, column: 0, message: text)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case commit, status, pipeline, branch, tag, logs, jobs, errors, reason
    }

    func encode(to encoder: any Encoder) throws {
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

    init(report: LocalRun.Report) {
        let formatter = ISO8601DateFormatter()
        commit = report.commit?.hex
        status = report.status.rawValue
        pipeline = report.runID
        branch = report.branch
        tag = report.tag
        logs = report.logDirectory
        jobs = report.jobs.map { job in
            JobDocument(name: job.name, stage: job.stage, status: job.status.rawValue, exitCode: job.exitCode,
                        durationMs: job.durationMs, node: job.started == nil ? nil : job.node, log: job.logPath,
                        reusedFrom: job.reusedFrom, cacheKey: job.cacheKey, reason: job.reason, allowFailure: job.allowFailure,
                        started: job.started.map(formatter.string(from:)),
                        matrix: Dictionary(job.matrix.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                        repos: job.repos.isEmpty ? nil : job.repos, artifacts: job.artifacts.isEmpty ? nil : job.artifacts,
                        tests: JobDocument.TestsDocument(job.tests), warnings: job.warnings.isEmpty ? nil : job.warnings)
        }
    }

    init(results: CommitResults) {
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
    mutating func overlay(_ live: LiveBuild) {
        status = live.build.state.rawValue
        pipeline = live.build.runID ?? pipeline
        // What this build is for, not what an earlier run of the commit was.
        branch = live.build.target.branch
        tag = live.build.target.tag
        for entry in live.jobs {
            let started = entry.started.map { Timestamp.format(Date(timeIntervalSince1970: $0)) }
            let elapsed = entry.started.map { Int((Date().timeIntervalSince1970 - $0) * 1000) } ?? 0
            if let index = jobs.firstIndex(where: { $0.name == entry.job }) {
                jobs[index].status = entry.status
                jobs[index].started = started
                if entry.status == "running" { jobs[index].durationMs = elapsed }
            } else {
                jobs.append(JobDocument(name: entry.job, stage: "", status: entry.status, exitCode: nil, durationMs: elapsed,
                                        node: nil, log: nil, reusedFrom: nil, cacheKey: nil, reason: nil, allowFailure: false,
                                        started: started, matrix: [:]))
            }
        }
    }

    init(configError: ConfigError, commit: String?) {
        self.commit = commit
        status = PipelineStatus.configError.rawValue
        jobs = []
        errors = configError.diagnostics.map {
            ErrorDocument(file: $0.file, line: $0.location.line, column: $0.location.column, message: $0.message)
        }
    }

    func print() {
        JSONOutput.print(self)
    }
}
