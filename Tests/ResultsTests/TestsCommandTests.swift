import Foundation
import Testing
import TestSupport

/// `junit:` reports through the built binary: counts in the job's note, every case in
/// refs/notes/gitci-tests (read back with `git notes`), and `gitci tests` answering from the
/// index, from a rebuilt index and in a clone. Each run's report is picked by `UNIT`, which
/// is no part of a cache key, so one commit can be run with different outcomes.
@Suite struct TestsCommandTests {
    static let pipeline = """
        jobs:
          unit:
            junit: [out/report.xml]
            steps:
              - name: tests
                run: |
                  mkdir -p out
                  case "$UNIT" in
                    huge) truncate -s 51M out/report.xml ;;
                    *) cp "reports/$UNIT.xml" out/report.xml ;;
                  esac
              - test "$UNIT" != fail && test "$UNIT" != broken-failing
        """

    static let hostile = "quote\" and 'single', a\nnewline, <script>alert(1)</script> & " + String(repeating: "long-", count: 600)

    /// A pytest-style report: (suite, name, status, message).
    static func report(_ cases: [(String, String, String, String?)]) -> String {
        func attribute(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "\n", with: "&#10;")
        }
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\" tests=\"\(cases.count)\">"
        for (suite, name, status, message) in cases {
            xml += "<testcase classname=\"\(attribute(suite))\" name=\"\(attribute(name))\" time=\"0.25\">"
            if status != "passed" {
                let element = status == "failed" ? "failure" : status
                xml += "<\(element) message=\"\(attribute(message ?? ""))\">traceback of \(attribute(name))</\(element)>"
            }
            xml += "<system-out>captured</system-out></testcase>"
        }
        return xml + "</testsuite></testsuites>\n"
    }

    static var files: [String: String] {
        [
            "reports/pass.xml": report([("tests.test_math", "test_add", "passed", nil), ("tests.test_math", "test_div", "passed", nil),
                                        ("tests.test_io", "test_div", "passed", nil), ("tests.test_io", hostile, "passed", nil),
                                        ("tests.test_io", "test_skip", "skipped", "not here")]),
            "reports/fail.xml": report([("tests.test_math", "test_add", "passed", nil),
                                        ("tests.test_math", "test_div", "failed", "ZeroDivisionError: division by zero"),
                                        ("tests.test_io", "test_div", "error", "fixture 'tmp' not found"),
                                        ("tests.test_io", hostile, "passed", nil), ("tests.test_io", "test_skip", "skipped", "not here")]),
            "reports/broken.xml": "<?xml version=\"1.0\"?><testsuites><testsuite name=\"pytest\"><testcase name=\"cut",
            "reports/broken-failing.xml": "<?xml version=\"1.0\"?><testsuites><testsuite",
            "reports/notxml.xml": "Traceback (most recent call last):\n  pytest crashed\n",
        ]
    }

    static func repository() throws -> ResultsRepository {
        let repo = try ResultsRepository(pipeline: pipeline)
        try repo.fixture.commit(files, message: "tests and their reports")
        return repo
    }

    static func tests(_ repo: ResultsRepository, _ arguments: [String] = []) throws -> (exit: Int32, document: [String: Any]) {
        let result = try repo.gitci(["tests"] + arguments + ["--json"])
        return (result.status, try jsonObject(result.stdout))
    }

    static func caseLines(_ repo: ResultsRepository, _ commit: String = "HEAD") throws -> [[String: Any]] {
        try repo.git(["notes", "--ref=gitci-tests", "show", commit]).split(separator: "\n").map { try jsonObject(String($0)) }
    }

    @Test func aFailingReportIsCountedRecordedAndShownFailuresFirst() throws {
        let repo = try Self.repository()
        let run = try repo.record(["--json"], unit: "fail", expect: 1)
        let runJob = try #require((try jsonObject(run.stdout)["jobs"] as? [[String: Any]])?.first)
        #expect(runJob["tests"] as? [String: Int] == ["passed": 2, "failed": 1, "skipped": 1, "errors": 1])

        // The job's record holds the counts; its cases are in their own notes ref, one line each,
        // naming the run of that record.
        let record = try #require(try repo.noteRecords("HEAD").first { $0["kind"] as? String == "job" })
        #expect(record["tests"] as? [String: Int] == ["passed": 2, "failed": 1, "skipped": 1, "errors": 1])
        let lines = try Self.caseLines(repo)
        #expect(lines.count == 5)
        #expect(Set(lines.map { $0["pipeline"] as? String }) == [record["pipeline"] as? String])
        #expect(Set(lines.map { $0["started"] as? String }) == [record["started"] as? String])
        #expect(Set(lines.map { $0["job"] as? String }) == ["unit"])
        let division = try #require(lines.first { $0["name"] as? String == "test_div" && $0["suite"] as? String == "tests.test_math" })
        #expect(division["status"] as? String == "failed")
        #expect(division["message"] as? String == "ZeroDivisionError: division by zero")
        #expect(division["duration_ms"] as? Int == 250)

        let status = try repo.status()
        #expect((status.document["jobs"] as? [[String: Any]])?.first?["tests"] as? [String: Int]
            == ["passed": 2, "failed": 1, "skipped": 1, "errors": 1])
        let statusText = try repo.gitci(["status"])
        #expect(statusText.stdout.contains("tests: 2 passed, 1 failed, 1 skipped, 1 errors"), "\(statusText.stdout)")

        let text = try repo.gitci(["tests"])
        #expect(text.status == 1)
        let shown = text.stdout.split(separator: "\n").map(String.init)
        #expect(shown.count >= 8, "\(text.stdout)")
        #expect(shown[1].contains("error") && shown[1].contains("tests.test_io::test_div"), "\(text.stdout)")
        #expect(shown[2].contains("fixture 'tmp' not found"), "\(text.stdout)")
        #expect(shown[3].contains("failed") && shown[3].contains("tests.test_math::test_div"), "\(text.stdout)")
        #expect(shown[4].contains("ZeroDivisionError: division by zero"), "\(text.stdout)")
        #expect(shown.last == "5 tests: 2 passed, 1 failed, 1 errors, 1 skipped", "\(text.stdout)")

        let (exit, document) = try Self.tests(repo)
        #expect(exit == 1)
        #expect(document["commit"] as? String == (try repo.head()).trimmingCharacters(in: .whitespacesAndNewlines))
        let entries = try #require(document["tests"] as? [[String: Any]])
        #expect(entries.count == 5)
        #expect(Set(entries[0].keys) == ["job", "suite", "name", "status", "duration_ms", "message"])
        #expect(entries.prefix(2).map { $0["status"] as? String } == ["error", "failed"])

        let failed = try Self.tests(repo, ["--failed"])
        #expect((failed.document["tests"] as? [[String: Any]])?.map { $0["name"] as? String } == ["test_div", "test_div"])
    }

    @Test(arguments: [
        ("broken", "out/report.xml: cut short", "passed"),
        ("notxml", "out/report.xml: not well-formed XML", "passed"),
        ("huge", "out/report.xml: 53477376 bytes, over the 50 MB", "passed"),
        ("broken-failing", "out/report.xml: cut short", "failed"),
    ])
    func anUnreadableReportIsAWarningAndTheStepsDecide(unit: String, warning: String, status: String) throws {
        let repo = try Self.repository()
        try repo.record(unit: unit, expect: status == "passed" ? 0 : 1)
        let job = try #require(try repo.noteRecords("HEAD").first { $0["kind"] as? String == "job" })
        #expect(job["status"] as? String == status)
        #expect(job["tests"] == nil)
        let warnings = try #require(job["warnings"] as? [String])
        #expect(warnings.contains { $0.contains(warning) }, "\(warnings)")
        let log = try #require(job["log"] as? String)
        let text = try String(contentsOfFile: repo.fixture.directory.url(".git/gitci/" + log), encoding: .utf8)
        #expect(text.contains("gitci: warning: junit: \(warning)"), "\(text)")
        // No case was recorded.
        #expect(throws: (any Error).self) { try repo.git(["notes", "--ref=gitci-tests", "show", "HEAD"]) }
        let tests = try repo.gitci(["tests"])
        #expect(tests.status == 1)
        #expect(tests.stdout.contains("no test results recorded"), "\(tests.stdout)")
    }

    @Test func aTestThatPassedAndFailedOnTheSameTreeIsFlaky() throws {
        let repo = try Self.repository()
        try repo.record(unit: "fail", expect: 1)
        let failedOn = try repo.head().trimmingCharacters(in: .whitespacesAndNewlines)
        let tree = try repo.git(["rev-parse", "HEAD^{tree}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        // The same code under another commit (an amended message, as a rebase makes): passes.
        try repo.git(["commit", "-q", "--amend", "-m", "same tree, new commit"])
        let passedOn = try repo.head().trimmingCharacters(in: .whitespacesAndNewlines)
        try repo.record(unit: "pass")
        // And a rerun of the failed commit that passes counts too.
        try repo.record(["--commit", failedOn], unit: "pass")

        let (exit, document) = try Self.tests(repo, ["--flaky"])
        #expect(exit == 0)
        let flaky = try #require(document["flaky"] as? [[String: Any]])
        #expect(flaky.map { "\($0["suite"] ?? "")::\($0["name"] ?? "")" } == ["tests.test_io::test_div", "tests.test_math::test_div"])
        for entry in flaky {
            #expect(Set(entry.keys) == ["job", "suite", "name", "tree", "passed_on", "failed_on"])
            #expect(entry["tree"] as? String == tree)
            #expect(Set(entry["passed_on"] as? [String] ?? []) == [passedOn, failedOn])
            #expect(entry["failed_on"] as? [String] == [failedOn])
        }
        let onBranch = try Self.tests(repo, ["--flaky", "main"])
        #expect((onBranch.document["flaky"] as? [[String: Any]])?.count == 2)
        let text = try repo.gitci(["tests", "--flaky"])
        #expect(text.stdout.contains("2 flaky test(s)"), "\(text.stdout)")
        #expect(text.stdout.contains("failed on \(failedOn.prefix(10))"), "\(text.stdout)")

        // The newest run of the commit is its answer.
        let rerun = try Self.tests(repo, [failedOn])
        #expect(rerun.exit == 0)
        #expect((rerun.document["tests"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String != "failed" } == true)

        // Code that changed is another tree: a failure there is not flakiness.
        try repo.fixture.commit(["README": "changed\n"])
        try repo.record(unit: "fail", expect: 1)
        #expect((try Self.tests(repo, ["--flaky"]).document["flaky"] as? [[String: Any]])?.count == 2)
    }

    @Test func historyFollowsOneTestAcrossTheBranchNewestFirst() throws {
        let repo = try Self.repository()
        var commits: [String] = []
        for (number, unit) in ["pass", "fail", "pass"].enumerated() {
            if number > 0 { try repo.fixture.commit(["README": "change \(number)\n"]) }
            try repo.record(unit: unit, expect: unit == "fail" ? 1 : 0)
            commits.append(try repo.head().trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for name in ["tests.test_math::test_div", "tests.test_math.test_div"] {
            let result = try repo.gitci(["tests", "--history", name, "main", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let history = try #require(try jsonObject(result.stdout)["history"] as? [[String: Any]])
            #expect(history.map { $0["commit"] as? String } == commits.reversed())
            #expect(history.map { $0["status"] as? String } == ["passed", "failed", "passed"])
            #expect(history.map { $0["duration_ms"] as? Int } == [250, 250, 250])
        }
        let text = try repo.gitci(["tests", "--history", "test_add"])
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").count == 4, "\(text.stdout)")

        let ambiguous = try repo.gitci(["tests", "--history", "test_div"])
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("names 2 tests"), "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("tests.test_io::test_div"), "\(ambiguous.stderr)")
        let unknown = try repo.gitci(["tests", "--history", "test_nothing"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no recorded test is named 'test_nothing'"), "\(unknown.stderr)")
    }

    @Test func hostileNamesSurviveTheRoundTrip() throws {
        let repo = try Self.repository()
        try repo.record(unit: "pass")
        let lines = try Self.caseLines(repo)
        #expect(lines.contains { $0["name"] as? String == Self.hostile })
        let entries = try #require(try Self.tests(repo).document["tests"] as? [[String: Any]])
        #expect(entries.contains { $0["name"] as? String == Self.hostile })
        // Text output shows the newline escaped: one line per test.
        let text = try repo.gitci(["tests"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("a\\nnewline, <script>alert(1)</script>"), "\(text.stdout)")
        #expect(text.stdout.split(separator: "\n").count == 7, "\(text.stdout)")
    }

    @Test func theIndexRebuiltFromNotesAndACloneGiveTheSameAnswers() throws {
        let repo = try Self.repository()
        try repo.record(unit: "fail", expect: 1)
        try repo.record(unit: "pass")
        try repo.fixture.commit(["README": "next\n"])
        try repo.record(unit: "fail", expect: 1)
        let queries = [["HEAD"], ["HEAD~1"], ["--flaky"], ["--history", "tests.test_math::test_div"]]
        func answers(_ repo: ResultsRepository) throws -> [String] {
            try queries.map { try repo.gitci(["tests"] + $0 + ["--json"]).stdout }
        }
        let before = try answers(repo)
        #expect(before[2].contains("test_div"))

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: repo.indexPath + suffix) }
        let reindex = try repo.gitci(["reindex"])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(reindex.stdout.contains("and 15 test cases"), "\(reindex.stdout)")
        #expect(try answers(repo) == before)

        let server = try Server(from: repo)
        let sync = try repo.gitci(["sync", server.bare.path])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("pushed refs/notes/gitci-tests"), "\(sync.stdout)")
        let clone = try server.clone()
        try clone.git(["fetch", "-q", "origin", "refs/notes/*:refs/notes/*"])
        #expect(try answers(clone) == before)
        #expect(try clone.gitci(["reindex"]).status == 0)
        #expect(try answers(clone) == before)
    }
}
