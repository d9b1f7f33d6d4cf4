import Foundation
import Store
import Testing

/// Reading a commit's note: which lines count, which record of a job is the newest, and the
/// commit's overall status.
@Suite struct CommitResultsTests {
    // MARK: - Lines that are not records

    @Test func garbageAndFutureLinesAreSkippedAndTheRestCounts() {
        let good = Records.job("unit", "passed", at: 100)
        let lint = Records.job("lint", "failed", at: 100)
        let text = [
            "hello, this note was written by hand",
            "",
            "   ",
            good.line(),
            "{not json at all",
            "[1, 2, 3]",
            #"{"v":1}"#,
            #"{"v":2,"kind":"job","pipeline":"x","job":"unit","status":"failed","started":"2030-01-01T00:00:00.000Z","duration_ms":1}"#,
            #"{"v":1,"kind":"job","pipeline":"x","job":"unit","status":"failed","started":"soon","duration_ms":1}"#,
            #"{"v":1,"kind":"job","pipeline":"x","status":"failed","started":"2030-01-01T00:00:00.000Z","duration_ms":1}"#,
            #"{"v":1,"kind":"job","pipeline":"x","job":"","status":"failed","started":"2030-01-01T00:00:00.000Z","duration_ms":1}"#,
            #"{"v":1,"kind":"artifact","pipeline":"x","status":"failed","started":"2030-01-01T00:00:00.000Z","duration_ms":1}"#,
            #"{"v":1,"kind":"job","pipeline":"x","job":"unit","status":"failed","started":"2030-01-01T00:00:00.000Z","duration_ms":"1"}"#,
            "  " + lint.line() + "\t",
        ].joined(separator: "\n")
        let results = CommitResults(commit: Records.commit, text: text)
        // Each skipped line would have made `unit` failed (finishing in 2030) had it counted.
        #expect(results.allRecords == [good, lint])
        #expect(results.jobs.map(\.job) == ["unit", "lint"])
        #expect(results.jobs.first?.status == "passed")
        #expect(results.status == "failed")
    }

    @Test func anEmptyNoteHasNoResult() {
        #expect(CommitResults(commit: Records.commit, text: "").status == CommitResults.none)
        #expect(CommitResults(commit: Records.commit, text: "\n\n").status == CommitResults.none)
        #expect(CommitResults(commit: Records.commit, text: "not a record\n").status == CommitResults.none)
    }

    @Test func linesEndedByCarriageReturnsStillCount() {
        // A note written on another system or by another tool may end its lines with CRLF.
        let records = [Records.job("unit", "passed", at: 100), Records.job("lint", "passed", at: 100),
                       Records.pipeline("passed", at: 100, ms: 2000)]
        let text = records.map { $0.line() + "\r\n" }.joined()
        let results = CommitResults(commit: Records.commit, text: text)
        #expect(results.allRecords == records)
        #expect(results.status == "passed")
    }

    // MARK: - The newest record of each job

    @Test func theNewestRecordWinsWhateverTheLineOrder() {
        let first = [Records.job("unit", "failed", at: 100, run: "run-1"),
                     Records.job("lint", "passed", at: 100, run: "run-1"),
                     Records.pipeline("failed", at: 100, ms: 2000, run: "run-1")]
        let second = [Records.job("unit", "passed", at: 200, run: "run-2"),
                      Records.pipeline("passed", at: 200, ms: 2000, run: "run-2")]
        let all = first + second
        // As appended, reversed, and sorted as `git notes merge -s cat_sort_uniq` leaves them.
        for order in [all, all.reversed(), all.sorted { $0.line() < $1.line() }] {
            let results = CommitResults(commit: Records.commit, text: Records.text(order))
            #expect(results.status == "passed")
            #expect(Set(results.jobs.map { "\($0.job!)=\($0.status)@\($0.pipeline)" }) == ["unit=passed@run-2", "lint=passed@run-1"])
            #expect(results.pipeline?.pipeline == "run-2")
            #expect(results.allRecords.count == 5)
        }
    }

    @Test func aLaterAttemptWinsWhateverTheClocksSay() {
        var future = Records.job("unit", "failed", at: 4_000_000_000, run: "run-z")
        future.attempt = 1
        var rerun = Records.job("unit", "passed", at: 100, run: "run-a")
        rerun.attempt = 2
        var legacy = Records.job("unit", "failed", at: 5_000_000_000, run: "run-legacy")
        legacy.attempt = nil
        let all = [future, rerun, legacy]
        for order in [all, all.reversed(), all.sorted { $0.line() < $1.line() }] {
            let results = CommitResults(commit: Records.commit, records: order)
            #expect(results.jobs.map(\.pipeline) == ["run-a"])
            #expect(results.status == "passed")
            #expect(results.nextAttempt == 3)
        }
    }

    @Test func atTheSameAttemptACancellationDoesNotHideAPass() {
        var passed = Records.job("unit", "passed", at: 100, run: "run-a")
        var cancelled = Records.job("unit", "cancelled", at: 900, run: "run-b")
        passed.attempt = 2
        cancelled.attempt = 2
        var pipelinePassed = Records.pipeline("passed", at: 100, run: "run-a")
        var pipelineCancelled = Records.pipeline("cancelled", at: 900, run: "run-b")
        pipelinePassed.attempt = 2
        pipelineCancelled.attempt = 2
        let all = [cancelled, passed, pipelineCancelled, pipelinePassed]
        for order in [all, all.reversed()] {
            let results = CommitResults(commit: Records.commit, records: order)
            #expect(results.jobs.map(\.status) == ["passed"])
            #expect(results.pipeline?.pipeline == "run-a")
            #expect(results.status == "passed")
        }
        // A cancelled rerun (a higher attempt) is the result: the latest run was stopped.
        cancelled.attempt = 3
        #expect(CommitResults(commit: Records.commit, records: [passed, cancelled]).status == "cancelled")
    }

