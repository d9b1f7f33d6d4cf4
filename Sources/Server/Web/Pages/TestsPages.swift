import Foundation
import GitKit
import Hummingbird
import Store

/// `/repos/NAME/commits/REV/tests`: a commit's test cases, failures first with their messages
/// (the `tests --json` document).
struct CommitTestsPage: Encodable, ChromedPage {
    struct Row: Encodable {
        let job: String
        let suite: String
        let name: String
        let status: String
        let durationMs: Int
        let message: String?
        let label: StatusLabel
        let duration: String
        let historyHref: String
        let failed: Bool
        enum CodingKeys: String, CodingKey { case job, suite, name, status, durationMs = "duration_ms", message }
    }

    let commit: String
    let tests: [Row]
    let short: String
    let repository: String
    let repositoryHref: String
    let commitHref: String
    let jsonHref: String
    let summary: String
    let hasTests: Bool
    var chrome: WebChrome?
    enum CodingKeys: String, CodingKey { case commit, tests }

    init(_ opened: OpenedRepository, commit: ObjectID) {
        let results = (try? opened.index.tests(of: commit)) ?? []
        tests = results.map { test in
            let failed = test.isFailure && test.status != "skipped"
            return Row(job: test.job, suite: test.suite, name: test.name, status: test.status, durationMs: test.durationMs, message: test.message,
                       label: StatusLabel(failed ? "failed" : test.status), duration: DurationText.format(milliseconds: test.durationMs),
                       historyHref: WebPath.testHistory(opened.name, suite: test.suite, name: test.name), failed: failed)
        }
        self.commit = commit.hex
        short = commit.short
        repository = opened.name
        repositoryHref = WebPath.repository(opened.name)
        commitHref = WebPath.commit(opened.name, commit.hex)
        jsonHref = "/api/v1" + WebPath.tests(opened.name, commit.hex)
        let failed = tests.filter(\.failed).count
        let passed = tests.filter { $0.status == "passed" }.count
        summary = "\(tests.count) tests: \(failed) failed, \(passed) passed, \(tests.count - failed - passed) skipped"
        hasTests = !tests.isEmpty
    }
}

/// `/repos/NAME/tests?suite=S&name=N`: one test across commits, newest first; without a test,
/// the repository's flaky tests (`tests --flaky`).
struct TestHistoryPage: Encodable, ChromedPage {
    struct Run: Encodable {
        let commit: String
        let job: String
        let status: String
        let durationMs: Int
        let message: String?
        let subject: String
        let short: String
        let href: String
        let when: String
        let label: StatusLabel
        let duration: String
        enum CodingKeys: String, CodingKey { case commit, job, status, durationMs = "duration_ms", message, subject }
    }

    struct Flaky: Encodable {
        let job: String
        let suite: String
        let name: String
        let tree: String
        let passedOn: [String]
        let failedOn: [String]
        let href: String
        let passedCount: Int
        let failedCount: Int
        enum CodingKeys: String, CodingKey { case job, suite, name, tree, passedOn = "passed_on", failedOn = "failed_on" }
    }

    let suite: String?
    let name: String?
    let runs: [Run]?
    let flaky: [Flaky]?
    let repository: String
    let repositoryHref: String
    let title: String
    let hasRuns: Bool
    let hasFlaky: Bool
    let jsonHref: String
    var chrome: WebChrome?
    enum CodingKeys: String, CodingKey { case suite, name, runs, flaky }

    /// The most runs one page shows.
    static let largestHistory = 200

    init(_ opened: OpenedRepository, suite: String?, name: String?, now: Date = Date()) {
        repository = opened.name
        repositoryHref = WebPath.repository(opened.name)
        if let name, !name.isEmpty {
            let test = TestName(suite: suite ?? "", name: name)
            let byCommit = (try? opened.index.runs(of: test)) ?? [:]
            var runs: [(time: Int64, run: Run)] = []
            for (commit, results) in byCommit {
                let info = ObjectID(hex: commit).flatMap { try? opened.repository.commit($0) }
                for result in results {
                    let failed = result.isFailure && result.status != "skipped"
                    runs.append((info?.time ?? 0, Run(
                        commit: commit, job: result.job, status: result.status, durationMs: result.durationMs, message: result.message,
                        subject: info?.summary ?? "", short: String(commit.prefix(10)), href: WebPath.tests(opened.name, commit),
                        when: info.map { RelativeTime.describe(since: Double($0.time), now: now) } ?? "",
                        label: StatusLabel(failed ? "failed" : result.status), duration: DurationText.format(milliseconds: result.durationMs))))
                }
            }
            self.runs = runs.sorted { $0.time > $1.time }.prefix(Self.largestHistory).map(\.run)
            self.suite = suite ?? ""
            self.name = name
            flaky = nil
            title = test.description
            jsonHref = "/api/v1" + WebPath.testHistory(opened.name, suite: suite ?? "", name: name)
        } else {
            flaky = ((try? opened.index.flakyTests()) ?? []).map { test in
                Flaky(job: test.job, suite: test.suite, name: test.name, tree: test.tree, passedOn: test.passedOn, failedOn: test.failedOn,
                      href: WebPath.testHistory(opened.name, suite: test.suite, name: test.name),
                      passedCount: test.passedOn.count, failedCount: test.failedOn.count)
            }
            runs = nil
            self.suite = nil
            self.name = nil
            title = "Flaky tests"
            jsonHref = "/api/v1" + WebPath.repository(opened.name) + "/tests"
        }
        hasRuns = !(runs ?? []).isEmpty
        hasFlaky = !(flaky ?? []).isEmpty
    }
}
