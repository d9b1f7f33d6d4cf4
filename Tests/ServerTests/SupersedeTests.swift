import Foundation
import Testing
import TestSupport

/// A newer push to a branch makes its older, not yet started build pointless: it is
/// superseded. A running build is stopped only when its pipeline says `interruptible: true`.
@Suite struct SupersedeTests {
    /// Each build adds its commit to `{scratch}/built`.
    static let recordingPipeline = """
        jobs:
          hello:
            steps: ['echo "$GITCI_COMMIT" >> {scratch}/built']
        """

    @Test func aNewerPushSupersedesTheQueuedBuildOfItsBranchOnly() throws {
        let fixture = try ServerFixture(pipeline: Self.recordingPipeline)
        // Hold the worker off so that both pushes are queued before anything builds.
        let lock = try HeldWorkerLock(fixture)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.clone.git(["checkout", "-q", "-b", "other"])
        let other = try fixture.clone.commit(["other": "1"])
        try fixture.pushOK(["origin", "other"])
        try fixture.clone.git(["checkout", "-q", "main"])
        let second = try fixture.clone.commit(["more": "1"])
        try fixture.pushOK(["origin", "main"])
        lock.release()
        try fixture.drain()

        #expect(Set(fixture.lines("built")) == [other, second])
        #expect(fixture.lines("built").count == 2)
        #expect(try fixture.notes(first).isEmpty)
        #expect(try fixture.pipelineRecords(second).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.pipelineRecords(other).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.queue().latestBuild(of: first)?.state == .superseded)
        let main = try fixture.plans()["main"]?["last"] as? [String: Any]
        #expect(main?["commit"] as? String == second)
    }

    @Test func aPushSpooledBeforeANewerOneIsNotBuiltAfterIt() throws {
        let fixture = try ServerFixture(pipeline: Self.recordingPipeline)
        let lock = try HeldWorkerLock(fixture)
        // The first push moved main; the queue was locked, so its hook spooled the update.
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main"])
        let zero = String(repeating: "0", count: 40)
        try #"{"old":"\#(zero)","new":"\#(first)","ref":"refs/heads/main","options":[]}"#
            .appending("\n").write(toFile: fixture.stateFolder + "/spool.jsonl", atomically: false, encoding: .utf8)
        // The next push is queued; the worker moves the spooled update into the queue after it.
        let second = try fixture.clone.commit(["more": "1"])
        try fixture.pushOK(["origin", "main"])
        lock.release()
        try fixture.drain()

        #expect(fixture.lines("built") == [second])
        #expect(try fixture.queue().latestBuild(of: first)?.state == .superseded)
        let main = try fixture.plans()["main"]?["last"] as? [String: Any]
        #expect(main?["commit"] as? String == second)
        #expect(main?["status"] as? String == "passed")
    }

    /// A pipeline whose job blocks (until `{scratch}/release` exists) with a background
    /// `sleep MARKER` in its process group.
    static func blockingPipeline(marker: String, interruptible: Bool) -> String {
        """
        interruptible: \(interruptible)
        jobs:
          slow:
            steps:
              - |
                sleep \(marker) &
                touch {scratch}/started
                \(ServerFixture.waitFor("{scratch}/release"))
        """
    }

    @Test func aNewerPushInterruptsARunningInterruptibleBuild() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: Self.blockingPipeline(marker: marker, interruptible: true))
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.untilExists(fixture.scratch.url("started")))

        let second = try fixture.clone.commit([".gitci.yml": "jobs:\n  quick:\n    steps: [\"echo quick\"]\n"])
        try fixture.pushOK(["origin", "main"])
        let interrupted = await Poll.until(timeout: 30) { (try? fixture.status(first)["status"] as? String) == "cancelled" }
        #expect(interrupted)
        fixture.touch(fixture.scratch.url("release"))
        try fixture.drain()

        #expect(try fixture.pipelineRecords(first).map { $0["status"] as? String } == ["cancelled"])
        #expect(try fixture.pipelineRecords(second).map { $0["status"] as? String } == ["passed"])
        #expect(await ProcessTable.survivors(of: marker).isEmpty, "the interrupted step's processes are stopped")
    }

    @Test func aNewerPushLetsARunningBuildFinishByDefault() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: Self.blockingPipeline(marker: marker, interruptible: false))
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.untilExists(fixture.scratch.url("started")))

        let second = try fixture.clone.commit([".gitci.yml": "jobs:\n  quick:\n    steps: [\"echo quick\"]\n"])
        try fixture.pushOK(["origin", "main"])
        // Once the worker has taken in the second push, the first build was not asked to stop.
        let queue = try fixture.queue()
        #expect(await Poll.until(timeout: 30) { (try? queue.latestBuild(of: second)) != nil })
        #expect(try queue.latestBuild(of: first)?.cancelRequested == false)
        #expect(try fixture.status(first)["status"] as? String == "running")
        fixture.touch(fixture.scratch.url("release"))
        try fixture.drain()

        #expect(try fixture.pipelineRecords(first).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.pipelineRecords(second).map { $0["status"] as? String } == ["passed"])
        // The background sleep outlives the step by design; the job's end stops its group.
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }
}
