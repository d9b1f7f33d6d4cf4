import Foundation
import Store
import Testing
import TestSupport

/// `gitci-hook`, the lean program the installed post-receive hook runs: it queues a plain push
/// on its own and hands everything else to `gitci hook post-receive`, without losing a line.
@Suite struct LeanHookTests {
    static let pipeline = """
        jobs:
          hello:
            steps: ["echo hello"]
        """

    static func line(_ commit: String, _ branch: String) -> String {
        "\(String(repeating: "0", count: 40)) \(commit) refs/heads/\(branch)\n"
    }

    func runHook(_ fixture: ServerFixture, input: String, hook: String = BuiltProduct.path("gitci-hook"),
                 arguments: [String] = ["post-receive"]) throws -> CommandResult {
        try Shell.run([hook] + arguments, in: fixture.serverPath, environment: ["GIT_DIR": "."], input: input)
    }

    /// A copy of gitci-hook with no gitci beside it: whatever it cannot do alone fails loudly.
    func loneHook(in folder: TemporaryDirectory) throws -> String {
        let copy = folder.url("gitci-hook")
        try FileManager.default.copyItem(atPath: BuiltProduct.path("gitci-hook"), toPath: copy)
        return copy
    }

    @Test func aPlainPushIsQueuedByTheLeanHookAlone() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let lock = try HeldWorkerLock(fixture)
        defer { lock.release() }
        let folder = TemporaryDirectory("gitci-lone-hook")

        let result = try runHook(fixture, input: Self.line(commit, "feature/x") + Self.line(commit, "main"),
                                 hook: try loneHook(in: folder))
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let pending = try fixture.queue().pendingEvents().map(\.event)
        #expect(pending.map(\.ref) == ["refs/heads/feature/x", "refs/heads/main"])
        #expect(pending.allSatisfy { $0.new == commit && $0.isCreation && $0.options.isEmpty })
    }

    @Test func whatItDoesNotHandleIsHandedToGitciWithTheWholeInput() throws {
        // A malformed line is gitci's to report; behind it, more input than a pipe holds.
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let lock = try HeldWorkerLock(fixture)
        defer { lock.release() }
        let branches = (0..<1000).map { "many\($0)" }
        let input = "garbage line\n" + branches.map { Self.line(commit, $0) }.joined()
        #expect(input.utf8.count > 65536)

        let result = try runHook(fixture, input: input)
        #expect(result.status == 0)
        #expect(result.stderr.contains("gitci: ignoring a malformed hook line"), "\(result.stderr)")
        let pending = try fixture.queue().pendingEvents(limit: 5000).map(\.event.ref)
        #expect(pending == branches.map { "refs/heads/\($0)" })
    }

    @Test func withoutGitciBesideItAHandOverIsReportedAndThePushStillSucceeds() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: fixture.stateFolder + "/queue.sqlite" + suffix) }
        let folder = TemporaryDirectory("gitci-lone-hook")

        let result = try runHook(fixture, input: Self.line(commit, "main"), hook: try loneHook(in: folder))
        #expect(result.status == 0)
        #expect(result.stderr.contains("gitci: cannot run \(folder.url("gitci"))"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.stateFolder + "/queue.sqlite"), "it never creates the queue")
    }

    @Test func anythingButPostReceiveIsAUsageError() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let result = try runHook(fixture, input: "", arguments: ["pre-receive"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("usage: gitci-hook post-receive"), "\(result.stderr)")
    }

    @Test func theInstalledHookRunsTheLeanHookWhenItIsInstalledBesideGitci() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let hook = try String(contentsOfFile: fixture.serverPath + "/hooks/post-receive", encoding: .utf8)
        let gitci = BuiltProduct.path("gitci")
        #expect(hook.contains("GITCI='\(gitci)'"))
        #expect(FileManager.default.isExecutableFile(atPath: gitci + "-hook"))
        // Run the installed script with a shell that records what it execs.
        let trace = try Shell.run(["sh", "-x", fixture.serverPath + "/hooks/post-receive"], in: fixture.serverPath,
                                  environment: ["GIT_DIR": "."], input: "")
        #expect(trace.stderr.contains("exec \(gitci)-hook post-receive"), "\(trace.stderr)")
    }
}
