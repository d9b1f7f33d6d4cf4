import Foundation
import Testing
import TestSupport

/// A worker a push started stays for `gitci.workerLinger` once its builds are done, so that the
/// next push finds it running (and saves starting one); `gitci worker --once` does not wait
/// for it to go.
@Suite struct WorkerLingerTests {
    static let pipeline = """
        jobs:
          build:
            steps: ["true"]
        """

    /// The pid in the worker lock while a worker holds it.
    static func lockHolder(_ fixture: ServerFixture) -> Int32? {
        guard let text = try? String(contentsOfFile: fixture.stateFolder + "/worker.lock", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0
    }

    @Test func theWorkerAPushStartedBuildsTheNextPushToo() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.server.git(["config", "gitci.workerLinger", "2m"])
        try fixture.pushOK(["-q", "origin", "main"])
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.pipelineRecords(first).isEmpty) == false },
                "the first push was not built")
        let worker = try #require(Self.lockHolder(fixture))
        defer { kill(worker, SIGTERM) }
        // Its builds are done, and it is still there.
        try await Task.sleep(for: .milliseconds(300))
        #expect(Self.isAlive(worker))

        try fixture.clone.commit(["second.txt": "2"], message: "second")
        try fixture.pushOK(["-q", "origin", "main"])
        let second = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.pipelineRecords(second).isEmpty) == false },
                "the second push was not built")
        #expect(Self.lockHolder(fixture) == worker, "another worker was started for the second push")
        let log = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(log.components(separatedBy: "running 1 jobs").count == 3, "one worker ran both builds: \(log)")

        // `--once` finds nothing left to build and returns, leaving the lingering worker be.
        let started = Date()
        try fixture.drain()
        #expect(Date().timeIntervalSince(started) < 30, "gitci worker --once waited for the lingering worker")
        #expect(Self.isAlive(worker))
    }

    @Test func onceWaitsForWhatTheLingeringWorkerStillBuilds() async throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              build:
                steps: ["\(ServerFixture.waitFor("{scratch}/go"))", "touch {scratch}/built"]
            """)
        try fixture.server.git(["config", "gitci.workerLinger", "2m"])
        try fixture.pushOK(["-q", "origin", "main"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(await Poll.until(timeout: 60) { Self.lockHolder(fixture) != nil })
        let worker = try #require(Self.lockHolder(fixture))
        defer { kill(worker, SIGTERM) }

        let drain = Task { try fixture.gitci(["worker", "--once"]) }
        try await Task.sleep(for: .milliseconds(500))
        fixture.touch(fixture.scratch.url("go"))
        let result = try await drain.value
        #expect(result.status == 0, "\(result.stderr)")
        // It returned only once the build was done and recorded.
        #expect(FileManager.default.fileExists(atPath: fixture.scratch.url("built")))
        #expect(try fixture.status(commit)["status"] as? String == "passed")
        #expect(Self.isAlive(worker))
    }

    @Test func aWorkerLingerThatIsNotADurationIsReportedAndTheDefaultKept() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.server.git(["config", "gitci.workerLinger", "$(soon)"])
        try fixture.pushOK(["-q", "origin", "main"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.pipelineRecords(commit).isEmpty) == false })
        let worker = Self.lockHolder(fixture)
        defer { if let worker { kill(worker, SIGTERM) } }
        let log = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(log.contains("gitci.workerLinger '$(soon)' is not a duration"), "\(log)")
        #expect(worker.map(Self.isAlive) == true, "the worker did not stay the default 30 s")
    }

    @Test func aWorkerLingerOfZeroExitsOnceTheQueueIsEmpty() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        // ServerFixture sets 0: the worker the push starts lets go of the lock when done.
        try fixture.pushOK(["-q", "origin", "main"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.pipelineRecords(commit).isEmpty) == false })
        #expect(await Poll.until(timeout: 30) {
            guard let pid = Self.lockHolder(fixture) else { return true }
            return !Self.isAlive(pid)
        }, "the worker stayed although gitci.workerLinger is 0")
    }

    @Test func theBuildsOfAWorkerAPushStartedRunBehindGit() async throws {
        // Niceness 10, whatever libdispatch does to the priorities of the worker's own threads.
        // It is given to the step's group just after the step starts: read once it runs.
        let fixture = try ServerFixture(pipeline: """
            jobs:
              build:
                steps: ["sleep 0.3; nice > {scratch}/niceness"]
            """)
        try fixture.pushOK(["-q", "origin", "main"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(await Poll.until(timeout: 60) { (try? fixture.pipelineRecords(commit).isEmpty) == false })
        let niceness = try String(contentsOfFile: fixture.scratch.url("niceness"), encoding: .utf8)
        #expect(niceness.trimmingCharacters(in: .whitespacesAndNewlines) == "10")
    }
}
