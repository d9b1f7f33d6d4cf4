import Foundation
import Testing
import TestSupport

/// `changes:` in builds the worker runs for pushes: a plan branch's later push compares with
/// the branch's last passed commit, its first push with the merge base with the default branch.
@Suite struct ChangesBaseTests {
    static let pipeline = """
        jobs:
          app:
            changes: ["src/**"]
            steps: ["true"]
          after:
            needs: [app]
            steps: ["true"]
        """

    func jobs(_ fixture: ServerFixture, _ commit: String) throws -> [String: [String: Any]] {
        let jobs = try fixture.status(commit)["jobs"] as? [[String: Any]] ?? []
        return Dictionary(jobs.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func aPlanBranchComparesWithTheMergeBaseFirstThenWithItsLastPass() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let mainTip = try fixture.clone.commit(["src/a.py": "1\n"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try jobs(fixture, mainTip)["app"]?["status"] as? String == "passed")

        // First push of a branch whose only commit touches docs: nothing to run since the fork.
        try fixture.clone.git(["checkout", "-q", "-b", "docs-work"])
        let docsOnly = try fixture.clone.commit(["docs/a.md": "# a\n"])
        try fixture.pushOK(["origin", "docs-work"])
        try fixture.drain()
        var found = try jobs(fixture, docsOnly)
        #expect(found["app"]?["status"] as? String == "skipped")
        #expect(found["app"]?["reason"] as? String == "no changes since \(mainTip.prefix(10))")
        #expect(found["after"]?["status"] as? String != "skipped", "a job skipped for no changes counts as passed")
        #expect(try fixture.status(docsOnly)["status"] as? String == "passed")

        // A branch that changes src/ runs it, and its later docs-only push compares with that pass.
        try fixture.clone.git(["checkout", "-q", "-b", "feature", "main"])
        let feature = try fixture.clone.commit(["src/b.py": "2\n"])
        try fixture.pushOK(["origin", "feature"])
        try fixture.drain()
        #expect(try jobs(fixture, feature)["app"]?["status"] as? String == "passed")
        let later = try fixture.clone.commit(["docs/b.md": "# b\n"])
        try fixture.pushOK(["origin", "feature"])
        try fixture.drain()
        found = try jobs(fixture, later)
        #expect(found["app"]?["status"] as? String == "skipped")
        #expect(found["app"]?["reason"] as? String == "no changes since \(feature.prefix(10))")
        // In the note, as git shows it.
        let record = try fixture.notes(later).first { $0["job"] as? String == "app" }
        #expect(record?["reason"] as? String == "no changes since \(feature.prefix(10))")

        // A rerun runs what was skipped or reused.
        #expect(try fixture.gitci(["rerun", later]).status == 0)
        try fixture.drain()
        found = try jobs(fixture, later)
        #expect(found["app"]?["status"] as? String == "passed")
        #expect(found["after"]?["status"] as? String == "passed")
    }

    /// A job skipped for want of changes hands on the artifacts its run at the base kept, through
    /// a chain of skips; when this machine no longer has them, it runs again instead.
    @Test func aSkippedJobHandsOnTheArtifactsOfItsBase() throws {
        let pipeline = """
            jobs:
              build:
                changes: ["src/**"]
                steps: ["mkdir -p dist && cat src/a.py > dist/out.txt"]
                artifacts: [dist/out.txt]
              test:
                needs: [build]
                steps: ["test \\"$(cat dist/out.txt)\\" = 1"]
            """
        let fixture = try ServerFixture(pipeline: pipeline)
        let first = try fixture.clone.commit(["src/a.py": "1\n"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try fixture.status(first)["status"] as? String == "passed")

        var previous = first
        for round in 1...2 {
            let docs = try fixture.clone.commit(["docs/\(round).md": "# \(round)\n"])
            try fixture.pushOK(["origin", "main"])
            try fixture.drain()
            let found = try jobs(fixture, docs)
            #expect(found["build"]?["status"] as? String == "skipped", "round \(round)")
            #expect(found["build"]?["reason"] as? String == "no changes since \(previous.prefix(10))")
            #expect(found["test"]?["status"] as? String == "passed", "round \(round): the test found the artifact")
            let handedOn = (found["build"]?["artifacts"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(handedOn == ["dist/out.txt"], "round \(round)")
            previous = docs
        }

        // Gone from this machine's store: nothing stands for the build, so it runs.
        try FileManager.default.removeItem(atPath: fixture.stateFolder + "/artifacts")
        let again = try fixture.clone.commit(["docs/3.md": "# 3\n"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let found = try jobs(fixture, again)
        #expect(found["build"]?["status"] as? String == "passed")
        #expect(found["test"]?["status"] as? String == "passed")
    }
}
