import Foundation
import Testing
import TestSupport

/// `gitci install` / `gitci uninstall`: what they do to a repository's hooks, and the
/// pre-receive hook's guard over gitci's own refs.
@Suite struct InstallTests {
    static let pipeline = """
        jobs:
          hello:
            steps: ["echo hello"]
        """

    /// A hook that was there before gitci: it appends what it read to `log`.
    static func foreignHook(log: String) -> String {
        "#!/bin/sh\n# the team's own hook\ncat >> '\(log)'\n"
    }

    func hook(_ name: String, in fixture: ServerFixture) -> String? {
        try? String(contentsOfFile: fixture.serverPath + "/hooks/" + name, encoding: .utf8)
    }

    @Test func installPreparesTheRepositoryAndIsIdempotent() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let first = (hook("post-receive", in: fixture), hook("pre-receive", in: fixture))
        let again = try GitciBinary.run(["install", fixture.serverPath], in: fixture.scratch.path)
        #expect(again.status == 0, "\(again.stderr)")

        let postReceive = try #require(hook("post-receive", in: fixture))
        #expect(postReceive == first.0)
        #expect(hook("pre-receive", in: fixture) == first.1)
        // The template's placeholder became gitci-hook beside this binary, and the hook is executable.
        #expect(!postReceive.contains("@GITCI"))
        let program = postReceive.split(separator: "\n").first.map { String($0.dropFirst(2).dropLast(" post-receive".count)) }
        #expect(program.map { FileManager.default.isExecutableFile(atPath: $0) } == true, "\(postReceive)")
        #expect(FileManager.default.isExecutableFile(atPath: fixture.serverPath + "/hooks/post-receive"))
        #expect(FileManager.default.isExecutableFile(atPath: fixture.serverPath + "/hooks/pre-receive"))
        // Reinstalling gitci over itself keeps no copy of gitci's hook as a "foreign" one.
        let hooks = try FileManager.default.contentsOfDirectory(atPath: fixture.serverPath + "/hooks")
        #expect(!hooks.contains { $0.hasSuffix(".before-gitci") })
        #expect(try fixture.server.git(["config", "receive.advertisePushOptions"]) == "true")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: fixture.stateFolder, isDirectory: &isDirectory) && isDirectory.boolValue)

        // The first build's folders are made ahead (StateFolder.makeSpareRun).
        // Workspaces are in $GITCI_HOME/workspaces/<repository folder>-<hash>/.
        let workspaceRoots = try FileManager.default.contentsOfDirectory(atPath: TestHome.path + "/workspaces")
            .filter { $0.hasPrefix((fixture.serverPath as NSString).lastPathComponent + "-") }
        #expect(workspaceRoots.count == 1)
        let spares = [fixture.stateFolder + "/logs/.spare-run/.spare-log",
                      TestHome.path + "/workspaces/" + (workspaceRoots.first ?? "?") + "/.spare-run/.spare-job"]
        #expect(spares.allSatisfy { FileManager.default.fileExists(atPath: $0) })

        // And the installed hooks work: a push builds, in those folders, and the worker makes the next build's.
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        let runs = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/logs").filter { !$0.hasPrefix(".") }
        #expect(runs.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/logs/" + (runs.first ?? "")) == ["001-hello.log"])
        #expect(spares.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    }

    @Test func aForeignHookIsRefusedWithoutForce() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        let foreign = Self.foreignHook(log: fixture.scratch.url("foreign.log"))
        try fixture.server.write("hooks/post-receive", foreign, executable: true)

