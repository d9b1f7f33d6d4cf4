import Foundation
import Testing
import TestSupport

/// Whatever is wrong with gitci's state on the server, a push goes through: the pusher is told
/// in a `remote: gitci: …` line, and nothing crashes.
@Suite struct HookFailureTests {
    static let pipeline = """
        jobs:
          hello:
            steps: ["echo hello"]
        """

    /// The push went through, the server's branch moved, and gitci explained itself without
    /// crashing.
    func expectPushedDespiteGitci(_ push: CommandResult, _ fixture: ServerFixture, commit: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(push.status == 0, "\(push.stderr)", sourceLocation: sourceLocation)
        #expect(try fixture.server.git(["rev-parse", "refs/heads/main"]) == commit, sourceLocation: sourceLocation)
        let remoteLines = push.stderr.split(separator: "\n").filter { $0.hasPrefix("remote:") }
        #expect(remoteLines.contains { $0.hasPrefix("remote: gitci: ") }, "\(push.stderr)", sourceLocation: sourceLocation)
        for crash in ["Fatal error", "Backtrace", "Segmentation", "Illegal instruction", "core dumped"] {
            #expect(!push.stderr.contains(crash), "\(push.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func aMissingStateFolderDoesNotFailThePush() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try FileManager.default.removeItem(atPath: fixture.stateFolder)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])

        let push = try fixture.push(["origin", "main"])
        try expectPushedDespiteGitci(push, fixture, commit: commit)
        #expect(push.stderr.contains("gitci install"), "the message says how to repair: \(push.stderr)")
        // The hook does not recreate the folder behind the administrator's back.
        #expect(!FileManager.default.fileExists(atPath: fixture.stateFolder))
    }

    @Test func aStateFolderThatIsAFileDoesNotFailThePush() throws {
        // What really fails for root too: nothing can be created inside a regular file.
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try FileManager.default.removeItem(atPath: fixture.stateFolder)
        try Data("not a folder\n".utf8).write(to: URL(fileURLWithPath: fixture.stateFolder))
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])

        let push = try fixture.push(["origin", "main"])
        try expectPushedDespiteGitci(push, fixture, commit: commit)
        #expect(push.stderr.contains("is a file, not a folder"), "\(push.stderr)")
        #expect(try String(contentsOfFile: fixture.stateFolder, encoding: .utf8) == "not a folder\n")
    }

    @Test func anUnusableQueueSpoolsThePushAndItIsBuiltLater() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        // A folder where the queue's database should be: SQLite cannot open it, even as root.
        let queuePath = fixture.stateFolder + "/queue.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: queuePath + suffix) }
        try FileManager.default.createDirectory(atPath: queuePath, withIntermediateDirectories: false)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        // No worker while the queue is broken: it is repaired before anything drains.
        let lock = try HeldWorkerLock(fixture)

        let push = try fixture.push(["origin", "main"])
        try expectPushedDespiteGitci(push, fixture, commit: commit)
        #expect(push.stderr.contains("spooled"), "\(push.stderr)")

        try FileManager.default.removeItem(atPath: queuePath)
        lock.release()
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.plans()["main"]?["state"] as? String == "active")
    }

    @Test func aQueueLockedByAnotherProcessSpoolsThePushAfterOneWait() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let workerLock = try HeldWorkerLock(fixture)
        // sqlite3 holds the queue's write lock until the push is done: longer than the lean hook
        // waits (2 s), however slow the machine is.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["sqlite3", fixture.stateFolder + "/queue.sqlite"]
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        let locked = fixture.scratch.url("locked")
        let release = fixture.scratch.url("release")
        input.fileHandleForWriting.write(Data(".timeout 5000\nBEGIN IMMEDIATE;\n.shell touch '\(locked)'\n.shell \(ServerFixture.waitFor(release))\nCOMMIT;\n".utf8))
        try input.fileHandleForWriting.close()
        #expect(await Poll.until(timeout: 30) { FileManager.default.fileExists(atPath: locked) })

        let push = try fixture.push(["origin", "main"])
        try expectPushedDespiteGitci(push, fixture, commit: commit)
        // The full hook took the lean hook's word for the lock instead of waiting again.
        #expect(push.stderr.contains("another process kept it locked for 2 s"), "\(push.stderr)")
        #expect(push.stderr.contains("spooled"), "\(push.stderr)")

        fixture.touch(release)
        #expect(ProcessTable.waitForExit(of: holder, timeout: ServerFixture.workerDeadline), "sqlite3 kept the queue locked")
        workerLock.release()
        try fixture.drain()
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
    }

    @Test func whatACorruptQueueHeldIsCarriedOverAndBuilt() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let lock = try HeldWorkerLock(fixture)  // the pushes stay in the queue, unprocessed
        try fixture.pushOK(["origin", "main"])
        let main = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.clone.git(["checkout", "-q", "-b", "topic"])
        let topic = try fixture.clone.commit(["topic.txt": "topic\n"], message: "topic")
        try fixture.pushOK(["origin", "topic"])
        // And a build already queued (by hand, while no worker runs).
        let trigger = try fixture.gitci(["trigger", "topic"])
        #expect(trigger.status == 0, "\(trigger.stderr)")

        try garbleSchemaRecordPage(ofQueue: fixture.stateFolder + "/queue.sqlite")

        lock.release()
        let drain = try fixture.gitci(["worker", "--once"])
        #expect(drain.status == 0, "\(drain.stderr)")
        #expect(drain.stderr.contains("is corrupt; moved it to"), "\(drain.stderr)")
        #expect(drain.stderr.contains("carried over what could be read: 2 unprocessed ref updates, 1 build not yet done"),
                "\(drain.stderr)")
        for commit in [main, topic] {
            #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"], "\(commit)")
        }
        #expect(try fixture.plans()["topic"]?["state"] as? String == "active")
        let aside = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder).filter { $0.hasPrefix("queue.sqlite.corrupt-") }
        #expect(!aside.isEmpty, "the corrupt queue is kept for inspection")
    }

    @Test func aCorruptQueueDoesNotFailThePush() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: fixture.stateFolder + "/queue.sqlite"))
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let lock = try HeldWorkerLock(fixture)

        let push = try fixture.push(["origin", "main"])
        try expectPushedDespiteGitci(push, fixture, commit: commit)
        lock.release()
    }

    @Test func malformedHookInputIsReportedAndTheRestQueued() throws {
        // `gitci hook post-receive` as git calls it, with one line that is not a ref update.
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let zero = String(repeating: "0", count: 40)
        let input = "garbage line\n\(zero) \(commit) refs/heads/copy\n"
        let result = try GitciBinary.run(["hook", "post-receive"], in: fixture.serverPath,
                                         environment: ["GIT_DIR": "."], input: input)
        #expect(result.status == 0)
        #expect(result.stderr.contains("gitci: ignoring a malformed hook line"))
        try fixture.drain()
        #expect(try fixture.plans()["copy"]?["state"] as? String == "active")
    }
}
