import Foundation
import Testing
import TestSupport

/// `gitci run --record`: what lands in `refs/notes/gitci`, checked with the real `git`.
@Suite struct RecordTests {
    // MARK: - What a record holds

    @Test func aRecordedRunWritesOneLinePerJobAndOneForThePipeline() throws {
        let repo = try ResultsRepository()
        let result = try repo.record()
        let head = try repo.head()
        #expect(result.stdout.contains("results recorded in refs/notes/gitci"))
        #expect(try repo.annotatedCommits() == [head])
        // One notes commit per run.
        #expect(try repo.git(["rev-list", "--count", "refs/notes/gitci"]) == "1")

        let records = try repo.noteRecords(head)
        #expect(records.count == 3)
        let jobs = records.filter { $0["kind"] as? String == "job" }
        let pipelines = records.filter { $0["kind"] as? String == "pipeline" }
        #expect(Set(jobs.compactMap { $0["job"] as? String }) == ["compile", "unit"])
        #expect(pipelines.count == 1)
        let run = try #require(pipelines.first?["pipeline"] as? String)
        let tree = try repo.git(["rev-parse", "HEAD^{tree}"])
        let config = try repo.git(["rev-parse", "HEAD:.gitci.yml"])
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for record in records {
            #expect(record["v"] as? Int == 1)
            #expect(record["pipeline"] as? String == run)
            #expect(record["status"] as? String == "passed")
            #expect(iso.date(from: record["started"] as? String ?? "") != nil, "started: \(record["started"] ?? "nil")")
            #expect(record["duration_ms"] is Int)
            #expect(record["tree"] as? String == tree)
            #expect(record["config"] as? String == config)
            #expect(record["branch"] as? String == "main")
            #expect((record["node"] as? String)?.isEmpty == false)
        }
        for job in jobs {
            #expect(job["exit_code"] as? Int == 0)
            #expect(job["stage"] as? String == (job["job"] as? String == "compile" ? "build" : "test"))
            // Relative to the state folder: a note carries no absolute path of one machine.
            let log = try #require(job["log"] as? String)
            #expect(log.hasPrefix("logs/\(run)/"), "\(log)")
            #expect(FileManager.default.fileExists(atPath: repo.path + "/.git/gitci/" + log))
        }
        let unitLog = try #require(jobs.first { $0["job"] as? String == "unit" }?["log"] as? String)
        #expect(try String(contentsOfFile: repo.path + "/.git/gitci/" + unitLog, encoding: .utf8).contains("unit: pass"))

        // Plain git shows the results too.
        let log = try repo.git(["log", "--notes=gitci", "-1"])
        #expect(log.contains("Notes (gitci):"))
        #expect(log.contains(#""job":"unit""#))
    }

    @Test func aFailedRunRecordsTheFailureAndExitsOne() throws {
        let repo = try ResultsRepository()
        try repo.record(unit: "fail", expect: 1)
        let records = try repo.noteRecords(try repo.head())
        let unit = try #require(records.first { $0["job"] as? String == "unit" })
        #expect(unit["status"] as? String == "failed")
        #expect(unit["exit_code"] as? Int == 1)
        #expect((unit["reason"] as? String)?.isEmpty == false)
        #expect(records.first { $0["kind"] as? String == "pipeline" }?["status"] as? String == "failed")
        #expect(records.first { $0["job"] as? String == "compile" }?["status"] as? String == "passed")
    }

    @Test func aJobAllowedToFailIsRecordedAsSuch() throws {
        let repo = try ResultsRepository(pipeline: Pipelines.allowedFailure)
        try repo.record()
        let experimental = try #require(try repo.noteRecords(try repo.head()).first { $0["job"] as? String == "experimental" })
        #expect(experimental["status"] as? String == "failed")
        #expect(experimental["allow_failure"] as? Bool == true)
        #expect(experimental["exit_code"] as? Int == 3)
        let status = try repo.status()
        #expect(status.exit == 0)
        #expect(status.document["status"] as? String == "passed")
    }

    // MARK: - Which commit

