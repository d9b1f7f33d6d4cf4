import Foundation
import Store
import Testing
import TestSupport

/// What `gitci status` says of a pushed commit whose build did not end with results: superseded,
/// failed to start, lost, or stopped because its branch was deleted; and its exit status while
/// it builds.
@Suite struct EndedBuildTests {
    static let quick = """
        jobs:
          hello:
            steps: ["echo hello"]
        """

    @Test func aSupersededPushShowsAsSuperseded() throws {
        let fixture = try ServerFixture(pipeline: Self.quick)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        let lock = try HeldWorkerLock(fixture)
        try fixture.pushOK(["origin", "main"])
        let second = try fixture.clone.commit(["b": "2"])
        try fixture.pushOK(["origin", "main"])
        lock.release()
        try fixture.drain()
        #expect(try fixture.notes(first).isEmpty)

        let json = try fixture.gitci(["status", first, "--json"])
        #expect(json.status == 1)
        #expect(try fixture.document(json)["status"] as? String == "superseded")
        #expect(try fixture.document(json)["branch"] as? String == "main")
        let text = try fixture.gitci(["status", first])
        #expect(text.status == 1)
        #expect(text.stdout.contains("superseded by \(second.prefix(10))"), "\(text.stdout)")
        #expect(!text.stdout.contains("no results"), "\(text.stdout)")
        #expect(try fixture.status(second)["status"] as? String == "passed")
    }

    @Test func aBuildWhoseResultsNeverReachedTheNotesShowsAsLost() throws {
        let fixture = try ServerFixture(pipeline: Self.quick)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try fixture.status(commit)["status"] as? String == "passed")
        // The results are gone from git (a rewritten notes ref), the queue remembers the build.
        try fixture.server.git(["update-ref", "-d", "refs/notes/gitci"])

        let json = try fixture.gitci(["status", commit, "--json"])
        #expect(json.status == 1)
        #expect(try fixture.document(json)["status"] as? String == "lost")
        let text = try fixture.gitci(["status", commit])
        #expect(text.stdout.contains("lost"), "\(text.stdout)")
        #expect(text.stdout.contains("refs/notes/gitci"), "\(text.stdout)")
        #expect(!text.stdout.contains("no results"), "\(text.stdout)")
        #expect((try fixture.plans()["main"]?["last"] as? [String: Any])?["status"] as? String == "lost")
    }

    @Test func aBuildThatCouldNotStartShowsAsFailedWithItsReasonNotLost() throws {
        let fixture = try ServerFixture(pipeline: Self.quick)
        try fixture.clone.git(["rm", "-q", ".gitci.yml"])
        try fixture.clone.git(["commit", "-q", "-m", "no pipeline"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        // Asked for by hand, it cannot start: there is no pipeline at the commit.
        let rerun = try fixture.gitci(["rerun", commit])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        try fixture.drain()

        let json = try fixture.gitci(["status", commit, "--json"])
        #expect(json.status == 1)
        #expect(try fixture.document(json)["status"] as? String == "failed")
        #expect((try fixture.document(json)["reason"] as? String)?.contains(".gitci.yml") == true, "\(json.stdout)")
        let text = try fixture.gitci(["status", commit])
        #expect(text.status == 1)
        #expect(text.stdout.contains("failed: it could not start"), "\(text.stdout)")
        #expect(text.stdout.contains(".gitci.yml"), "\(text.stdout)")
        #expect(!text.stdout.contains("lost"), "\(text.stdout)")
    }

    @Test func deletingABranchStopsItsRunningBuildAndFreesItsSlot() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              slow:
                steps:
                  - |
                    sleep \(marker) &
                    touch {scratch}/started-$GITCI_BRANCH
                    \(ServerFixture.waitFor("{scratch}/release"))
            """)
        // One build at a time: a build the deleted branch kept would hold up every other one.
        try fixture.server.git(["config", "gitci.workerBuilds", "1"])
        fixture.touch(fixture.scratch.url("release"))
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        try FileManager.default.removeItem(atPath: fixture.scratch.url("release"))

        try fixture.clone.git(["checkout", "-q", "-b", "doomed"])
        let doomed = try fixture.clone.commit(["d": "1"])
        let worker = try fixture.startWorker()
        defer { fixture.stop(worker) }
        try fixture.pushOK(["origin", "doomed"])
        #expect(await Poll.untilExists(fixture.scratch.url("started-doomed")))
        let running = try fixture.gitci(["status", doomed, "--json"])
        #expect(running.status == 3, "running: neither passed nor failed yet")
        #expect(try fixture.document(running)["status"] as? String == "running")

        try fixture.pushOK(["origin", "--delete", "doomed"])
        let stopped = await Poll.until(timeout: 60) { (try? fixture.status(doomed)["status"] as? String) == "cancelled" }
        #expect(stopped, "the deleted branch's build is stopped")
        #expect(await ProcessTable.survivors(of: marker).isEmpty, "its processes are stopped")

        // Its slot is free: a push of main builds while nothing releases the deleted branch's step.
        try fixture.clone.git(["checkout", "-q", "main"])
        let next = try fixture.clone.commit([".gitci.yml": Self.quick])
        try fixture.pushOK(["origin", "main"])
        let built = await Poll.until(timeout: 60) { (try? fixture.status(next)["status"] as? String) == "passed" }
        #expect(built)

        // `gitci status` of the deleted branch shows its plan branch's last build.
        let text = try fixture.gitci(["status", "doomed"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("retired"), "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains(String(doomed.prefix(10))), "\(text.stdout)")
        #expect(text.stdout.contains("cancelled"), "\(text.stdout)")
        #expect(!text.stderr.contains("unknown revision"), "\(text.stderr)")
        let json = try fixture.document(fixture.gitci(["status", "doomed", "--json"]))
        #expect(json["commit"] as? String == doomed)
        #expect(json["status"] as? String == "cancelled")
        fixture.touch(fixture.scratch.url("release"))
    }
}
