import Foundation
import GitKit
import Hummingbird
import Store

/// `/repos/NAME/branches/BRANCH`: the branch's first-parent history with each commit's status
/// (what `gitci log` shows), how long its builds took, and the tests that were flaky on it.
struct BranchPage: Encodable, ChromedPage {
    struct CommitRow: Encodable {
        let commit: String
        let subject: String
        let status: String
        let author: String
        let durationMs: Int?
        let short: String
        let href: String
        let when: String
        let duration: String
        let label: StatusLabel
        enum CodingKeys: String, CodingKey { case commit, subject, status, author, durationMs = "duration_ms" }
    }

    struct FlakyRow: Encodable {
        let job: String
        let suite: String
        let name: String
        let passedOn: [String]
        let failedOn: [String]
        let href: String
        let passedCount: Int
        let failedCount: Int
        enum CodingKeys: String, CodingKey { case job, suite, name, passedOn = "passed_on", failedOn = "failed_on" }
    }

    let repository: String
    let branch: String
    let state: String?
    let commits: [CommitRow]
    let flaky: [FlakyRow]
    let hasFlaky: Bool
    let durationBars: String
    let repositoryHref: String
    let href: String
    let jsonHref: String
    let badge: String
    var chrome: WebChrome?
    enum CodingKeys: String, CodingKey { case repository, branch, state, commits, flaky }

    static let historyLength = 50

    init(_ opened: OpenedRepository, branch: String, now: Date = Date()) throws {
        let plan = ((try? opened.queue?.plans()) ?? []).first { $0.branch == branch }
        guard let tip = opened.repository.branchTip(branch) ?? plan?.lastCommit.flatMap(ObjectID.init(hex:)) else {
            throw HTTPError(.notFound, message: "no branch '\(branch)' in the repository '\(opened.name)'")
        }
        let history = (try? opened.repository.firstParentHistory(from: tip, limit: Self.historyLength)) ?? []
        let summaries = (try? opened.index.summaries(of: history.map(\.id))) ?? [:]
        var durations: [String: Int] = [:]
        for build in (try? opened.queue?.builds(ofBranch: branch, limit: Self.historyLength * 2)) ?? []
        where durations[build.commit] == nil {
            if let started = build.started, let finished = build.finished { durations[build.commit] = Int((finished - started) * 1000) }
        }
        commits = history.map { info in
            let status = summaries[info.id]?.status ?? CommitResults.none
            // A build's time in the queue; else, for results recorded elsewhere (`gitci run
            // --record`, `gitci sync`), the pipeline's in the notes.
            let duration = durations[info.id.hex]
                ?? (summaries[info.id] != nil ? (try? opened.index.results(of: info.id))?.pipeline?.durationMs : nil)
            return CommitRow(commit: info.id.hex, subject: info.summary, status: status, author: info.authorName, durationMs: duration,
                             short: info.id.short, href: WebPath.commit(opened.name, info.id.hex),
                             when: RelativeTime.describe(since: Double(info.time), now: now),
                             duration: duration.map { DurationText.format(milliseconds: $0) } ?? "–", label: StatusLabel(status))
        }
        durationBars = DurationBars.svg(commits.reversed().map {
            DurationBars.Bar(durationMs: $0.durationMs, status: $0.status, title: "\($0.short) \($0.subject)", href: $0.href)
        })
        let trees = Set(history.map(\.tree.hex))
        flaky = ((try? opened.index.flakyTests(onTrees: trees)) ?? []).map { test in
            FlakyRow(job: test.job, suite: test.suite, name: test.name, passedOn: test.passedOn, failedOn: test.failedOn,
                     href: WebPath.testHistory(opened.name, suite: test.suite, name: test.name),
                     passedCount: test.passedOn.count, failedCount: test.failedOn.count)
        }
        hasFlaky = !flaky.isEmpty
        repository = opened.name
        self.branch = branch
        state = plan?.state.rawValue
        repositoryHref = WebPath.repository(opened.name)
        href = WebPath.branch(opened.name, branch)
        jsonHref = "/api/v1" + href
        badge = WebPath.badge(opened.name, branch)
    }
}