    @Test func newestMeansFinishedLastNotStartedLast() {
        // A long run started first but finished after a short one started later.
        let long = Records.job("unit", "failed", at: 100, ms: 60_000, run: "run-long")
        let short = Records.job("unit", "passed", at: 110, ms: 1000, run: "run-short")
        for order in [[long, short], [short, long]] {
            let results = CommitResults(commit: Records.commit, records: order)
            #expect(results.jobs.map(\.pipeline) == ["run-long"])
            #expect(results.status == "failed")
        }
    }

    @Test func aTieInFinishTimeIsBrokenTheSameWayInEveryOrder() {
        let a = Records.job("unit", "failed", at: 100, run: "run-a")
        let b = Records.job("unit", "passed", at: 100, run: "run-b")
        let one = CommitResults(commit: Records.commit, records: [a, b])
        let two = CommitResults(commit: Records.commit, records: [b, a])
        #expect(one.jobs == two.jobs)
        #expect(one.jobs.first?.pipeline == "run-b")
    }

    @Test func jobsKeepTheOrderTheyFirstAppearedIn() {
        let records = [Records.job("compile", "passed", at: 100), Records.job("unit", "passed", at: 101),
                       Records.job("lint", "passed", at: 102), Records.job("compile", "passed", at: 200, run: "run-2")]
        let results = CommitResults(commit: Records.commit, records: records)
        #expect(results.jobs.map(\.job) == ["compile", "unit", "lint"])
        #expect(results.jobs.first?.pipeline == "run-2")
    }

    @Test func pipelineRecordOfAnOlderRunIsStillFound() {
        let records = [Records.pipeline("failed", at: 100, run: "run-1"), Records.pipeline("passed", at: 200, run: "run-2")]
        let results = CommitResults(commit: Records.commit, records: records)
        #expect(results.pipeline?.pipeline == "run-2")
        #expect(results.pipelineRecord(runID: "run-1")?.status == "failed")
        #expect(results.pipelineRecord(runID: "run-3") == nil)
    }

    // MARK: - Overall status

    private func status(_ records: [NoteRecord]) -> String {
        CommitResults(commit: Records.commit, records: records).status
    }

    @Test func statusRules() {
        #expect(status([]) == "none")
        #expect(status([Records.job("a", "passed", at: 1), Records.job("b", "passed", at: 1)]) == "passed")
        #expect(status([Records.job("a", "passed", at: 1), Records.job("b", "failed", at: 1)]) == "failed")
        // Skipped (a `when:` that did not match) and reused jobs do not spoil a pass.
        #expect(status([Records.job("a", "passed", at: 1), Records.job("b", "skipped", at: 1),
                        Records.job("c", "reused", at: 1)]) == "passed")
        #expect(status([Records.job("a", "passed", at: 1), Records.job("b", "cancelled", at: 1)]) == "cancelled")
        #expect(status([Records.job("a", "failed", at: 1), Records.job("b", "cancelled", at: 1)]) == "failed")
        #expect(status([Records.pipeline("passed", at: 1)]) == "passed")
    }

    @Test func aJobAllowedToFailDoesNotFailTheCommit() {
        #expect(status([Records.job("a", "passed", at: 1), Records.job("b", "failed", at: 1, allowFailure: true)]) == "passed")
        #expect(status([Records.job("a", "failed", at: 1, allowFailure: false)]) == "failed")
        #expect(status([Records.job("a", "failed", at: 1, allowFailure: true),
                        Records.job("b", "failed", at: 1)]) == "failed")
    }

    @Test func aRerunDecidesTheStatus() {
        let failedThenPassed = [Records.job("a", "failed", at: 100, run: "r1"), Records.job("a", "passed", at: 200, run: "r2")]
        #expect(status(failedThenPassed) == "passed")
        let passedThenFailed = [Records.job("a", "passed", at: 100, run: "r1"), Records.job("a", "failed", at: 200, run: "r2")]
        #expect(status(passedThenFailed) == "failed")
    }

    @Test func aStatusFromANewerGitciIsShownAsItIs() {
        #expect(status([Records.job("a", "passed", at: 1), Records.job("b", "flaky", at: 1)]) == "flaky")
        // A failure still says more than a status this gitci does not know.
        #expect(status([Records.job("a", "failed", at: 1), Records.job("b", "flaky", at: 1)]) == "failed")
    }

    @Test func aConfigErrorIsTheStatusUntilALaterRunPlans() {
        let error = Records.pipeline("config-error", at: 300, ms: 0, run: "r2", errors: [".gitci.yml:1:1: bad"])
        #expect(status([error]) == "config-error")
        let results = CommitResults(commit: Records.commit, records: [error])
        #expect(results.jobs.isEmpty)
        #expect(results.pipeline?.errors == [".gitci.yml:1:1: bad"])

        // Jobs of an earlier run do not hide a newer configuration error...
        let earlier = [Records.job("a", "passed", at: 100, run: "r1"), Records.pipeline("passed", at: 100, run: "r1")]
        #expect(status(earlier + [error]) == "config-error")
        // ...and a later run that planned replaces it.
        let later = [Records.job("a", "failed", at: 400, run: "r3"), Records.pipeline("failed", at: 400, run: "r3")]
        #expect(status(earlier + [error] + later) == "failed")
        #expect(status(later.reversed() + [error] + earlier) == "failed")
    }
}
