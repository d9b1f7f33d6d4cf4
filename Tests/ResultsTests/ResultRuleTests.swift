import Foundation
import Testing
import TestSupport

/// Which record is a job's result once several machines' notes meet: a later run wins whatever
/// the clocks say, and a merged-in cancellation does not hide a pass.
@Suite struct ResultRuleTests {
    /// `unit` fails with `UNIT=fail`, and with `UNIT=hang` waits (for the test to stop it) after
    /// touching `$HANGING`.
    static let pipeline = """
        stages: [build, test]
        jobs:
          compile:
            stage: build
            steps: ["echo compiled"]
          unit:
            stage: test
            steps: ['if [ "$UNIT" = hang ]; then touch "$HANGING"; sleep 120; fi; test "$UNIT" != fail']
        """

    /// Rewrites every record of `commit`'s note as a machine whose clock is decades ahead would
    /// have written it: the same lines, dated 2099.
    private func dateInTheFuture(_ repository: ResultsRepository, _ commit: String) throws {
        let future = try repository.noteLines(commit).map { line in
            line.replacingOccurrences(of: #""started":"20\d\d-"#, with: #""started":"2099-"#, options: .regularExpression)
        }
        #expect(future.allSatisfy { $0.contains(#""started":"2099-"#) })
        try repository.git(["notes", "--ref=gitci", "add", "-f", "-m", future.joined(separator: "\n"), commit])
    }

    /// `gitci run --record` stopped with SIGTERM once `unit` runs: a real cancelled run.
    private func recordCancelledRun(_ repository: ResultsRepository) throws {
        let marker = repository.fixture.directory.url("hanging")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GitciBinary.path)
        process.arguments = ["run", "--record", "--jobs", "1"]
        process.currentDirectoryURL = URL(fileURLWithPath: repository.path)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["UNIT"] = "hang"
        environment["HANGING"] = marker
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker), Date() < deadline, process.isRunning {
            usleep(20_000)
        }
        process.terminate()
        try #require(ProcessTable.waitForExit(of: process, timeout: Shell.defaultTimeout), "gitci run did not stop after SIGTERM")
        #expect(process.terminationStatus == 1)
    }

    private func unitStatus(_ repository: ResultsRepository, _ commit: String) throws -> (overall: String?, unit: String?) {
        let status = try repository.status(commit)
        return (status.document["status"] as? String, jobStatuses(status.document)["unit"])
    }

    @Test func aLaterRunWinsOverAFutureDatedFailureAndAMergedCancellation() throws {
        let origin = try ResultsRepository(pipeline: Self.pipeline)
        let server = try Server(from: origin)
        let alice = try server.clone()
        let bob = try server.clone()
        let carol = try server.clone()
        let commit = try alice.head()

        // Alice's machine, its clock decades ahead, records a failing run and syncs it.
        try alice.record(unit: "fail", expect: 1)
        try dateInTheFuture(alice, commit)
        #expect(try alice.gitci(["sync"]).status == 0)

        // Bob and Carol both get it; then Bob reruns the commit and it passes: his run is the
        // result, though the clocks say Alice's finished 70 years later.
        #expect(try bob.gitci(["sync"]).status == 0)
        #expect(try carol.gitci(["sync", "--no-push"]).status == 0)
        try bob.record()
        let bobRecords = try bob.noteRecords(commit).filter { $0["started"] as? String ?? "" < "2099" }
        #expect(bobRecords.count == 3 && bobRecords.allSatisfy { $0["attempt"] as? Int == 2 }, "\(bobRecords)")
        #expect(try unitStatus(bob, commit) == ("passed", "passed"))

        // Carol, meanwhile and without Bob's notes, starts the same rerun and cancels it.
        try recordCancelledRun(carol)
        #expect(try unitStatus(carol, commit) == ("cancelled", "cancelled"))

        // Plain git merging Bob's notes and Carol's (cat_sort_uniq sorts the lines): the pass stands.
        let dave = try server.clone()
        try bob.git(["push", "-q", dave.path, "refs/notes/gitci:refs/notes/gitci"])
        try carol.git(["push", "-q", dave.path, "refs/notes/gitci:refs/notes/theirs"])
        try dave.git(["notes", "--ref=gitci", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/theirs"])
        #expect(try dave.noteLines(commit).count == 9)
        #expect(try unitStatus(dave, commit) == ("passed", "passed"))

        // Bob's notes and Carol's meet on the server through `gitci sync`: the same.
        #expect(try bob.gitci(["sync"]).status == 0)
        let merged = try carol.gitci(["sync"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try unitStatus(carol, commit) == ("passed", "passed"))
        #expect(try unitStatus(ResultsRepository(server.bare), commit) == ("passed", "passed"))
        #expect(try bob.gitci(["sync"]).status == 0)
        #expect(try unitStatus(bob, commit) == ("passed", "passed"))

        // And the index rebuilt from the notes alone gives the same answers.
        for repository in [carol, dave] {
            let log = try repository.gitci(["log", "--json"]).stdout
            #expect(try repository.gitci(["reindex"]).status == 0)
            #expect(try unitStatus(repository, commit) == ("passed", "passed"))
            #expect(try repository.gitci(["log", "--json"]).stdout == log)
            let commits = try jsonObject(log)["commits"] as? [[String: Any]] ?? []
            #expect(commits.first?["status"] as? String == "passed", "\(log)")
        }
    }

    @Test func eachRecordedRunOfACommitTakesTheNextAttempt() throws {
        let repository = try ResultsRepository(pipeline: Self.pipeline)
        let commit = try repository.head()
        try repository.record()
        try repository.record(["unit"], unit: "fail", expect: 1)
        let attempts = try repository.noteRecords(commit).map { "\($0["job"] as? String ?? "pipeline")@\($0["attempt"] as? Int ?? 0)" }
        #expect(attempts.sorted() == ["compile@1", "pipeline@1", "pipeline@2", "unit@1", "unit@2"])
        // The later run of `unit` alone is its result, and compile keeps its first.
        #expect(try unitStatus(repository, commit) == ("failed", "failed"))
        #expect(jobStatuses(try repository.status(commit).document)["compile"] == "passed")
    }
}
