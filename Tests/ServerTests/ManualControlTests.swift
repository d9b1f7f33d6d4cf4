import Foundation
import Testing
import TestSupport

/// `gitci rerun`, `gitci cancel`, `gitci trigger`, and `gitci status` showing builds that are
/// queued or running.
@Suite struct ManualControlTests {
    static let twoJobs = """
        jobs:
          lint:
            steps: ['echo "lint $GITCI_COMMIT" >> {scratch}/ran']
          test:
            needs: [lint]
            steps: ['echo "test $GITCI_COMMIT" >> {scratch}/ran']
          docs:
            steps: ['echo "docs $GITCI_COMMIT" >> {scratch}/ran']
        """

    @Test func rerunBuildsTheCommitAgainAndRerunOfAJobRunsItWithWhatItNeeds() throws {
        let fixture = try ServerFixture(pipeline: Self.twoJobs)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 1)

        let rerun = try fixture.gitci(["rerun", commit])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("queued"))
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 2)
        #expect(fixture.lines("ran").count == 6)

        let job = try fixture.gitci(["rerun", "main", "test"])
        #expect(job.status == 0, "\(job.stderr)")
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 3)
        #expect(Array(fixture.lines("ran").dropFirst(6)).sorted() == ["lint \(commit)", "test \(commit)"])
        // The rerun is the branch's build, like the push was.
        #expect(try fixture.pipelineRecords(commit).allSatisfy { $0["branch"] as? String == "main" })

        let unknown = try fixture.gitci(["rerun", commit, "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nope"))
    }

    @Test func statusShowsAQueuedBuildAndCancelDropsIt() throws {
        let fixture = try ServerFixture(pipeline: Self.twoJobs)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["-o", "ci.skip", "origin", "main"])
        try fixture.drain()
        // No worker may start it while the test looks.
        let lock = try HeldWorkerLock(fixture)
        let trigger = try fixture.gitci(["trigger", "main"])
        #expect(trigger.status == 0, "\(trigger.stderr)")

        let status = try fixture.gitci(["status", commit, "--json"])
        #expect(status.status == 3, "queued: neither passed nor failed yet")
        #expect(try fixture.document(status)["status"] as? String == "queued")
        let plain = try fixture.gitci(["status", commit])
        #expect(plain.stdout.contains("queued"), "\(plain.stdout)")
        #expect((try fixture.plans()["main"]?["last"] as? [String: Any])?["status"] as? String == "queued")

        let cancel = try fixture.gitci(["cancel", commit])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("cancelled 1 queued"), "\(cancel.stdout)")
        #expect(try fixture.status(commit)["status"] as? String != "queued")
        lock.release()
        try fixture.drain()
        #expect(fixture.lines("ran").isEmpty)
        #expect(try fixture.notes(commit).isEmpty)

        let nothing = try fixture.gitci(["cancel", commit])
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("nothing queued or running"))
    }

    @Test func aPushedCommitIsQueuedUntilTheWorkerBuildsIt() throws {
        let fixture = try ServerFixture(pipeline: Self.twoJobs)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        // The worker is held off: the push waits in the queue, as it does while a worker starts.
        let lock = try HeldWorkerLock(fixture)
        try fixture.pushOK(["origin", "main"])

        let status = try fixture.gitci(["status", commit, "--json"])
        #expect(status.status == 3, "queued: neither passed nor failed yet")
        #expect(try fixture.document(status)["status"] as? String == "queued")
        let plain = try fixture.gitci(["status", commit])
        #expect(plain.stdout.contains("queued"), "\(plain.stdout)")
        #expect(!plain.stdout.contains("no results recorded"), "\(plain.stdout)")

        // A push that asked for no build is not shown as waiting for one.
        try fixture.clone.git(["checkout", "-q", "-b", "docs"])
        let skipped = try fixture.clone.commit(["skip": "1"])
        try fixture.pushOK(["-o", "ci.skip", "origin", "docs"])
        #expect(try fixture.status(skipped)["status"] as? String == "none")

        lock.release()
        try fixture.drain()
        #expect(try fixture.status(commit)["status"] as? String == "passed")
    }

    @Test func statusShowsARunningBuildAndCancelStopsIt() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              slow:
                steps:
                  - |
                    touch {scratch}/started
                    sleep \(marker)
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.untilExists(fixture.scratch.url("started")))

        let status = try fixture.status(commit)
        #expect(status["status"] as? String == "running")
        let jobs = status["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.map { $0["name"] as? String } == ["slow"])
        #expect(jobs.first?["status"] as? String == "running")

        let cancel = try fixture.gitci(["cancel", commit])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["cancelled"])
        #expect(try fixture.status(commit)["status"] as? String == "cancelled")
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }

    @Test func triggerBuildsABranchTipAndRefusesAnUnknownBranch() throws {
        let fixture = try ServerFixture(pipeline: Self.twoJobs)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["-o", "ci.skip", "origin", "main"])
        try fixture.drain()
        #expect(try fixture.notes(commit).isEmpty)

        let trigger = try fixture.gitci(["trigger", "main"])
        #expect(trigger.status == 0, "\(trigger.stderr)")
        try fixture.drain()
        let records = try fixture.pipelineRecords(commit)
        #expect(records.map { $0["status"] as? String } == ["passed"])
        #expect(records.first?["branch"] as? String == "main")

        let unknown = try fixture.gitci(["trigger", "no-such-branch"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no-such-branch"))
    }
}
