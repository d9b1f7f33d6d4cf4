import Foundation
import Pipeline
import Runner
import Store

/// The document of a run this process made, and of a pipeline that could not be planned.
extension RunDocument {
    init(report: LocalRun.Report) {
        self.init(commit: report.commit?.hex, status: report.status.rawValue, jobs: [])
        let formatter = ISO8601DateFormatter()
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

    init(configError: ConfigError, commit: String?) {
        self.init(commit: commit, status: PipelineStatus.configError.rawValue, jobs: [])
        errors = configError.diagnostics.map {
            ErrorDocument(file: $0.file, line: $0.location.line, column: $0.location.column, message: $0.message)
        }
    }

    func print() {
        JSONOutput.print(self)
    }
}
