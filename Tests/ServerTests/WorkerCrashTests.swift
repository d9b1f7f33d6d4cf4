import Foundation
import Testing
import TestSupport

/// A worker killed with `kill -9` loses nothing: the next worker finds its build orphaned,
/// stops what its steps left running, builds it again, and records the result exactly once.
@Suite struct WorkerCrashTests {
    @Test func aBuildWhoseWorkerWasKilledIsRunAgainAndRecordedOnce() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              block:
                steps:
                  - |
                    echo attempt >> {scratch}/attempts
                    if [ ! -e {scratch}/second-attempt ]; then
                      touch {scratch}/started
                      sleep \(marker)
                    fi
            """)
        // Unsandboxed, a step outlives a killed worker (a sandboxed one dies with it:
        // SandboxTests): this is the successor's hunt for such orphans.
        try fixture.server.git(["config", "gitci.sandbox", "off"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.untilExists(fixture.scratch.url("started")))

        // The step's process group is on record before the worker dies (what the next worker
        // stops); the worker's pid is in its lock file.
        let queue = try fixture.queue()
        let build = try #require(try queue.latestBuild(of: commit))
        #expect(await Poll.until { !((try? queue.processGroups(of: [build.id])) ?? []).isEmpty })
        let pidText = try String(contentsOfFile: fixture.stateFolder + "/worker.lock", encoding: .utf8)
        let worker = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let commandLine = String(decoding: FileManager.default.contents(atPath: "/proc/\(worker)/cmdline") ?? Data(), as: UTF8.self)
        #expect(commandLine.contains("worker"), "pid \(worker) is gitci's worker")
        #expect(kill(worker, SIGKILL) == 0)
        #expect(await Poll.until { ProcessTable.hasExited(worker) })
        // Its step runs on, orphaned: nobody but the next worker knows about it.
        #expect(!ProcessTable.processes(containing: "sleep \(marker)").isEmpty)

        fixture.touch(fixture.scratch.url("second-attempt"))
        try fixture.drain()

        #expect(fixture.lines("attempts").count == 2)
        let records = try fixture.pipelineRecords(commit)
        #expect(records.map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.notes(commit).filter { $0["kind"] as? String == "job" }.count == 1)
        let after = try #require(try queue.build(build.id))
        #expect(after.state == .finished)
        #expect(after.attempt == 2)
        #expect(after.lostAttempts == 1)
        // The retry recorded under the run id the lost attempt had.
        #expect(after.runID != nil && records.first?["pipeline"] as? String == after.runID)
        #expect(await ProcessTable.survivors(of: marker, timeout: 2).isEmpty, "the killed build's steps were stopped")
        #expect(try fixture.status(commit)["status"] as? String == "passed")
    }

    @Test func aBuildWhoseResultsWereWrittenBeforeItsWorkerDiedIsNotRecordedTwice() throws {
        // The worst moment to die: notes written, queue not yet told. The queue is put back in
        // that state by hand (no signal can hit that window reliably).
        let fixture = try ServerFixture(pipeline: """
            jobs:
              once:
                steps: ["echo attempt >> {scratch}/attempts"]
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let build = try #require(try fixture.queue().latestBuild(of: commit))
        #expect(build.state == .finished)

        // The worker a push started may still be leaving (its last writes): wait for them.
        let reset = try Shell.run(["sqlite3", "-cmd", ".timeout 10000", fixture.stateFolder + "/queue.sqlite",
                                   "UPDATE builds SET state = 'running', result = NULL, finished = NULL WHERE id = \(build.id)"])
        #expect(reset.status == 0, "\(reset.stderr)")
        try fixture.drain()

        #expect(fixture.lines("attempts").count == 1, "the steps did not run again")
        #expect(try fixture.pipelineRecords(commit).count == 1)
        let after = try #require(try fixture.queue().build(build.id))
        #expect(after.state == .finished)
        #expect(after.result == "passed")
        #expect(after.lostAttempts == 1)
        #expect(after.runID == build.runID)
    }

    /// Only the worker lock's holder runs builds, so a build the queue says runs that no task of
    /// the holder runs has lost its worker, whenever the holder comes upon it: here a worker
    /// that has run a build already, long past its start (where orphans were looked for before),
    /// finds one. It used to take it for work of its own, never idle again, and keep every
    /// `worker --once` waiting for it to drain the queue.
    @Test func aWorkerHoldingTheLockTakesUpABuildThatLosesItsWorkerWhileItRuns() async throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              once:
                steps: ["echo attempt >> {scratch}/attempts"]
            """)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let orphan = try #require(try fixture.queue().latestBuild(of: first))

        let worker = try fixture.startWorker()
        defer { fixture.stop(worker) }
        #expect(await Poll.until(timeout: 60) { fixture.lockHolder() == worker.processIdentifier })
        // A build of its own first: then it is in its loop, past the look for orphans at its start.
        let second = try fixture.clone.commit(["second.txt": "2"], message: "second")
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.queue().latestBuild(of: second))?.state == .finished })

        // What a worker killed between writing the notes and telling the queue leaves behind.
        let reset = try Shell.run(["sqlite3", "-cmd", ".timeout 10000", fixture.stateFolder + "/queue.sqlite",
                                   "UPDATE builds SET state = 'running', result = NULL, finished = NULL WHERE id = \(orphan.id)"])
        #expect(reset.status == 0, "\(reset.stderr)")
        let recovered = await Poll.until(timeout: 60) { (try? fixture.queue().build(orphan.id))?.state == .finished }
        try #require(recovered, "the worker holding the lock left a build that lost its worker running")
        #expect(worker.isRunning, "the worker is a service: it stays")
        try fixture.drain()

        #expect(fixture.lines("attempts").count == 2, "each commit's step ran once")
        #expect(try fixture.pipelineRecords(first).count == 1)
        let after = try #require(try fixture.queue().build(orphan.id))
        #expect(after.result == "passed")
        #expect(after.lostAttempts == 1)
    }

    /// The same, for the worker a push started, lingering: it used to loop on the build for ever
    /// instead of leaving once its linger was over.
    @Test func aLingeringWorkerAPushStartedTakesUpABuildThatLostItsWorkerAndLeaves() async throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              once:
                steps: ["echo attempt >> {scratch}/attempts"]
            """)
        // Long enough for the test to put the build back before the worker leaves.
        try fixture.server.git(["config", "gitci.workerLinger", "10"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.queue().latestBuild(of: commit))?.state == .finished })
        let build = try #require(try fixture.queue().latestBuild(of: commit))
        let worker = try #require(fixture.lockHolder())
        #expect(ProcessTable.commandLine(of: worker).contains("--started-by-hook"))

        let reset = try Shell.run(["sqlite3", "-cmd", ".timeout 10000", fixture.stateFolder + "/queue.sqlite",
                                   "UPDATE builds SET state = 'running', result = NULL, finished = NULL WHERE id = \(build.id)"])
        #expect(reset.status == 0, "\(reset.stderr)")
        try #require(!ProcessTable.hasExited(worker), "the worker was still lingering when the build lost its worker")

        #expect(await Poll.until(timeout: 60) { (try? fixture.queue().build(build.id))?.state == .finished },
                "the lingering worker left a build that lost its worker running")
        #expect(await Poll.until(timeout: 90) { ProcessTable.hasExited(worker) }, "the worker never left")
        #expect(fixture.lines("attempts").count == 1, "the step did not run again")
        #expect(try fixture.queue().build(build.id)?.lostAttempts == 1)
    }
}