        let result = try GitciBinary.run(["install", fixture.serverPath], in: fixture.scratch.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("post-receive"))
        #expect(result.stderr.contains("--force"))
        // Nothing changed: the foreign hook is as it was, and gitci's other hook was not
        // installed either.
        #expect(hook("post-receive", in: fixture) == foreign)
        #expect(hook("pre-receive", in: fixture) == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.serverPath + "/hooks/post-receive.before-gitci"))
        #expect((try? fixture.server.git(["config", "receive.advertisePushOptions"])) == nil)
    }

    @Test func forceChainsTheForeignHookAndUninstallRestoresIt() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        let foreignLog = fixture.scratch.url("foreign.log")
        let foreign = Self.foreignHook(log: foreignLog)
        try fixture.server.write("hooks/post-receive", foreign, executable: true)

        let install = try GitciBinary.run(["install", "--force", fixture.serverPath], in: fixture.scratch.path)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(try String(contentsOfFile: fixture.serverPath + "/hooks/post-receive.before-gitci", encoding: .utf8) == foreign)

        // Both run on a push: the build is queued, and the old hook still sees the ref update.
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(try fixture.pipelineRecords(commit).count == 1)
        let seen = try String(contentsOfFile: foreignLog, encoding: .utf8)
        #expect(seen.contains("\(commit) refs/heads/main"))

        let uninstall = try GitciBinary.run(["uninstall", fixture.serverPath], in: fixture.scratch.path)
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        #expect(hook("post-receive", in: fixture) == foreign)
        #expect(hook("pre-receive", in: fixture) == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.serverPath + "/hooks/post-receive.before-gitci"))
        #expect((try? fixture.server.git(["config", "receive.advertisePushOptions"])) == nil)

        // After uninstall a push runs the old hook alone, and builds nothing.
        let next = try fixture.clone.commit(["more": "x"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try String(contentsOfFile: foreignLog, encoding: .utf8).contains("\(next) refs/heads/main"))
        #expect(try fixture.notes(next).isEmpty)
        // The results stay: they are the repository's history.
        #expect(try fixture.pipelineRecords(commit).count == 1)
    }

    @Test func aChainedPreReceiveHookStillRefusesPushes() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        try fixture.server.write("hooks/pre-receive", "#!/bin/sh\necho 'policy: no pushes today' >&2\nexit 1\n", executable: true)
        let install = try GitciBinary.run(["install", "--force", fixture.serverPath], in: fixture.scratch.path)
        #expect(install.status == 0, "\(install.stderr)")

        let push = try fixture.push(["origin", "main"])
        #expect(push.status != 0)
        #expect(push.stderr.contains("policy: no pushes today"))
        #expect((try? fixture.server.git(["rev-parse", "--verify", "-q", "refs/heads/main"])) == nil)
    }

    @Test func behindAnAcceptingChainedHookGitcisOwnRefsAreStillRefused() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        try fixture.server.write("hooks/pre-receive", "#!/bin/sh\ncat > /dev/null\nexit 0\n", executable: true)
        let install = try GitciBinary.run(["install", "--force", fixture.serverPath], in: fixture.scratch.path)
        #expect(install.status == 0, "\(install.stderr)")
        try fixture.pushOK(["origin", "main"])

        let push = try fixture.push(["origin", "+HEAD:refs/gitci/forged"])
        #expect(push.status != 0)
        #expect(push.stderr.contains("gitci: refs/gitci/forged is written by gitci on this server only"), "\(push.stderr)")
        #expect((try? fixture.server.git(["rev-parse", "--verify", "-q", "refs/gitci/forged"])) == nil)
    }

    @Test func installRefusesWhenGitRunsHooksFromElsewhere() throws {
        // With core.hooksPath set, hooks in <repo>/hooks are never run: an install there would
        // succeed in name only and no push would ever build.
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        let shared = fixture.scratch.url("shared-hooks")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try fixture.server.git(["config", "core.hooksPath", shared])

        let result = try GitciBinary.run(["install", fixture.serverPath], in: fixture.scratch.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("core.hooksPath"), "\(result.stderr)")
        #expect(hook("post-receive", in: fixture) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared).isEmpty)

        // Pointed back at the repository's own hooks (relative, as git resolves it for a bare
        // repository), it installs, and pushes build.
        try fixture.server.git(["config", "core.hooksPath", "hooks"])
        let install = try GitciBinary.run(["install", fixture.serverPath], in: fixture.scratch.path)
        #expect(install.status == 0, "\(install.stderr)")
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        #expect(try fixture.pipelineRecords(commit).count == 1)
    }

    @Test func uninstallWithoutGitciSaysSoAndChangesNothing() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        let result = try GitciBinary.run(["uninstall", fixture.serverPath], in: fixture.scratch.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("not installed"))
        #expect(hook("post-receive", in: fixture) == nil)
    }

    @Test func installIntoANonBareRepositoryBuildsPushesToIt() throws {
        // A working copy that others push to (a branch that is not checked out there).
        let target = try GitFixture(files: ["README": "target\n"])
        let install = try GitciBinary.run(["install", target.path], in: target.path)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: target.path + "/.git/hooks/post-receive"))
        try target.git(["config", "gitci.workerLinger", "0"])

        let source = try GitFixture()
        try source.git(["remote", "add", "origin", target.path])
        let commit = try source.commit([".gitci.yml": Self.pipeline])
        let push = try Shell.run(["git", "push", "origin", "main:feature"], in: source.path)
        #expect(push.status == 0, "\(push.stderr)")
        let drain = try GitciBinary.run(["worker", "--once", "-C", target.path], in: target.path)
        #expect(drain.status == 0, "\(drain.stderr)")
        let note = try target.git(["notes", "--ref=gitci", "show", commit])
        #expect(note.contains(#""kind":"pipeline""#))
        #expect(note.contains(#""status":"passed""#))
    }

    @Test(arguments: ["refs/notes/gitci", "refs/gitci/x"])
    func preReceiveRefusesPushesToGitcisOwnRefs(ref: String) throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let before = try fixture.server.git(["for-each-ref", "refs/notes", "refs/gitci"])

        // A forged result: a note claiming the commit passed, or anything under refs/gitci/.
        try fixture.clone.git(["notes", "--ref=gitci", "add", "-f", "-m", #"{"v":1,"kind":"pipeline","status":"passed"}"#, commit])
        // Forced, so that git's own fast-forward check does not stop it before the server sees it.
        let source = ref == "refs/notes/gitci" ? "refs/notes/gitci" : "HEAD"
        let push = try fixture.push(["origin", "+\(source):\(ref)"])
        #expect(push.status != 0)
        #expect(push.stderr.contains("gitci: \(ref) is written by gitci on this server only; push refused"))
        #expect(try fixture.server.git(["for-each-ref", "refs/notes", "refs/gitci"]) == before)
        // A refused push is refused whole: other refs in it are not updated either.
        try fixture.clone.git(["branch", "other"])
        let mixed = try fixture.push(["origin", "other", "+\(source):\(ref)"])
        #expect(mixed.status != 0)
        #expect((try? fixture.server.git(["rev-parse", "--verify", "-q", "refs/heads/other"])) == nil)
    }
}
