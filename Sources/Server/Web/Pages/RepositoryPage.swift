import Foundation
import GitKit
import Mustache
import Store

/// `/repos/NAME`: the plan branches, active first and retired folded, each with its last
/// result, when it ended, how long it took and its last 20 results; filtered by `?q=`, a page
/// of them at a time (`?page=`): a repository may have thousands.
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
    let page: Int
    let pages: Int
    let activeTotal: Int
    let retiredTotal: Int
    let active: [PlanRow]
    let retired: [PlanRow]
    let hasActive: Bool
    let hasRetired: Bool
    let retiredShown: Int
    let retiredShownAll: Bool
    let previousHref: String?
    let nextHref: String?
    let defaultBranch: String?
    let defaultBranchHref: String?
    let badge: String?
    let testsHref: String
    let href: String
    let jsonHref: String
    var chrome: WebChrome?
    enum CodingKeys: String, CodingKey {
        case name, query, page, pages, activeTotal = "active_total", retiredTotal = "retired_total", active, retired
        case defaultBranch = "default_branch"
    }

    /// How many of each branch's builds the sparkline shows.
    static let recentCount = 20
    /// How many active plan branches a page shows, and retired ones at most.
    static let pageSize = 100

    /// `drawings`: false for the JSON document, which has no sparklines.
    init(_ opened: OpenedRepository, query: String, page requested: Int = 1, drawings: Bool = true, now: Date = Date()) {
        let plans = (try? opened.queue?.plans()) ?? []
        let needle = query.trimmingCharacters(in: .whitespaces).lowercased()
        let matching = needle.isEmpty ? plans : plans.filter { $0.branch.lowercased().contains(needle) }
        let allActive = matching.filter { $0.state == .active }
        // The retired most recently first: the ones people still look for.
        let allRetired = matching.filter { $0.state != .active }.sorted { ($0.retired ?? 0) > ($1.retired ?? 0) }
        let pages = max(1, (allActive.count + Self.pageSize - 1) / Self.pageSize)
        let page = min(max(requested, 1), pages)
        let activeShown = Array(allActive.dropFirst((page - 1) * Self.pageSize).prefix(Self.pageSize))
        let retiredSlice = Array(allRetired.prefix(Self.pageSize))
        let shown = activeShown + retiredSlice
        let recent = (try? opened.queue?.recentOutcomes(of: shown.map(\.branch), perBranch: Self.recentCount)) ?? [:]
        // The build a plan branch's row stands for: of the commit it was last pushed at, else its newest.
        let last = shown.map { plan in
            recent[plan.branch].flatMap { outcomes in outcomes.first { $0.commit == plan.lastCommit } ?? outcomes.first }
        }
        let commits = zip(shown, last).compactMap { plan, build in (build?.commit ?? plan.lastCommit).flatMap(ObjectID.init(hex:)) }
        let summaries = (try? opened.index.summaries(of: commits)) ?? [:]
        var rows: [PlanRow] = []
        for (plan, build) in zip(shown, last) {
            let commit = build?.commit ?? plan.lastCommit
            let status = Self.status(of: commit, build: build, summaries: summaries)
            // Not linked: twenty tab stops a row would bury the page for keyboard users.
            let points = (recent[plan.branch] ?? []).reversed().map { outcome in
                let shown = outcome.state == .finished ? (outcome.result ?? CommitResults.none) : outcome.state.rawValue
                return Sparkline.Point(status: shown, title: "\(outcome.commit.prefix(10)) \(shown)")
            }
            let ended = build?.finished
            let duration = build?.durationMs
            rows.append(PlanRow(
                branch: plan.branch, state: plan.state.rawValue, status: status, commit: commit,
                finished: ended.map { Timestamp.format(Date(timeIntervalSince1970: $0)) }, durationMs: duration,
                recent: points.map(\.status), href: WebPath.branch(opened.name, plan.branch),
                short: commit.map { String($0.prefix(10)) }, commitHref: commit.map { WebPath.commit(opened.name, $0) },
                when: ended.map { RelativeTime.describe(since: $0, now: now) } ?? (build?.state == .running ? "running" : "–"),
                duration: duration.map { DurationText.format(milliseconds: $0) } ?? "–", label: StatusLabel(status),
                sparkline: drawings ? Sparkline.svg(points) : ""))
        }
        name = opened.name
        self.query = query
        self.page = page
        self.pages = pages
        activeTotal = allActive.count
        retiredTotal = allRetired.count
        active = Array(rows.prefix(activeShown.count))
        retired = Array(rows.dropFirst(activeShown.count))
        hasActive = !active.isEmpty
        hasRetired = !retired.isEmpty
        retiredShown = retired.count
        retiredShownAll = retired.count == allRetired.count
        href = WebPath.repository(opened.name)
        let filter = needle.isEmpty ? "" : "q=\(WebPath.encode(query))&"
        previousHref = page > 1 ? "\(href)?\(filter)page=\(page - 1)" : nil
        nextHref = page < pages ? "\(href)?\(filter)page=\(page + 1)" : nil
        let head = opened.repository.defaultBranch
        defaultBranch = head?.name
        defaultBranchHref = head.map { WebPath.branch(opened.name, $0.name) }
        badge = head.map { WebPath.badge(opened.name, $0.name) }
        testsHref = WebPath.repository(opened.name) + "/tests"
        jsonHref = "/api/v1" + href
    }

    /// As `gitci plans` says it (PlanStatus): queued or running while it is, else what the notes
    /// say, else what became of the build.
    static func status(of commit: String?, build: BuildQueue.Outcome?, summaries: [ObjectID: CommitSummary]) -> String {
        if let build, build.state == .queued || build.state == .running { return build.state.rawValue }
        if let id = commit.flatMap(ObjectID.init(hex:)), let summary = summaries[id] { return summary.status }
        guard let build else { return CommitResults.none }
        return build.state == .finished ? (build.result ?? CommitResults.none) : build.state.rawValue
    }
}

/// Rows are looked up by name, not through Mirror: a Mirror lookup decodes the type's fields
/// anew each time, and a page renders a hundred rows or more.
extension RepositoryPage.PlanRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "branch": branch
        case "href": href
        case "label": label
        case "commitHref": commitHref
        case "short": short
        case "when": when
        case "duration": duration
        case "sparkline": sparkline
        case "state": state
        case "status": status
        case "commit": commit
        default: nil
        }
    }
}
