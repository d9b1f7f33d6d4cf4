import Foundation
import GitKit
import Store
import Worker

/// `/repos/NAME`: the plan branches, active first and retired folded, each with its last
/// result, when it ended, how long it took and its last 20 results; filtered by `?q=`.
struct RepositoryPage: Encodable, ChromedPage {
    struct PlanRow: Encodable {
        let branch: String
        let state: String
        let status: String
        let commit: String?
        let finished: String?
        let durationMs: Int?
        let recent: [String]
        let href: String
        let short: String?
        let commitHref: String?
        let when: String
        let duration: String
        let label: StatusLabel
        let sparkline: String
        enum CodingKeys: String, CodingKey { case branch, state, status, commit, finished, durationMs = "duration_ms", recent }
    }

    let name: String
    let query: String
    let active: [PlanRow]
    let retired: [PlanRow]
    let retiredCount: Int
    let hasActive: Bool
    let hasRetired: Bool
    let defaultBranch: String?
    let defaultBranchHref: String?
    let badge: String?
    let testsHref: String
    let href: String
    let jsonHref: String
    var chrome: WebChrome?
    enum CodingKeys: String, CodingKey { case name, query, active, retired, defaultBranch = "default_branch" }

    /// How many of each branch's builds the sparkline shows.
    static let recentCount = 20

    init(_ opened: OpenedRepository, query: String, now: Date = Date()) {
        let plans = (try? opened.queue?.plans()) ?? []
        let latest = (try? opened.queue?.latestBuilds()) ?? [:]
        let recent = (try? opened.queue?.recentBuilds(perBranch: Self.recentCount)) ?? [:]
        let needle = query.trimmingCharacters(in: .whitespaces).lowercased()
        let shown = needle.isEmpty ? plans : plans.filter { $0.branch.lowercased().contains(needle) }
        let entries = PlanStatus.entries(shown, latest: latest, index: opened.index)
        var rows: [PlanRow] = []
        for (plan, entry) in zip(shown, entries) {
            let builds = recent[plan.branch] ?? []
            let last = latest[plan.branch]
            let ended = last?.finished
            let duration = last.flatMap { build in build.finished.flatMap { end in build.started.map { Int((end - $0) * 1000) } } }
            let status = entry.last?.status ?? CommitResults.none
            let points = builds.reversed().map { build in
                WebGraphics.SparkPoint(status: build.state == .finished ? (build.result ?? "none") : build.state.rawValue,
                                       title: "\(build.commit.prefix(10)) \(build.result ?? build.state.rawValue)",
                                       href: WebPath.commit(opened.name, build.commit))
            }
            rows.append(PlanRow(
                branch: plan.branch, state: plan.state.rawValue, status: status, commit: entry.last?.commit,
                finished: ended.map { Timestamp.format(Date(timeIntervalSince1970: $0)) }, durationMs: duration,
                recent: points.map(\.status), href: WebPath.branch(opened.name, plan.branch),
                short: entry.last.map { String($0.commit.prefix(10)) }, commitHref: entry.last.map { WebPath.commit(opened.name, $0.commit) },
                when: ended.map { RelativeTime.describe(since: $0, now: now) } ?? (last?.state == .running ? "running" : "–"),
                duration: duration.map { DurationText.format(milliseconds: $0) } ?? "–", label: StatusLabel(status),
                sparkline: WebGraphics.sparkline(points)))
        }
        name = opened.name
        self.query = query
        active = rows.filter { $0.state == PlanBranch.State.active.rawValue }
        retired = rows.filter { $0.state != PlanBranch.State.active.rawValue }
        retiredCount = retired.count
        hasActive = !active.isEmpty
        hasRetired = !retired.isEmpty
        let head = opened.repository.defaultBranch
        defaultBranch = head?.name
        defaultBranchHref = head.map { WebPath.branch(opened.name, $0.name) }
        badge = head.map { WebPath.badge(opened.name, $0.name) }
        testsHref = WebPath.repository(opened.name) + "/tests"
        href = WebPath.repository(opened.name)
        jsonHref = "/api/v1" + href
    }
}
