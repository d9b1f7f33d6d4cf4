import Foundation
import Testing
import TestSupport

/// The pre-receive hook's hint (PushHint): the worker starts a build as soon as git moves the
/// ref, and the post-receive hook's record of the same update is not built again, whichever of
/// the two the worker finds first.
@Suite struct PushHintTests {
    static let pipeline = """
        jobs:
          hello:
            steps: ["echo hello"]
        """

    static func line(_ old: String, _ new: String, _ branch: String) -> String {
        "\(old) \(new) refs/heads/\(branch)\n"
    }

    static let zero = String(repeating: "0", count: 40)

    /// Runs a hook as git would, with this test process as its parent: every hook run here
    /// belongs to the same "push".
    func runHook(_ fixture: ServerFixture, _ hook: String, input: String) throws {
        let result = try Shell.run([BuiltProduct.path("gitci-hook"), hook], in: fixture.serverPath,
                                   environment: ["GIT_DIR": "."], input: input)
        #expect(result.status == 0, "\(hook): \(result.stderr)")
    }

    /// `count(*)|sum(hinted)|count(DISTINCT push)` of the queue's events.
    func events(_ fixture: ServerFixture) throws -> String {
        try Shell.run(["sqlite3", fixture.stateFolder + "/queue.sqlite",
                       "SELECT count(*), coalesce(sum(hinted), 0), count(DISTINCT push) FROM events"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Checkouts the worker started ahead for hinted updates and left behind (PreparedCheckouts).
    func preparedCheckouts(_ fixture: ServerFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/workspaces")) ?? [])
            .filter { $0.hasPrefix(".prepared-") }
    }

    /// The hints waiting, not the file a read one left for the next (PushHint's `.spare`).
    func hintFiles(_ fixture: ServerFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/hints")) ?? []).filter { $0 != ".spare" }
    }

    @Test(.enabled(if: Shell.isAvailable("sqlite3")))
    func aRealPushNamesItsUpdatesAlikeInBothHooksAndIsBuiltOnce() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["-q", "origin", "main"])
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 1)
        // One row when the post-receive hook's record came first, two when the hint did; the
        // same push either way, named by the receive-pack that ran both hooks.
        let counts = try events(fixture).split(separator: "|")
        #expect(counts.count == 3 && counts[2] == "1", "events: \(counts)")
        #expect(hintFiles(fixture).isEmpty)
    }

