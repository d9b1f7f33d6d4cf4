import Foundation
import Testing
import TestSupport

/// A tag build has no branch: steps see `GITCI_TAG`, the note says `"tag"`, and `when:` tells
/// tag builds from branch builds, even for a tag on a branch's tip.
@Suite struct TagBuildTests {
    static let pipeline = """
        tags: ["v*"]
        stages: [test, deploy]
        jobs:
          show:
            stage: test
            steps: ['echo "branch=[$GITCI_BRANCH] tag=[$GITCI_TAG]"']
          deploy:
            stage: deploy
            when: { branch: [main] }
            steps: ["echo deploying"]
          release:
            stage: deploy
            when: { tag: ["v*"] }
            steps: ["echo releasing"]
        """

    private func jobs(_ document: [String: Any]) -> [String: String] {
        let jobs = document["jobs"] as? [[String: Any]] ?? []
        return Dictionary(jobs.map { ($0["name"] as? String ?? "", $0["status"] as? String ?? "") }, uniquingKeysWith: { $1 })
    }

    @Test func aTagPushWaitingForTheWorkerShowsAsQueued() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let commit = try fixture.clone.commit(["c": "1"])
        try fixture.clone.git(["tag", "-a", "-m", "release", "v2.0"])
        let untagged = try fixture.clone.commit(["d": "1"])
        // `tags:` says v*: a push of this tag builds nothing.
        try fixture.clone.git(["tag", "nightly"])
        let lock = try HeldWorkerLock(fixture)
        try fixture.pushOK(["origin", "v2.0", "nightly"])

        let waiting = try fixture.gitci(["status", commit, "--json"])
        #expect(waiting.status == 3, "\(waiting.stdout)\(waiting.stderr)")
        #expect(try fixture.document(waiting)["status"] as? String == "queued")
        let text = try fixture.gitci(["status", commit])
        #expect(text.stdout.contains("waiting for the worker"), "\(text.stdout)")
        #expect(try fixture.status(untagged)["status"] as? String == "none")

        lock.release()
        try fixture.drain()
        #expect(try fixture.status(commit)["status"] as? String == "passed")
    }

    @Test func aTagOnMainsTipBuildsAsTheTagNotAsMain() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(jobs(try fixture.status(commit)) == ["show": "passed", "deploy": "passed", "release": "skipped"])
        #expect(try fixture.log(of: commit, job: "show").contains("branch=[main] tag=[]"))

        // An annotated tag of main's tip.
        try fixture.clone.git(["tag", "-a", "-m", "first release", "v1.0"])
        try fixture.pushOK(["origin", "v1.0"])
        try fixture.drain()

        let tagged = try fixture.notes(commit).filter { $0["tag"] as? String == "v1.0" }
        #expect(tagged.count == 4, "show, deploy, release and the pipeline: \(tagged)")
        #expect(tagged.allSatisfy { $0["branch"] == nil })
        let status = try fixture.status(commit)
        #expect(status["tag"] as? String == "v1.0")
        // show did exactly what main's build of the same tree did: reused (the tag, like the
        // branch, is no part of its cache key).
        #expect(jobs(status) == ["show": "reused", "deploy": "skipped", "release": "passed"])
        let show = (status["jobs"] as? [[String: Any]])?.first { $0["name"] as? String == "show" }
        #expect(show?["reused_from"] as? String == commit)
        let deploy = (status["jobs"] as? [[String: Any]])?.first { $0["name"] as? String == "deploy" }
        #expect(deploy?["reason"] as? String == "not run on tag 'v1.0' (when: tag)")
        // main's deploy ran once, for main.
        let deploys = try fixture.notes(commit).filter { $0["job"] as? String == "deploy" && $0["status"] as? String == "passed" }
        #expect(deploys.count == 1)

        // A rerun of the tag build is a tag build again.
        #expect(try fixture.gitci(["rerun", commit]).status == 0)
        try fixture.drain()
        #expect(try fixture.notes(commit).filter { $0["tag"] as? String == "v1.0" }.count == 8)
        #expect(jobs(try fixture.status(commit)) == ["show": "passed", "deploy": "skipped", "release": "passed"])
        #expect(try fixture.log(of: commit, job: "show").contains("branch=[] tag=[v1.0]"))
    }

    @Test func runningATagsCommitLocallyIsATagBuild() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline, install: false)
        try fixture.clone.git(["tag", "v2.0"])
        let result = try GitciBinary.run(["run", "--commit", "v2.0", "--json"], in: fixture.clone.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let document = try fixture.document(result)
        #expect(document["tag"] as? String == "v2.0")
        #expect(document["branch"] is NSNull)
        #expect(jobs(document) == ["show": "passed", "deploy": "skipped", "release": "passed"])
        let show = (document["jobs"] as? [[String: Any]])?.first { $0["name"] as? String == "show" }
        let log = try String(contentsOfFile: try #require(show?["log"] as? String), encoding: .utf8)
        #expect(log.contains("branch=[] tag=[v2.0]"), "\(log)")

        // The branch itself still runs as main.
        let onMain = try fixture.document(GitciBinary.run(["run", "--commit", "main", "--json"], in: fixture.clone.path))
        #expect(jobs(onMain) == ["show": "passed", "deploy": "passed", "release": "skipped"])
    }

    @Test func aRecordedConfigErrorOfATagSaysTheTag() throws {
        let fixture = try ServerFixture(pipeline: "jobs:\n  a:\n    stpes: [x]\n", install: false)
        try fixture.clone.git(["tag", "v3.0"])
        let result = try GitciBinary.run(["run", "--record", "--commit", "v3.0"], in: fixture.clone.path)
        #expect(result.status == 2, "\(result.stderr)")
        let note = try fixture.clone.git(["notes", "--ref=gitci", "show", "v3.0"])
        #expect(note.contains(#""status":"config-error""#), "\(note)")
        #expect(note.contains(#""tag":"v3.0""#), "\(note)")
        #expect(!note.contains(#""branch""#), "\(note)")
    }
}
