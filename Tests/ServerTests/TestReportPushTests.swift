import Foundation
import Testing
import TestSupport

/// A push builds a job with a `junit:` report: the worker records the counts in the job's note
/// and every case in refs/notes/gitci-tests of the server, which a pushed-to pre-receive keeps
/// for gitci alone, and `gitci tests` on the server answers from them.
@Suite struct TestReportPushTests {
    static let pipeline = """
        jobs:
          unit:
            junit: [report.xml]
            steps:
              - printf '<testsuite name="s"><testcase classname="app.tests" name="t_ok" time="0.1"/><testcase classname="app.tests" name="t_bad" time="0.2"><failure message="nope">trace</failure></testcase></testsuite>' > report.xml
        """

    @Test func aBuiltPushRecordsItsCasesOnTheServer() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)

        let job = try #require(try fixture.notes(commit).first { $0["kind"] as? String == "job" })
        #expect(job["status"] as? String == "passed")
        #expect(job["tests"] as? [String: Int] == ["passed": 1, "failed": 1, "skipped": 0, "errors": 0])
        let lines = try fixture.server.git(["notes", "--ref=gitci-tests", "show", commit]).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("\"pipeline\":\"\(job["pipeline"] as? String ?? "-")\"") })

        let tests = try fixture.gitci(["tests", commit, "--json"])
        #expect(tests.status == 1, "\(tests.stderr)")
        let entries = try #require(try fixture.document(tests)["tests"] as? [[String: Any]])
        #expect(entries.map { $0["name"] as? String } == ["t_bad", "t_ok"])
        #expect(entries.first?["message"] as? String == "nope")

        // Only gitci writes results on the server: a push of the tests ref is refused.
        try fixture.clone.git(["notes", "--ref=gitci-tests", "add", "-m", "forged", "HEAD"])
        let forged = try fixture.push(["origin", "refs/notes/gitci-tests"])
        #expect(forged.status != 0)
        #expect(try fixture.server.git(["notes", "--ref=gitci-tests", "show", commit]).split(separator: "\n").count == 2)
    }
}
