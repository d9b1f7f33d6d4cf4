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
                 arguments: [String] = ["post-receive"], environment: [String: String] = [:]) throws -> CommandResult {
        try Shell.run([hook] + arguments, in: fixture.serverPath, environment: environment.merging(["GIT_DIR": "."]) { $1 },
                      input: input)
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

    @Test func anythingButItsTwoHooksIsAUsageError() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let result = try runHook(fixture, input: "", arguments: ["update"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("usage: gitci-hook post-receive|pre-receive"), "\(result.stderr)")
    }

    @Test func theInstalledHookStartsTheLeanHookWithoutAShell() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let hook = try String(contentsOfFile: fixture.serverPath + "/hooks/post-receive", encoding: .utf8)
        #expect(hook.hasPrefix("#!\(BuiltProduct.path("gitci"))-hook post-receive\n"), "\(hook)")
        #expect(hook.contains("installed by `gitci install`"), "uninstall knows it by this line")

        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try fixture.pipelineRecords(try fixture.clone.git(["rev-parse", "HEAD"])).count == 1)
    }

    @Test func runAsTheHookItselfItAlsoRunsTheHookGitciWasInstalledOver() throws {
        // What the kernel runs for a `#!` line: the program, its argument, the hook's path.
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let seen = fixture.scratch.url("seen")
        try fixture.server.write("hooks/post-receive.before-gitci", "#!/bin/sh\ncat > '\(seen)'\nexit 3\n", executable: true)
        let lock = try HeldWorkerLock(fixture)
        defer { lock.release() }

        // A plain push (queued by the lean hook), then one with push options (handed to gitci).
        let plain = try runHook(fixture, input: Self.line(commit, "main"),
                                arguments: ["post-receive", fixture.serverPath + "/hooks/post-receive"])
        #expect(plain.status == 0, "the old hook's status does not become the hook's")
        #expect(try String(contentsOfFile: seen, encoding: .utf8) == Self.line(commit, "main"))
        let handed = try Shell.run([BuiltProduct.path("gitci-hook"), "post-receive", fixture.serverPath + "/hooks/post-receive"],
                                   in: fixture.serverPath,
                                   environment: ["GIT_DIR": ".", "GIT_PUSH_OPTION_COUNT": "1", "GIT_PUSH_OPTION_0": "ci.variable=K=V"],
                                   input: Self.line(commit, "other"))
        #expect(handed.status == 0, "\(handed.stderr)")
        #expect(try String(contentsOfFile: seen, encoding: .utf8) == Self.line(commit, "other"))
        let pending = try fixture.queue().pendingEvents().map(\.event)
        #expect(pending.map(\.ref) == ["refs/heads/main", "refs/heads/other"])
        #expect(pending.last?.options == ["ci.variable=K=V"])
    }

    @Test func anAcceptedPushHasItsWorkerStartedByThePreReceiveHookHoldingTheLockFromItsFirstMoment() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.server.git(["config", "gitci.workerLinger", "5"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        // The pushed objects, as git has them by the time its post-receive hook runs.
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main"])
        let hook = try String(contentsOfFile: fixture.serverPath + "/hooks/pre-receive", encoding: .utf8)
        #expect(hook.hasPrefix("#!\(BuiltProduct.path("gitci"))-hook pre-receive\n"), "\(hook)")
        let lockPath = fixture.stateFolder + "/worker.lock"

        let accepted = try runHook(fixture, input: Self.line(commit, "main"),
                                   arguments: ["pre-receive", fixture.serverPath + "/hooks/pre-receive"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        // The hook wrote the new worker's pid before it returned, and the lock is taken.
        let pid = try #require(Int32((try String(contentsOfFile: lockPath, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGTERM) }
        #expect(try Shell.run(["flock", "-n", lockPath, "true"], in: fixture.serverPath).status != 0, "the lock is held")
        // Nudged at once, while it is still loading: SIGUSR1 is ignored until it can take one.
        for _ in 0..<20 { kill(pid, SIGUSR1) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(kill(pid, 0) == 0, "the worker died of a nudge as it started")
        #expect(try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).contains("worker"))
        // Its own work (taking up the push) at normal priority; its builds run at niceness 10
        // (WorkerLingerTests).
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        #expect(fields.count > 16 && fields[16] == "0", "niceness field: \(fields.count > 16 ? String(fields[16]) : stat)")

        // A second push in the meantime starts no other worker; the post-receive hook's queued
        // push is built by this one.
        #expect(try runHook(fixture, input: Self.line(commit, "main"), arguments: ["pre-receive"]).status == 0)
        #expect((try String(contentsOfFile: lockPath, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines) == String(pid))
        #expect(try runHook(fixture, input: Self.line(commit, "main")).status == 0)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try fixture.notes(commit).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try fixture.pipelineRecords(commit).count == 1)
        #expect(kill(pid, 0) == 0, "the same worker built it, and stays")
    }

    @Test func theWorkerThePreReceiveHookStartedWaitsForItsPushEvenWithALingerOfZero() async throws {
        // ServerFixture sets gitci.workerLinger 0: a worker leaves as soon as the queue is empty.
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:refs/gitci-test/main"])
        let lockPath = fixture.stateFolder + "/worker.lock"
        #expect(try runHook(fixture, input: Self.line(commit, "main"), arguments: ["pre-receive"]).status == 0)
        let pid = try #require(Int32((try String(contentsOfFile: lockPath, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGTERM) }

        // Whether a worker holds the lock: a worker that exited may stay a zombie a while.
        let held = { (try? Shell.run(["flock", "-n", lockPath, "true"], in: fixture.serverPath).status) != 0 }
        // git is still updating the refs: the queue is empty, and the worker stays for the push.
        try await Task.sleep(for: .milliseconds(800))
        #expect(held(), "the worker left before its push was queued")
        try fixture.server.git(["update-ref", "refs/heads/main", commit])
        #expect(try runHook(fixture, input: Self.line(commit, "main")).status == 0)
        #expect(await Poll.until(timeout: 30) { (try? fixture.pipelineRecords(commit).isEmpty) == false }, "the push was not built")
        // The hooks leave the worker nothing but the queue's record.
        #expect(!FileManager.default.fileExists(atPath: fixture.stateFolder + "/hints"))
        // Then a linger of 0 holds again.
        #expect(await Poll.until(timeout: 30) { !held() }, "the worker stayed once its push was built")
        let log = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(log.components(separatedBy: "running 1 jobs").count == 2, "one worker built it: \(log)")
    }

    @Test func aPushWhoseHookWasOvertakenByTheNextPushsIsNotBuiltAfterIt() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        let second = try fixture.clone.commit(["more.txt": "more"], message: "more")
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:refs/gitci-test/main"])
        // Two pushes to main, one after the other; the first one's post-receive hook is slow, and
        // the second's queues its update first, which is built.
        try fixture.server.git(["update-ref", "refs/heads/main", second])
        #expect(try runHook(fixture, input: "\(first) \(second) refs/heads/main\n").status == 0)
        try fixture.drain()
        #expect(try fixture.pipelineRecords(second).count == 1)
        // Then the first push's record arrives (the worker it starts says why it builds nothing).
        #expect(try runHook(fixture, input: Self.line(first, "main")).status == 0)
        try fixture.drain()
        let log = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(log.contains("refs/heads/main was moved to \(second.prefix(10)) before its push of \(first.prefix(10))"), "\(log)")
        #expect(try fixture.notes(first).isEmpty)
        #expect(try fixture.queue().latestBuild(of: first)?.state == .superseded)
        let main = try fixture.plans()["main"]?["last"] as? [String: Any]
        #expect(main?["commit"] as? String == second)
        #expect(main?["status"] as? String == "passed")
    }

    @Test func aRefusedPushOrOneThatSkipsCIStartsNoWorker() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let lockPath = fixture.stateFolder + "/worker.lock"
        let refused = try runHook(fixture, input: Self.line(commit, "main") + "0 \(commit) refs/gitci/forged\n",
                                  arguments: ["pre-receive"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("gitci: refs/gitci/forged is written by gitci on this server only; push refused"))
        #expect(try Shell.run(["flock", "-n", lockPath, "true"], in: fixture.serverPath).status == 0)

        let skipped = try Shell.run([BuiltProduct.path("gitci-hook"), "pre-receive"], in: fixture.serverPath,
                                    environment: ["GIT_DIR": ".", "GIT_PUSH_OPTION_COUNT": "1", "GIT_PUSH_OPTION_0": "ci.skip"],
                                    input: Self.line(commit, "main"))
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(try Shell.run(["flock", "-n", lockPath, "true"], in: fixture.serverPath).status == 0)
        #expect(try String(contentsOfFile: lockPath, encoding: .utf8).isEmpty, "no worker was started")
    }

    @Test func withoutTheLeanHookBesideGitciTheInstalledHookIsAShellScriptThatStillChains() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        let folder = TemporaryDirectory("gitci-alone")
        let gitci = folder.url("gitci")
        try FileManager.default.copyItem(atPath: BuiltProduct.path("gitci"), toPath: gitci)
        let foreignLog = fixture.scratch.url("foreign.log")
        try fixture.server.write("hooks/post-receive", "#!/bin/sh\ncat >> '\(foreignLog)'\n", executable: true)

        let install = try Shell.run([gitci, "install", "--force", fixture.serverPath], in: fixture.serverPath,
                                    environment: ["GITCI_SHARE": Self.packageRoot])
        #expect(install.status == 0, "\(install.stderr)")
        let hook = try String(contentsOfFile: fixture.serverPath + "/hooks/post-receive", encoding: .utf8)
        #expect(hook.hasPrefix("#!/bin/sh\n"), "\(hook)")
        #expect(hook.contains("GITCI='\(gitci)'"))

        try fixture.server.git(["config", "gitci.workerLinger", "0"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(try fixture.pipelineRecords(commit).count == 1)
        #expect(try String(contentsOfFile: foreignLog, encoding: .utf8).contains("\(commit) refs/heads/main"))
        // The pre-receive hook is a shell script too, and still guards gitci's refs.
        #expect(try String(contentsOfFile: fixture.serverPath + "/hooks/pre-receive", encoding: .utf8).hasPrefix("#!/bin/sh\n"))
        let forged = try fixture.push(["origin", "HEAD:refs/gitci/forged"])
        #expect(forged.status != 0)
        #expect(forged.stderr.contains("refs/gitci/forged is written by gitci on this server only"), "\(forged.stderr)")
    }

    /// The source checkout, where `hooks/` and `templates/` are for a gitci copied elsewhere.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
