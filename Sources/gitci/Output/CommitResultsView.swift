import Foundation
import Runner
import Store

/// `gitci status` for people: the commit, its overall result, then one line per job.
enum CommitResultsView {
    static func render(_ results: CommitResults, subject: String?, terminal: Terminal, building: Bool = false,
                       now: Date = Date()) -> String {
        var lines: [String] = []
        let short = String(results.commit.prefix(10))
        lines.append(terminal.paint(short, .yellow) + (subject.map { " \($0)" } ?? ""))
        guard results.status != CommitResults.none else {
            if building { return lines.joined(separator: "\n") + "\n" }
            lines.append("no results recorded (run `gitci run --record`, or fetch them: `gitci sync`)")
            return lines.joined(separator: "\n") + "\n"
        }
        var headline = "pipeline " + terminal.paint(results.status, StatusColor.of(results.status))
        if let pipeline = results.pipeline {
            if let branch = pipeline.branch { headline += " on \(branch)" }
            if let tag = pipeline.tag { headline += " on tag \(tag)" }
            if let started = Timestamp.parse(pipeline.started) {
                headline += ", \(RelativeTime.describe(since: started, now: now))"
            }
            if let node = pipeline.node { headline += " by \(node)" }
        }
        lines.append(headline)
        for error in results.pipeline?.errors ?? [] where results.status == "config-error" {
            lines.append("  " + error)
        }
        let width = min(48, max(4, results.jobs.compactMap { $0.job?.count }.max() ?? 0))
        for job in results.jobs {
            let name = (job.job ?? "").padding(toLength: width, withPad: " ", startingAt: 0)
            let status = (job.status + (job.status == "failed" && job.allowFailure == true ? "*" : ""))
                .padding(toLength: 10, withPad: " ", startingAt: 0)
            let time = Duration.format(milliseconds: job.durationMs).padding(toLength: 8, withPad: " ", startingAt: 0)
            var detail = [job.node, Timestamp.parse(job.started).map { RelativeTime.describe(since: $0, now: now) }]
                .compactMap { $0 }.joined(separator: ", ")
            if let reason = job.reason, job.status != "passed" { detail += (detail.isEmpty ? "" : "; ") + reason }
            if let reused = job.reusedFrom, job.reason == nil { detail += (detail.isEmpty ? "" : "; ") + "reused from \(reused.prefix(10))" }
            lines.append("  \(name)  \(terminal.paint(status, StatusColor.of(job.status))) \(time) \(detail)")
            if let repos = PinnedReposText.line(job.repos) { lines.append("    " + repos) }
            if let tests = TestCountsText.line(job.tests) { lines.append("    " + tests) }
            for warning in job.warnings ?? [] { lines.append("    warning: " + warning) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension CommitResultsView {
    static func render(_ live: LiveBuild, terminal: Terminal, now: Date = Date()) -> String {
        let build = live.build
        let since = build.started ?? build.created
        let elapsed = Duration.format(milliseconds: Int((now.timeIntervalSince1970 - since) * 1000))
        var lines = ["build \(build.id) " + terminal.paint(build.state.rawValue, StatusColor.of(build.state.rawValue))
            + " for \(elapsed)" + (build.target.branch.map { " on \($0)" } ?? build.target.tag.map { " on tag \($0)" } ?? "")
            + (build.reason.map { ": \($0)" } ?? "")]
        for job in live.jobs {
            let time = job.started.map { Duration.format(milliseconds: Int((now.timeIntervalSince1970 - $0) * 1000)) } ?? "-"
            let waiting = live.details[job.job].map { "  (\($0))" } ?? ""
            lines.append("  \(job.job)  \(terminal.paint(job.status, StatusColor.of(job.status))) \(job.status == "running" ? time : "")\(waiting)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Colours for statuses read back from notes, where they are text.
enum StatusColor {
    static func of(_ status: String) -> Terminal.Color {
        switch status {
        case "passed", "reused": return .green
        case "failed", "config-error": return .red
        case "running": return .blue
        default: return .gray
        }
    }
}
