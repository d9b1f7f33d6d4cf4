import Foundation
import Testing
import TestSupport

/// `gitci logs REV JOB [--step N]`: a job's log, found through the note of the commit, from
/// this machine's state folder.
@Suite struct LogsCommandTests {
    static let pipeline = """
        jobs:
          unit:
            steps:
              - { name: first, run: "echo first output" }
              - { name: second, run: "echo second output; echo more" }
        """

    @Test func printsTheWholeLogOrOneStep() throws {
        let repo = try ResultsRepository(pipeline: Self.pipeline)
        try repo.record()
        let whole = try repo.gitci(["logs", "HEAD", "unit"])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.contains("gitci: job unit on"))
        #expect(whole.stdout.contains("first output\n"))
        #expect(whole.stdout.contains("second output\nmore\n"))

        let second = try repo.gitci(["logs", "HEAD", "unit", "--step", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasPrefix("$ echo second output; echo more\nsecond output\nmore\n"), "\(second.stdout)")
        #expect(!second.stdout.contains("first output"))

        // A finished job: --follow prints it and ends.
        let followed = try repo.gitci(["logs", "HEAD", "unit", "--follow"])
        #expect(followed.stdout == whole.stdout)
    }

    @Test func readsTheAbsolutePathsOfOlderNotes() throws {
        let repo = try ResultsRepository(pipeline: Self.pipeline)
        try repo.record()
        let head = try repo.head()
        let relative = try #require(try repo.noteRecords(head).first { $0["job"] as? String == "unit" }?["log"] as? String)
        // The older note names a log elsewhere, which only an absolute path can reach.
        let elsewhere = TemporaryDirectory("gitci-old-logs")
        let absolute = elsewhere.url("unit.log")
        try "written on another day\n".write(toFile: absolute, atomically: true, encoding: .utf8)
        let old = try repo.noteLines(head).map { $0.replacingOccurrences(of: "\"log\":\"\(relative)\"", with: "\"log\":\"\(absolute)\"") }
        #expect(old.contains { $0.contains(absolute) })
        try repo.git(["notes", "--ref=gitci", "add", "-f", "-m", old.joined(separator: "\n"), head])
        let result = try repo.gitci(["logs", "HEAD", "unit"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "written on another day\n")
    }

    @Test func aJobWithoutALogOrAMissingStepIsAUsageError() throws {
        let repo = try ResultsRepository(pipeline: Self.pipeline)
        try repo.record()
        let missing = try repo.gitci(["logs", "HEAD", "lint"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no log of job 'lint'"))
        let step = try repo.gitci(["logs", "HEAD", "unit", "--step", "9"])
        #expect(step.status == 2)
        #expect(step.stderr.contains("has no step 9"))
    }
}