    @Test(.enabled(if: Shell.isAvailable("sqlite3")))
    func aHintTakenUpBeforeThePushIsQueuedIsNotBuiltAgain() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:refs/gitci-test/main"])
        let lock = try HeldWorkerLock(fixture)
        try runHook(fixture, "pre-receive", input: Self.line(Self.zero, commit, "main"))
        #expect(hintFiles(fixture).count == 1)
        try fixture.server.git(["update-ref", "refs/heads/main", commit])
        lock.release()
        // Builds from the hint alone: the post-receive hook has not run yet.
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 1)
        #expect(try events(fixture) == "1|1|1")
        // The post-receive hook's record of the same update: taken, not built again.
        try runHook(fixture, "post-receive", input: Self.line(Self.zero, commit, "main"))
        try fixture.drain()
        #expect(try events(fixture) == "2|1|1")
        #expect(try fixture.pipelineRecords(commit).count == 1)
        #expect(hintFiles(fixture).isEmpty)
        #expect(preparedCheckouts(fixture).isEmpty)
    }

    @Test(.enabled(if: Shell.isAvailable("sqlite3")))
    func aHintWhoseUpdateWasQueuedFirstIsNotBuiltAgain() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main"])
        let lock = try HeldWorkerLock(fixture)
        try runHook(fixture, "pre-receive", input: Self.line(Self.zero, commit, "main"))
        try runHook(fixture, "post-receive", input: Self.line(Self.zero, commit, "main"))
        lock.release()
        // One round finds both: the queued record is built, the hint is dropped.
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 1)
        #expect(try events(fixture) == "1|0|1")
        #expect(preparedCheckouts(fixture).isEmpty)
    }

    @Test(.enabled(if: Shell.isAvailable("sqlite3")))
    func aHintedUpdateIsBuiltAfterAnOlderPushOfItsBranchThatIsStillPending() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        let lock = try HeldWorkerLock(fixture)
        try fixture.pushOK(["-q", "origin", "main"])
        // The next push to main: git has moved the ref, its post-receive hook has not run yet.
        let second = try fixture.clone.commit(["more.txt": "more"], message: "more")
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:refs/gitci-test/main"])
        try runHook(fixture, "pre-receive", input: Self.line(first, second, "main"))
        try fixture.server.git(["update-ref", "refs/heads/main", second])
        lock.release()
        // One round takes up the first push's record and the second's hint: the newer
        // supersedes the older, not the other way round.
        try fixture.drain()
        #expect(try fixture.pipelineRecords(second).count == 1)
        #expect(try fixture.notes(first).isEmpty)
        #expect(try fixture.queue().latestBuild(of: first)?.state == .superseded)
        let main = try fixture.plans()["main"]?["last"] as? [String: Any]
        #expect(main?["commit"] as? String == second)
    }

    @Test func aHintOfAnUpdateBuiltAlreadyLeavesNoCheckoutBehind() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main"])
        try runHook(fixture, "post-receive", input: Self.line(Self.zero, commit, "main"))
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 1)
        // The same update's hint, read only now: its checkout starts, and no build takes it.
        let lock = try HeldWorkerLock(fixture)
        try runHook(fixture, "pre-receive", input: Self.line(Self.zero, commit, "main"))
        lock.release()
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).count == 1)
        #expect(preparedCheckouts(fixture).isEmpty)
    }

    @Test func aPushOfManyBranchesChecksOutAheadOnlyWhatCanStartNow() async throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              slow:
                steps:
                  - |
                    touch {scratch}/started-$GITCI_COMMIT
                    \(ServerFixture.waitFor("{scratch}/release"))
            """)
        let lock = try HeldWorkerLock(fixture)
        var lines = "", commits: [String] = []
        for index in 0..<5 {
            let commit = try fixture.clone.commit(["branch.txt": "\(index)"], message: "branch \(index)")
            try fixture.server.git(["fetch", "-q", fixture.clone.path, "HEAD:refs/gitci-test/b\(index)"])
            lines += Self.line(Self.zero, commit, "b\(index)")
            commits.append(commit)
        }
        try runHook(fixture, "pre-receive", input: lines)
        for (index, commit) in commits.enumerated() {
            try fixture.server.git(["update-ref", "refs/heads/b\(index)", commit])
        }
        lock.release()
        // One build at a time: while the first runs, the other four wait in the queue, and no
        // checkout of theirs is made ahead to wait with them.
        let worker = try fixture.startWorker(["--once", "--builds", "1"])
        defer { if worker.isRunning { worker.terminate() } }
        let started = await Poll.until(timeout: 30) {
            commits.contains { FileManager.default.fileExists(atPath: fixture.scratch.url("started-\($0)")) }
        }
        #expect(started)
        #expect(preparedCheckouts(fixture).isEmpty, "\(preparedCheckouts(fixture))")
        fixture.touch(fixture.scratch.url("release"))
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        for commit in commits {
            #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        }
    }

    @Test func anOlderPushRecordedOnlyAfterTheNextPushWasTakenUpIsNotBuilt() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        let second = try fixture.clone.commit(["more.txt": "more"], message: "more")
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:refs/gitci-test/main"])
        // The first push moved main to `first`, and its post-receive hook is slow; the second
        // push's hint is taken up and built meanwhile (by the worker `drain` runs).
        let lock = try HeldWorkerLock(fixture)
        try fixture.server.git(["update-ref", "refs/heads/main", first])
        try runHook(fixture, "pre-receive", input: Self.line(first, second, "main"))
        try fixture.server.git(["update-ref", "refs/heads/main", second])
        lock.release()
        try fixture.drain()
        #expect(try fixture.pipelineRecords(second).count == 1)
        // Then the first push's record arrives (the worker it starts says why it builds nothing).
        try runHook(fixture, "post-receive", input: Self.line(Self.zero, first, "main"))
        try fixture.drain()
        let log = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(log.contains("refs/heads/main was moved to \(second.prefix(10)) before its push of \(first.prefix(10))"), "\(log)")
        #expect(try fixture.notes(first).isEmpty)
        #expect(try fixture.queue().latestBuild(of: first)?.state == .superseded)
        let main = try fixture.plans()["main"]?["last"] as? [String: Any]
        #expect(main?["commit"] as? String == second)
        #expect(main?["status"] as? String == "passed")
    }

    @Test(.enabled(if: Shell.isAvailable("sqlite3")))
    func aHintWhoseRefWentElsewhereBuildsNothing() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let hinted = try fixture.clone.git(["rev-parse", "HEAD"])
        let other = try fixture.clone.commit(["other.txt": "other"], message: "other")
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:refs/gitci-test/main"])
        let lock = try HeldWorkerLock(fixture)
        try runHook(fixture, "pre-receive", input: Self.line(Self.zero, hinted, "main"))
        // Another push moved the branch first; this push's update of it then failed.
        try fixture.server.git(["update-ref", "refs/heads/main", other])
        lock.release()
        try fixture.drain()
        #expect(try fixture.notedCommits().isEmpty)
        #expect(try events(fixture) == "0|0|0")
        #expect(hintFiles(fixture).isEmpty)
    }

    @Test func staleHintsAndFilesThatAreNoHintsAreRemovedUnbuilt() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main"])
        let hints = fixture.stateFolder + "/hints"
        try FileManager.default.createDirectory(atPath: hints, withIntermediateDirectories: true)
        // A hint of a push long gone (its ref was since updated, as this one), and what no
        // hook writes: a hint of a name no hook gives, nonsense, a pipe, a link, a folder.
        try Self.line(Self.zero, commit, "main").write(toFile: hints + "/100-200", atomically: false, encoding: .utf8)
        let old = Date().addingTimeInterval(-120)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: hints + "/100-200")
        try Self.line(Self.zero, commit, "main").write(toFile: hints + "/not-a-push", atomically: false, encoding: .utf8)
        try "$(touch pwned)\n".write(toFile: hints + "/300-400", atomically: false, encoding: .utf8)
        #expect(mkfifo(hints + "/500-600", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: hints + "/700-800", withDestinationPath: "/etc/passwd")
        try FileManager.default.createDirectory(atPath: hints + "/900-1000", withIntermediateDirectories: false)
        let worker = try fixture.gitci(["worker", "--once"])
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(try fixture.notedCommits().isEmpty)
        #expect(hintFiles(fixture) == ["900-1000"])
        #expect(!FileManager.default.fileExists(atPath: fixture.serverPath + "/pwned"))
        let log = worker.stderr
        for name in ["not-a-push", "300-400", "500-600", "700-800"] {
            #expect(log.contains("removed \(hints)/\(name), which is not a push hint"), "\(name): \(log)")
        }
    }
}
