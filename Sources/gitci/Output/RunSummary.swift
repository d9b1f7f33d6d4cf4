import Foundation
import Runner

/// The table printed after a run: every job, its status, how long it took, and where its log is
/// (or why it did not run).
enum RunSummary {
    static func render(_ report: LocalRun.Report, terminal: Terminal) -> String {
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
        }
        if report.jobs.contains(where: { $0.status == .failed && $0.allowFailure }) {
            lines.append(terminal.paint("* allowed to fail", .gray))
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
}
