import Foundation
import Pipeline
import Runner

/// The `run --json` / `status --json` document of the command-line contract. Keys are never
/// renamed; absent values are written as null rather than left out.
struct RunDocument: Encodable {
    var commit: String?
    var status: String
    var pipeline: String?
    var branch: String?
    var logs: String?
    var jobs: [JobDocument]
    var errors: [ErrorDocument]?

    struct JobDocument: Encodable {
        var name: String
        var stage: String
        var status: String
        var exitCode: Int32?
        var durationMs: Int
        var node: String?
        var log: String?
        var reusedFrom: String?
        var reason: String?
        var allowFailure: Bool
        var started: String?
        var matrix: [String: String]

        enum CodingKeys: String, CodingKey {
            case name, stage, status, exitCode = "exit_code", durationMs = "duration_ms", node, log
            case reusedFrom = "reused_from", reason, allowFailure = "allow_failure", started, matrix
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
            try container.encode(reason, forKey: .reason)
            try container.encode(allowFailure, forKey: .allowFailure)
            try container.encode(started, forKey: .started)
            try container.encode(matrix, forKey: .matrix)
        }
    }

    struct ErrorDocument: Encodable {
        var file: String
        var line: Int
        var column: Int
        var message: String
    }

    enum CodingKeys: String, CodingKey {
        case commit, status, pipeline, branch, logs, jobs, errors
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commit, forKey: .commit)
        try container.encode(status, forKey: .status)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(branch, forKey: .branch)
        try container.encode(logs, forKey: .logs)
        try container.encode(jobs, forKey: .jobs)
        try container.encodeIfPresent(errors, forKey: .errors)
    }

    init(report: LocalRun.Report) {
        let formatter = ISO8601DateFormatter()
        commit = report.commit?.hex
        status = report.status.rawValue
        pipeline = report.runID
        branch = report.branch
        logs = report.logDirectory
        jobs = report.jobs.map { job in
            JobDocument(name: job.name, stage: job.stage, status: job.status.rawValue, exitCode: job.exitCode,
                        durationMs: job.durationMs, node: job.started == nil ? nil : job.node, log: job.logPath,
                        reusedFrom: nil, reason: job.reason, allowFailure: job.allowFailure,
                        started: job.started.map(formatter.string(from:)),
                        matrix: Dictionary(job.matrix.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }))
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        Output.write(data + Data("\n".utf8), to: .standardOutput)
    }
}
