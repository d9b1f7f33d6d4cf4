import Foundation
import Testing
import TestSupport

/// `gitci cancel` of a build whose worker was killed: the worker it starts stops what the build
/// left running and ends it cancelled, without running its steps again first.
@Suite struct OrphanCancelTests {
    @Test func aCancelledOrphanEndsCancelledWithoutRunningAgain() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              block:
                steps:
                  - |
                    echo run >> {scratch}/runs
                    touch {scratch}/started
                    sleep \(marker)
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.untilExists(fixture.scratch.url("started")))
        let queue = try fixture.queue()
        let build = try #require(try queue.latestBuild(of: commit))
        #expect(await Poll.until { !((try? queue.processGroups(of: [build.id])) ?? []).isEmpty })

        let pidText = try String(contentsOfFile: fixture.stateFolder + "/worker.lock", encoding: .utf8)
        let worker = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(worker, SIGKILL) == 0)
        #expect(await Poll.until { ProcessTable.hasExited(worker) })

        // The cancel starts a worker, none running: that one ends the build.
        let cancel = try fixture.gitci(["cancel", commit])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(await Poll.until(timeout: 60) { (try? queue.build(build.id))?.state == .cancelled }, "ended without a push")
        let drain = try fixture.gitci(["worker", "--once"])
        #expect(drain.status == 0, "\(drain.stderr)")
        let workerLog = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect((workerLog + drain.stderr).contains("build \(build.id) of \(commit.prefix(10)) lost its worker; cancelled, as asked"),
                "\(workerLog)\(drain.stderr)")

        #expect(fixture.lines("runs") == ["run"], "the step did not run again")
        let after = try #require(try queue.build(build.id))
        #expect(after.state == .cancelled)
        #expect(after.attempt == 1)
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["cancelled"])
        #expect(try fixture.status(commit)["status"] as? String == "cancelled")
        #expect(await ProcessTable.survivors(of: marker, timeout: 2).isEmpty, "the killed build's step was stopped")
        #expect(try queue.processGroups(of: [build.id]).isEmpty)
    }
}
