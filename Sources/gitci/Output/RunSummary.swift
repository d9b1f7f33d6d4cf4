import Foundation
import Runner

/// The table printed after a run: every job, its status, how long it took, and where its log is
/// (or why it did not run).
enum RunSummary {
    /// `tail`: how many of a failing step's last lines are shown under the table (0: none).
    static func render(_ report: LocalRun.Report, terminal: Terminal, tail: Int = 30) -> String {
        let nameWidth = min(48, max(4, report.jobs.map(\.name.count).max() ?? 0))
        var lines: [String] = [""]
        lines.append(terminal.paint("JOB".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            + "  STATUS     TIME     DETAIL", .bold))
        for job in report.jobs {
            let name = job.name.count > nameWidth ? String(job.name.prefix(nameWidth - 1)) + "…"
                : job.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let status = (job.status.rawValue + (job.status == .failed && job.allowFailure ? "*" : ""))
                .padding(toLength: 10, withPad: " ", startingAt: 0)
            let time = (job.started == nil ? "-" : Duration.format(milliseconds: job.durationMs))
                .padding(toLength: 8, withPad: " ", startingAt: 0)
            var detail = job.reason ?? ""
            if job.status == .failed || job.status == .passed, let log = job.logPath {
                detail = detail.isEmpty ? log : "\(detail); log: \(log)"
            }
            lines.append("\(name)  \(terminal.paint(status, job.status.color)) \(time) \(detail)")
            if let repos = PinnedReposText.line(job.repos) { lines.append("  " + repos) }
            if let tests = TestCountsText.line(job.tests) { lines.append("  " + tests) }
            for warning in job.warnings { lines.append("  warning: " + warning) }
        }
        if report.jobs.contains(where: { $0.status == .failed && $0.allowFailure }) {
            lines.append(terminal.paint("* allowed to fail", .gray))
        }
        for job in report.jobs where job.status == .failed {
            lines += failingStep(of: job, tail: tail, terminal: terminal)
        }
        let total = report.jobs.count
        // A reused job's result is a pass, earlier.
        let reused = report.jobs.filter { $0.status == .reused }.count
        let passed = report.jobs.filter { $0.status == .passed }.count + reused
        let commit = report.commit.map { " at \($0.short)" } ?? ""
        lines.append("")
        lines.append("pipeline \(terminal.paint(report.status.rawValue, report.status.color))\(commit): \(passed) of \(total) jobs passed"
            + (reused > 0 ? " (\(reused) reused)" : ""))
        lines.append("logs: \(report.logDirectory)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The step that failed `job` and the last lines of its output, so that a failure can be
    /// read without opening the log.
    static func failingStep(of job: JobResult, tail: Int, terminal: Terminal) -> [String] {
        guard tail > 0, let step = job.failedStep, let log = job.logPath,
              let output = JobLogSections.tail(ofStep: step.index, logPath: log, count: tail) else { return [] }
        var lines = ["", terminal.paint("\(job.name): step \(step.index) '\(step.name)' failed; its last \(output.count) lines:", .bold)]
        lines += output.map { "  " + $0 }
        return lines
    }
}
