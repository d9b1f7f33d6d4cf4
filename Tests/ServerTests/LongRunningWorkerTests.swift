import Foundation
import Testing
import TestSupport

/// `gitci worker` run as a service: it stays up between pushes, and a hook that finds it
/// running hands it the push (and nudges it) instead of starting another worker.
@Suite struct LongRunningWorkerTests {
    @Test func aRunningWorkerBuildsEveryPushWithoutAnotherWorkerStarting() async throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              build:
                steps: ["true"]
            """)
        let worker = try fixture.startWorker()
        defer { fixture.stop(worker) }
        #expect(await Poll.until { FileManager.default.fileExists(atPath: fixture.stateFolder + "/worker.lock")
            && ((try? String(contentsOfFile: fixture.stateFolder + "/worker.lock", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines) == String(worker.processIdentifier) })

        try fixture.pushOK(["-q", "origin", "main"])
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.clone.commit(["second.txt": "2"], message: "second")
        try fixture.pushOK(["-q", "origin", "main"])
        let second = try fixture.clone.git(["rev-parse", "HEAD"])

        for commit in [first, second] {
            let built = await Poll.until(timeout: 60) {
                (try? fixture.gitci(["status", commit]).status) == 0
            }
            #expect(built, "commit \(commit.prefix(10)) was not built by the running worker")
        }
        // Every build ran under the one long-running worker: a worker the hook starts logs to
        // worker.log, and none did.
        #expect(worker.isRunning)
        let spawnedLog = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(!spawnedLog.contains("running"), "a second worker was started: \(spawnedLog)")
    }

    /// A hook nudges whichever process holds the worker lock; one nudged the moment it took the
    /// lock, still starting, must not die of it (SIGUSR1's default action) and leave the push
    /// unbuilt.
    @Test func aWorkerNudgedAsItTakesTheLockKeepsRunning() async throws {
        let fixture = try ServerFixture(pipeline: nil)
        let lockPath = fixture.stateFolder + "/worker.lock"
        for _ in 0..<3 {
            try? FileManager.default.removeItem(atPath: lockPath)
            let worker = try fixture.startWorker()
            defer { fixture.stop(worker) }
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, (try? String(contentsOfFile: lockPath, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) != String(worker.processIdentifier) {}
            kill(worker.processIdentifier, SIGUSR1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(worker.isRunning, "the worker died of a nudge as it started")
        }
    }
}
