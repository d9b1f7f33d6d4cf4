import Foundation
import Testing
import TestSupport

/// `repos:` entries built by the worker (sandboxed, as on a server): pinned commits in the note
/// and in `gitci status`, and `gitci rerun --same-repos` replaying a build after refs moved.
@Suite struct ReposReplayTests {
    /// Another hosted repository beside the server's, named in the pipeline by a relative URL.
    let hosted = TemporaryDirectory("gitci-hosted")
    var lib: String { hosted.url("lib.git") }

    /// The steps check that they run sandboxed (the server's repository hidden) and that the
    /// checkout's objects, borrowed from its mirror in the hidden state folder, are readable.
    func pipeline(server: String) -> String {
        """
        jobs:
          build:
            repos: [{ url: ../\((hosted.path as NSString).lastPathComponent)/lib.git, ref: main, path: vendor/lib }]
            steps:
              - test ! -e \(server)/config && test ! -e \(server)/HEAD
              - git -C vendor/lib cat-file -e HEAD^{tree}
              - echo "$GITCI_REPO_LIB_COMMIT $(cat vendor/lib/lib.txt) $(git -C vendor/lib rev-parse HEAD)" >> {scratch}/ran
          plain:
            steps: ['true']
        """
    }

    /// The `repos` of the newest record of `job` in the commit's note, read with git.
    func recordedRepos(_ fixture: ServerFixture, _ commit: String, job: String) throws -> [String: String]? {
        let records = try fixture.notes(commit).filter { $0["job"] as? String == job }
        return records.max { ($0["attempt"] as? Int ?? 0) < ($1["attempt"] as? Int ?? 0) }?["repos"] as? [String: String]
    }

    @Test func rerunWithTheSameReposReplaysTheRecordedCommitsAfterRefsMoved() throws {
        let v1 = try SubmoduleRepositories.commit(to: lib, files: ["lib.txt": "v1\n"])
        let fixture = try ServerFixture(pipeline: nil)
        let commit = try fixture.clone.commit([".gitci.yml": fixture.expand(pipeline(server: fixture.serverPath))], message: "pipeline")
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(fixture.lines("ran") == ["\(v1) v1 \(v1)"], "\((try? fixture.log(of: commit, job: "build")) ?? "no log")")
        #expect(try recordedRepos(fixture, commit, job: "build") == ["lib": v1])
        #expect(try recordedRepos(fixture, commit, job: "plain") == nil)
        let text = try fixture.gitci(["status", commit])
        #expect(text.stdout.contains("    repos: lib \(v1.prefix(10))"), "\(text.stdout)")
        let jobs = try fixture.status(commit)["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.first { $0["name"] as? String == "build" }?["repos"] as? [String: String] == ["lib": v1])
        #expect(jobs.first { $0["name"] as? String == "plain" }?["repos"] is NSNull)

        // lib moves on; a plain rerun takes the new tip, a rerun with the same repos the old.
        let v2 = try SubmoduleRepositories.commit(to: lib, files: ["lib.txt": "v2\n"])
        let same = try fixture.gitci(["rerun", commit, "--same-repos"])
        #expect(same.status == 0, "\(same.stderr)")
        try fixture.drain()
        #expect(fixture.lines("ran").last == "\(v1) v1 \(v1)")
        #expect(try recordedRepos(fixture, commit, job: "build") == ["lib": v1])
        let recordedConfig = try fixture.server.git(["rev-parse", "\(commit):.gitci.yml"])
        #expect(try fixture.pipelineRecords(commit).allSatisfy { $0["config"] as? String == recordedConfig })

        let plain = try fixture.gitci(["rerun", commit, "build"])
        #expect(plain.status == 0, "\(plain.stderr)")
        try fixture.drain()
        #expect(fixture.lines("ran").last == "\(v2) v2 \(v2)")
        #expect(try recordedRepos(fixture, commit, job: "build") == ["lib": v2])

        // The job named: its newest record (v2 now) is what is replayed.
        let job = try fixture.gitci(["rerun", commit, "build", "--same-repos"])
        #expect(job.status == 0, "\(job.stderr)")
        try fixture.drain()
        #expect(fixture.lines("ran").count == 4)
        #expect(fixture.lines("ran").last == "\(v2) v2 \(v2)")
    }

    @Test func sameReposNeedsRecordedResultsWithRepos() throws {
        try SubmoduleRepositories.commit(to: lib, files: ["lib.txt": "v1\n"])
        let fixture = try ServerFixture(pipeline: """
            jobs:
              plain:
                steps: ['true']
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["-o", "ci.skip", "origin", "main"])
        try fixture.drain()
        let none = try fixture.gitci(["rerun", commit, "--same-repos"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("no recorded job results"), "\(none.stderr)")

        try fixture.gitci(["rerun", commit])
        try fixture.drain()
        let noRepos = try fixture.gitci(["rerun", commit, "--same-repos"])
        #expect(noRepos.status == 2)
        #expect(noRepos.stderr.contains("recorded the commits of repos: entries"), "\(noRepos.stderr)")
        #expect(try fixture.pipelineRecords(commit).count == 1, "a refused rerun queued a build")
    }
}
