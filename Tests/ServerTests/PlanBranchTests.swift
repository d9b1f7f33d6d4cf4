import Foundation
import Testing
import TestSupport

/// Plan branches follow the pushed branches: created on the first push (when the pipeline at
/// the pushed commit admits the branch), retired on delete, building whatever the tip is now.
@Suite struct PlanBranchTests {
    static let pipeline = """
        jobs:
          hello:
            steps: ['echo "building $GITCI_BRANCH"']
        """

    @Test func theFirstPushCreatesAPlanAndDeletingTheBranchRetiresIt() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.clone.git(["checkout", "-q", "-b", "feature"])
        let feature = try fixture.clone.commit(["feature.txt": "1"])
        try fixture.pushOK(["origin", "feature"])
        try fixture.drain()

        var plans = try fixture.plans()
        #expect(Set(plans.keys) == ["main", "feature"])
        #expect(plans["feature"]?["state"] as? String == "active")
        let last = plans["feature"]?["last"] as? [String: Any]
        #expect(last?["commit"] as? String == feature)
        #expect(last?["status"] as? String == "passed")
        #expect(try fixture.pipelineRecords(feature).first?["branch"] as? String == "feature")

        try fixture.pushOK(["origin", "--delete", "feature"])
        try fixture.drain()
        plans = try fixture.plans()
        // Retired, with its history kept; main is untouched.
        #expect(plans["feature"]?["state"] as? String == "retired")
        #expect((plans["feature"]?["last"] as? [String: Any])?["commit"] as? String == feature)
        #expect(plans["main"]?["state"] as? String == "active")
        #expect(try fixture.pipelineRecords(feature).count == 1)

        // Pushed again, it comes back.
        try fixture.pushOK(["origin", "feature"])
        try fixture.drain()
        #expect(try fixture.plans()["feature"]?["state"] as? String == "active")
    }

    @Test func deletingABranchCancelsItsQueuedBuild() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              hello:
                steps: ["touch {scratch}/built-$GITCI_COMMIT"]
            """)
        let lock = try HeldWorkerLock(fixture)
        try fixture.clone.git(["checkout", "-q", "-b", "short-lived"])
        let commit = try fixture.clone.commit(["x": "1"])
        try fixture.pushOK(["origin", "short-lived"])
        try fixture.pushOK(["origin", "--delete", "short-lived"])
        lock.release()
        try fixture.drain()

        #expect(try fixture.notes(commit).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.scratch.url("built-\(commit)")))
        #expect(try fixture.queue().latestBuild(of: commit)?.state == .cancelled)
        #expect(try fixture.plans()["short-lived"]?["state"] as? String == "retired")
    }

    @Test func aForcePushBuildsTheNewTip() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.clone.git(["checkout", "-q", "-b", "feature"])
        let old = try fixture.clone.commit(["attempt": "1"], message: "first attempt")
        try fixture.pushOK(["origin", "feature"])
        try fixture.drain()

        try fixture.clone.git(["reset", "-q", "--hard", "main"])
        let rewritten = try fixture.clone.commit(["attempt": "2"], message: "second attempt")
        try fixture.pushOK(["--force", "origin", "feature"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(rewritten).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.pipelineRecords(old).count == 1)
        let plan = try fixture.plans()["feature"]
        #expect(plan?["state"] as? String == "active")
        #expect((plan?["last"] as? [String: Any])?["commit"] as? String == rewritten)
    }

    @Test func fiftyBranchesInOnePushPlanFifty() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        // Fifty branches, each at a commit of its own, made with plumbing to stay fast.
        let made = try Shell.run(["sh", "-c", """
            for i in $(seq 1 50); do
              c=$(git commit-tree -p main -m "branch $i" 'main^{tree}') || exit 1
              git update-ref "refs/heads/many/b$i" "$c" || exit 1
            done
            """], in: fixture.clone.path)
        #expect(made.status == 0, "\(made.stderr)")
        try fixture.pushOK(["origin", "refs/heads/many/*:refs/heads/many/*"])
        try fixture.drain()

        let plans = try fixture.plans()
        #expect(plans.count == 50)
        var pipelineIDs = Set<String>()
        for i in 1...50 {
            let branch = "many/b\(i)"
            let commit = try fixture.clone.git(["rev-parse", branch])
            let records = try fixture.pipelineRecords(commit)
            #expect(records.count == 1, "\(branch)")
            #expect(records.first?["branch"] as? String == branch)
            #expect(records.first?["status"] as? String == "passed")
            #expect(plans[branch]?["state"] as? String == "active")
            pipelineIDs.insert(records.first?["pipeline"] as? String ?? "")
        }
        // Fifty builds, fifty runs: no two of them shared a run id (and so logs or workspaces).
        #expect(pipelineIDs.count == 50)
    }

    @Test func branchesTheProjectExcludesGetNoPlanAndNoBuild() throws {
        let fixture = try ServerFixture(pipeline: """
            branches:
              include: ["main", "feature/*"]
              exclude: ["feature/wip-*"]
            jobs:
              hello:
                steps: ["echo hello"]
            """)
        var tips: [String: String] = [:]
        for branch in ["main", "feature/a", "feature/wip-b", "experiment"] {
            try fixture.clone.git(["checkout", "-q", "-B", branch, "main"])
            tips[branch] = try fixture.clone.commit(["which": branch], message: branch)
        }
        try fixture.pushOK(["origin", "main", "feature/a", "feature/wip-b", "experiment"])
        try fixture.drain()

        #expect(Set(try fixture.plans().keys) == ["main", "feature/a"])
        #expect(try fixture.notedCommits() == [tips["main"]!, tips["feature/a"]!])
    }

    @Test func tagsBuildOnlyWhenThePipelineAsksForThem() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        // Tags on commits no pushed branch holds, so that only the tag can build them.
        try fixture.clone.git(["checkout", "-q", "-b", "side"])
        let untagged = try fixture.clone.commit(["release": "0"])
        try fixture.clone.git(["tag", "v0.1"])
        try fixture.pushOK(["origin", "v0.1"])
        try fixture.drain()
        #expect(try fixture.notes(untagged).isEmpty, "no tags: in the pipeline, no tag builds")

        let tagged = try fixture.clone.commit([".gitci.yml": Self.pipeline + "\ntags: [\"v*\"]\n"], message: "build tags")
        try fixture.clone.git(["tag", "-a", "v1.0", "-m", "release 1.0"])
        let other = try fixture.clone.commit(["nightly": "1"])
        try fixture.clone.git(["tag", "nightly-1"])
        try fixture.pushOK(["origin", "v1.0", "nightly-1"])
        try fixture.drain()

        let records = try fixture.pipelineRecords(tagged)
        #expect(records.map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.notes(other).isEmpty, "nightly-1 does not match v*")
        // A tag is not a branch: no plan branch for it.
        #expect(Set(try fixture.plans().keys) == ["main"])
    }
}
