import Foundation
import Store
import Testing
import TestSupport

/// `trigger: true` on a `repos:` entry: a push to the entry's ref, in a repository installed
/// with gitci on this machine, builds the plan branches whose pipelines name it, with the pushed
/// commit pinned; chains follow, loops do not.
@Suite struct TriggerTests {
    /// A repository of the ones a test installs: its server, its clone, its builds.
    private static func pipeline(naming entries: [String], steps: String = #"["echo built"]"#) -> String {
        """
        jobs:
          build:
            repos:
        \(entries.map { "      - \($0)" }.joined(separator: "\n"))
            steps: \(steps)
        """
    }

    private static let plain = """
        jobs:
          test:
            steps: ["echo test"]
        """

    /// Waits until no worker of `fixture` runs: the one a push started has then looked for the
    /// repositories the push triggers (it does so before it leaves).
    private func settle(_ fixtures: ServerFixture...) throws {
        for fixture in fixtures {
            try fixture.drain()
            try HeldWorkerLock(fixture).release()
        }
    }

    private func builds(_ fixture: ServerFixture) throws -> [Build] {
        try fixture.queue().builds()
    }

    private func realPath(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// The folder's name, which is how relative URLs and reasons name a sibling repository.
    private func name(_ fixture: ServerFixture) -> String {
        (fixture.serverPath as NSString).lastPathComponent
    }

    /// lib pushed (its main), then app naming lib with `entry` pushed and built: app's plan
    /// branch main exists, with one build.
    private func libAndApp(entry: (ServerFixture) -> String) throws -> (lib: ServerFixture, app: ServerFixture) {
        let lib = try ServerFixture(pipeline: Self.plain)
        try lib.pushOK(["origin", "main"])
        try settle(lib)
        let app = try ServerFixture(pipeline: Self.pipeline(naming: [entry(lib)]))
        try app.pushOK(["origin", "main"])
        try settle(app)
        #expect(try builds(app).count == 1)
        return (lib, app)
    }

    @Test(.timeLimit(.minutes(5)))
    func aPushToTheNamedRefBuildsTheDependentPlanBranchWithTheCommitPinned() throws {
        // `ref` left out: lib's HEAD branch, main. A relative URL, as submodules have.
        let (lib, app) = try libAndApp { "{ url: ../\(name($0)), name: lib, trigger: true }" }
        let appTip = try app.clone.git(["rev-parse", "HEAD"])
        #expect(try app.pipelineRecords(appTip).count == 1)

        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app)

        let appBuilds = try builds(app)
        try #require(appBuilds.count == 2, "app's builds: \(appBuilds)")
        let triggered = appBuilds[1]
        #expect(triggered.branch == "main")
        #expect(triggered.ref == "refs/heads/main")
        #expect(triggered.commit == appTip)
        #expect(triggered.request.pinnedRepos == ["lib": pushed])
        #expect(triggered.request.triggeredBy == ["\(realPath(lib.serverPath))@refs/heads/main"])
        #expect(triggered.reason == "triggered by a push to \(name(lib)) (main) at \(pushed.prefix(10))")
        #expect(triggered.state == .finished)
        // Its pipeline ran: a second pipeline record on app's tip, passed.
        let records = try app.pipelineRecords(appTip)
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0["status"] as? String == "passed" })
        // lib's own push was built as ever.
        #expect(try lib.pipelineRecords(pushed).first?["status"] as? String == "passed")
    }

    @Test(.timeLimit(.minutes(5)))
    func aPushToAnotherBranchOfTheRepositoryTriggersNothing() throws {
        let (lib, app) = try libAndApp { "{ url: \($0.serverPath), ref: main, trigger: true }" }
        let pushed = try lib.clone.commit(["lib.c": "dev"])
        try lib.pushOK(["origin", "HEAD:refs/heads/dev"])
        try settle(lib, app)
        // lib built its dev branch; app was left alone.
        #expect(try lib.pipelineRecords(pushed).count == 1)
        #expect(try builds(app).count == 1)
    }

    @Test(.timeLimit(.minutes(5)))
    func anEntryWithoutTriggerTriggersNothing() throws {
        let (lib, app) = try libAndApp { "{ url: \($0.serverPath), ref: main }" }
        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app)
        #expect(try lib.pipelineRecords(pushed).count == 1)
        #expect(try builds(app).count == 1)
    }

    @Test(.timeLimit(.minutes(5)))
    func eachPlanBranchIsTriggeredByItsOwnPipelineAtItsTip() throws {
        let lib = try ServerFixture(pipeline: Self.plain)
        try lib.pushOK(["origin", "main"])
        try settle(lib)
        // On main the entry is in a job that runs only on release; feature/x names lib in a job
        // that runs there; feature/y has no trigger at its tip any more.
        let app = try ServerFixture(pipeline: """
            jobs:
              build:
                when: { branch: [release] }
                repos: [{ url: \(lib.serverPath), ref: main, name: lib, trigger: true }]
                steps: ["echo built"]
            """)
        try app.clone.git(["checkout", "-q", "-b", "feature/x"])
        let featureTip = try app.clone.commit([".gitci.yml": Self.pipeline(naming: ["{ url: \(lib.serverPath), ref: main, name: lib, trigger: true }"])])
        try app.clone.git(["checkout", "-q", "-b", "feature/y"])
        try app.clone.commit([".gitci.yml": Self.plain])
        try app.pushOK(["origin", "main", "feature/x", "feature/y"])
        try settle(app)
        #expect(try builds(app).count == 3)

        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app)

        let appBuilds = try builds(app)
        try #require(appBuilds.count == 4, "app's builds: \(appBuilds)")
        #expect(appBuilds[3].branch == "feature/x")
        #expect(appBuilds[3].commit == featureTip)
        #expect(appBuilds[3].request.pinnedRepos == ["lib": pushed])
    }

    @Test(.timeLimit(.minutes(5)))
    func aChainBuildsEveryRepositoryDownItFromOnePush() throws {
        let (lib, app) = try libAndApp { "{ url: \($0.serverPath), ref: main, name: lib, trigger: true }" }
        // deploy names app, by a file:// URL and its full ref name.
        let deploy = try ServerFixture(pipeline: Self.pipeline(naming: [
            "{ url: 'file://\(app.serverPath)', ref: refs/heads/main, name: app, trigger: true }",
        ]))
        try deploy.pushOK(["origin", "main"])
        try settle(deploy)
        #expect(try builds(deploy).count == 1)
        let appTip = try app.clone.git(["rev-parse", "HEAD"])
        let deployTip = try deploy.clone.git(["rev-parse", "HEAD"])

        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app, deploy)

        let libKey = "\(realPath(lib.serverPath))@refs/heads/main"
        let appBuilds = try builds(app)
        try #require(appBuilds.count == 2, "app's builds: \(appBuilds)")
        #expect(appBuilds[1].request.pinnedRepos == ["lib": pushed])
        #expect(appBuilds[1].request.triggeredBy == [libKey])

        let deployBuilds = try builds(deploy)
        try #require(deployBuilds.count == 2, "deploy's builds: \(deployBuilds)")
        let chained = deployBuilds[1]
        #expect(chained.commit == deployTip)
        #expect(chained.request.pinnedRepos == ["app": appTip])
        #expect(chained.request.triggeredBy == [libKey, "\(realPath(app.serverPath))@refs/heads/main"])
        #expect(chained.reason == "triggered by a push to \(name(lib)) (main) at \(pushed.prefix(10)), through \(name(app)) (main)")
        #expect(try deploy.pipelineRecords(deployTip).count == 2)
        #expect(try app.pipelineRecords(appTip).count == 2)
    }

    @Test(.timeLimit(.minutes(5)))
    func aPlanBranchReachedTwiceByOnePushIsBuiltOnceWithBothPinned() throws {
        // lib → app → deploy and lib → tool → deploy.
        let (lib, app) = try libAndApp { "{ url: \($0.serverPath), ref: main, name: lib, trigger: true }" }
        let tool = try ServerFixture(pipeline: Self.pipeline(naming: ["{ url: \(lib.serverPath), ref: main, name: lib, trigger: true }"]))
        try tool.pushOK(["origin", "main"])
        let deploy = try ServerFixture(pipeline: Self.pipeline(naming: [
            "{ url: \(app.serverPath), ref: main, name: app, trigger: true }",
            "{ url: \(tool.serverPath), ref: main, name: tool, trigger: true }",
        ]))
        try deploy.pushOK(["origin", "main"])
        try settle(tool, deploy)

        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app, tool, deploy)

        #expect(try builds(app).count == 2)
        #expect(try builds(tool).count == 2)
        let deployBuilds = try builds(deploy)
        try #require(deployBuilds.count == 2, "deploy's builds: \(deployBuilds)")
        #expect(deployBuilds[1].request.pinnedRepos == [
            "app": try app.clone.git(["rev-parse", "HEAD"]), "tool": try tool.clone.git(["rev-parse", "HEAD"]),
        ])
        #expect(deployBuilds[1].reason?.hasPrefix("triggered by a push to \(name(lib)) (main) at \(pushed.prefix(10)), through ") == true)
    }

    @Test(.timeLimit(.minutes(5)))
    func aMovedTagTriggersWhatNamesItAndASkippedPushNothing() throws {
        let (lib, app) = try libAndApp { "{ url: \($0.serverPath), ref: stable, name: lib, trigger: true }" }
        // Pushed with ci.skip: neither lib nor app builds.
        try lib.clone.commit(["lib.c": "v2"])
        try lib.clone.git(["tag", "-a", "-m", "stable", "stable"])
        try lib.pushOK(["-o", "ci.skip", "origin", "main", "stable"])
        try settle(lib, app)
        #expect(try builds(app).count == 1)

        let pushed = try lib.clone.commit(["lib.c": "v3"])
        try lib.clone.git(["tag", "-f", "-a", "-m", "stable", "stable"])
        try lib.pushOK(["-f", "origin", "main", "stable"])
        try settle(lib, app)
        let appBuilds = try builds(app)
        try #require(appBuilds.count == 2, "app's builds: \(appBuilds)")
        // The annotated tag peeled: the commit is pinned, not the tag object.
        #expect(appBuilds[1].request.pinnedRepos == ["lib": pushed])
        #expect(appBuilds[1].reason == "triggered by a push to \(name(lib)) (tag stable) at \(pushed.prefix(10))")
    }

    @Test(.timeLimit(.minutes(5)))
    func aLoopGivesOneTriggeredBuildAndNoneBack() throws {
        // a and b name each other's main with trigger.
        let a = try ServerFixture(pipeline: nil)
        let b = try ServerFixture(pipeline: nil)
        try a.clone.commit([".gitci.yml": Self.pipeline(naming: ["{ url: \(b.serverPath), ref: main, name: b, trigger: true }"])])
        try b.clone.commit([".gitci.yml": Self.pipeline(naming: ["{ url: \(a.serverPath), ref: main, name: a, trigger: true }"])])
        try a.pushOK(["origin", "main"])
        try settle(a)
        try b.pushOK(["origin", "main"])
        try settle(b, a, b)
        // b's first push built b and triggered a once; a's first push found no b to build.
        let aBefore = try builds(a).count, bBefore = try builds(b).count
        #expect(aBefore == 2)
        #expect(bBefore == 1)

        let pushed = try a.clone.commit(["a.c": "v2"])
        try a.pushOK(["origin", "main"])
        try settle(a, b, a, b)

        let aBuilds = try builds(a), bBuilds = try builds(b)
        #expect(aBuilds.count == aBefore + 1, "a's builds: \(aBuilds)")
        #expect(bBuilds.count == bBefore + 1, "b's builds: \(bBuilds)")
        #expect(aBuilds.last?.commit == pushed)
        #expect(aBuilds.last?.request.isPlain == true)
        #expect(bBuilds.last?.request.pinnedRepos == ["a": pushed])
        #expect(bBuilds.last?.request.triggeredBy == ["\(realPath(a.serverPath))@refs/heads/main"])
        #expect(bBuilds.last?.state == .finished)
    }

    @Test(.timeLimit(.minutes(5)))
    func aBrokenPipelineInADependentLeavesThePushedRepositoryAndTheOthersAlone() throws {
        let (lib, app) = try libAndApp { "{ url: \($0.serverPath), ref: main, name: lib, trigger: true }" }
        // A plan branch whose pipeline has errors (still built, to record them): it names lib.
        let broken = try ServerFixture(pipeline: """
            jobs:
              build:
                repos:
                  - { url: \(lib.serverPath), ref: main, trigger: true }
                stepz: ["echo built"]
            """)
        try broken.pushOK(["origin", "main"])
        try settle(broken)
        let brokenBefore = try builds(broken).count
        #expect(brokenBefore == 1)

        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app, broken)

        #expect(try lib.pipelineRecords(pushed).first?["status"] as? String == "passed")
        #expect(try builds(app).count == 2)
        #expect(try builds(broken).count == brokenBefore)
        let workerLog = (try? String(contentsOfFile: lib.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(workerLog.contains("\(name(broken)) (main): .gitci.yml has errors"), "lib's worker log: \(workerLog.suffix(2_000))")
    }

    /// The pinned commit reaches the triggered build's steps and its note. LocalRun honours
    /// `pinnedRepos` on the `repos` branch (issue 20, points 1–2): enable this test once that
    /// branch is merged; until then its job checks out no lib, and the note has no `repos`.
    @Test(.timeLimit(.minutes(5)))
    func theTriggeredBuildSeesThePinnedCommit() throws {
        let (lib, app) = try libAndApp { lib in
            "{ url: ../\(name(lib)), ref: main, name: lib, trigger: true }"
        }
        // app's pipeline again, now with a step that writes what it was given.
        try app.clone.commit([".gitci.yml": Self.pipeline(
            naming: ["{ url: ../\(name(lib)), ref: main, name: lib, trigger: true }"],
            steps: app.expand(#"['echo "$GITCI_REPO_LIB_COMMIT" >> {scratch}/lib-commit']"#))])
        try app.pushOK(["origin", "main"])
        try settle(app)
        let appTip = try app.clone.git(["rev-parse", "HEAD"])

        let pushed = try lib.clone.commit(["lib.c": "v2"])
        try lib.pushOK(["origin", "main"])
        try settle(lib, app)

        #expect(app.lines("lib-commit").last == pushed)
        let jobs = try app.notes(appTip).filter { $0["kind"] as? String == "job" }
        #expect(jobs.contains { ($0["repos"] as? [String: String]) == ["lib": pushed] }, "app's job records: \(jobs)")
    }
}