    @Test func aDirtyTreeIsRefusedWithoutCommit() throws {
        let repo = try ResultsRepository()
        try repo.fixture.write("README", "changed\n")
        let modified = try repo.gitci(["run", "--record"])
        #expect(modified.status == 2)
        #expect(modified.stderr.contains("--commit"), "\(modified.stderr)")
        #expect(!modified.stdout.contains("compiled"))

        try repo.git(["checkout", "README"])
        try repo.fixture.write("new-file.txt", "untracked\n")
        #expect(try repo.gitci(["run", "--record"]).status == 2)

        try repo.git(["add", "new-file.txt"])
        #expect(try repo.gitci(["run", "--record"]).status == 2)

        // Nothing was recorded anywhere.
        #expect(try Shell.run(["git", "rev-parse", "--verify", "-q", "refs/notes/gitci"], in: repo.path).status != 0)
    }

    @Test func ignoredFilesDoNotMakeATreeDirty() throws {
        let repo = try ResultsRepository()
        try repo.fixture.commit([".gitignore": "build/\n"], message: "ignore build output")
        try repo.fixture.write("build/output.o", "binary\n")
        try repo.record()
        #expect(try repo.annotatedCommits() == [try repo.head()])
    }

    @Test func commitRecordsThatCommitWhateverTheWorkingTree() throws {
        let repo = try ResultsRepository()
        let first = try repo.head()
        try repo.fixture.commit(["other.txt": "two\n"], message: "second")
        // A dirty tree whose pipeline is broken: --commit reads the commit, not this.
        try repo.fixture.write(".gitci.yml", "jobs: [not, a, map\n")

        try repo.record(["--commit", "HEAD~1"])
        #expect(try repo.annotatedCommits() == [first])
        let records = try repo.noteRecords(first)
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0["tree"] as? String == (try? repo.git(["rev-parse", "\(first)^{tree}"])) })
        #expect(try repo.status(first).document["status"] as? String == "passed")
        #expect(try repo.status().document["status"] as? String == "none")
    }

    // MARK: - Appending

    @Test func aLaterRunAppendsAndTheNewestRunDecides() throws {
        let repo = try ResultsRepository()
        let head = try repo.head()
        try repo.record(unit: "fail", expect: 1)
        let firstLines = try repo.noteLines(head)
        #expect(try repo.status().document["status"] as? String == "failed")

        try repo.record(unit: "pass")
        let lines = try repo.noteLines(head)
        #expect(lines.count == 6)
        #expect(Array(lines.prefix(3)) == firstLines)
        #expect(try repo.git(["rev-list", "--count", "refs/notes/gitci"]) == "2")
        let status = try repo.status()
        #expect(status.exit == 0)
        #expect(status.document["status"] as? String == "passed")
        #expect(jobStatuses(status.document) == ["compile": "passed", "unit": "passed"])

        try repo.record(unit: "fail", expect: 1)
        #expect(try repo.noteLines(head).count == 9)
        let again = try repo.status()
        #expect(again.exit == 1)
        #expect(jobStatuses(again.document) == ["compile": "passed", "unit": "failed"])
    }

    @Test func readersNeverRelyOnLineOrder() throws {
        let repo = try ResultsRepository()
        let head = try repo.head()
        try repo.record(unit: "fail", expect: 1)
        try repo.record(unit: "pass")
        let expected = try repo.status().document
        let lines = try repo.noteLines(head)

        // The newest run's lines first, then sorted as cat_sort_uniq leaves them.
        for reordered in [Array(lines.suffix(3) + lines.prefix(3)), lines.sorted(), lines.reversed()] {
            try repo.git(["notes", "--ref=gitci", "add", "-f", "-m", reordered.joined(separator: "\n"), head])
            #expect(try repo.noteLines(head) == reordered)
            let status = try repo.status()
            #expect(status.exit == 0)
            #expect(status.document["status"] as? String == "passed")
            #expect(jobStatuses(status.document) == jobStatuses(expected))
        }
    }

    @Test func aNoteAppendedMeanwhileWithGitIsReadAndKept() throws {
        let repo = try ResultsRepository()
        let head = try repo.head()
        try repo.record()
        // Another tool (or person) appends: a result of a job gitci does not run here, and a remark.
        let external = #"{"v":1,"kind":"job","pipeline":"elsewhere-1","job":"external","status":"passed","started":"2020-01-01T00:00:00.000Z","duration_ms":1500,"node":"elsewhere"}"#
        try repo.git(["notes", "--ref=gitci", "append", "-m", external, head])
        try repo.git(["notes", "--ref=gitci", "append", "-m", "reviewed by alice", head])

        let status = try repo.status()
        #expect(jobStatuses(status.document) == ["compile": "passed", "unit": "passed", "external": "passed"])
        let jobs = status.document["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.first { $0["name"] as? String == "external" }?["node"] as? String == "elsewhere")
        // The remark is not a record: a warning that names the commit and the line (git
        // separates appended texts by an empty line, so the remark is line 7).
        #expect(status.stderr.contains(String(head.prefix(10))), "\(status.stderr)")
        #expect(status.stderr.contains("line 7"), "\(status.stderr)")

        try repo.record(unit: "fail", expect: 1)
        let lines = try repo.noteLines(head)
        #expect(lines.count == 8)
        #expect(lines.contains(external))
        #expect(lines.contains("reviewed by alice"))
        let after = try repo.status()
        #expect(jobStatuses(after.document) == ["compile": "passed", "unit": "failed", "external": "passed"])
    }

    // MARK: - Configuration errors

    @Test func aConfigErrorWithCommitIsRecordedWithItsMessages() throws {
        let repo = try ResultsRepository(pipeline: Pipelines.broken)
        let head = try repo.head()
        let result = try repo.gitci(["run", "--record", "--commit", "HEAD"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(".gitci.yml:4:"), "\(result.stderr)")
        #expect(result.stderr.contains(".gitci.yml:6:"), "\(result.stderr)")

        let records = try repo.noteRecords(head)
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record["kind"] as? String == "pipeline")
        #expect(record["status"] as? String == "config-error")
        #expect(record["config"] as? String == (try repo.git(["rev-parse", "HEAD:.gitci.yml"])))
        let errors = record["errors"] as? [String] ?? []
        #expect(errors.count == 2)
        #expect(errors.contains { $0.hasPrefix(".gitci.yml:4:") })
        #expect(errors.contains { $0.hasPrefix(".gitci.yml:6:") })

        let status = try repo.status()
        #expect(status.exit == 1)
        #expect(status.document["status"] as? String == "config-error")
        #expect((status.document["jobs"] as? [Any])?.isEmpty == true)
        let documented = status.document["errors"] as? [[String: Any]] ?? []
        #expect(Set(documented.compactMap { $0["line"] as? Int }) == [4, 6])
        let text = try repo.gitci(["status"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("config-error"))
        #expect(text.stdout.contains(".gitci.yml:6:"))
    }

    @Test func aConfigErrorOnACleanTreeIsRecordedToo() throws {
        let repo = try ResultsRepository(pipeline: Pipelines.broken)
        let result = try repo.gitci(["run", "--record"])
        #expect(result.status == 2)
        let records = try repo.noteRecords(try repo.head())
        #expect(records.map { $0["status"] as? String } == ["config-error"])
        #expect(try repo.status().document["status"] as? String == "config-error")
    }

    @Test func aConfigErrorStaysWithItsCommitWhenTheNextOneFixesIt() throws {
        let repo = try ResultsRepository(pipeline: Pipelines.broken)
        try repo.gitci(["run", "--record", "--commit", "HEAD"])
        #expect(try repo.status().document["status"] as? String == "config-error")
        let broken = try repo.head()
        try repo.fixture.commit([".gitci.yml": Pipelines.twoJobs], message: "fix the pipeline")
        try repo.record()
        #expect(try repo.status(broken).document["status"] as? String == "config-error")
        #expect(try repo.status().document["status"] as? String == "passed")
    }
}
