import Foundation
import Testing
import TestSupport

/// `refs/notes/gitci` set to a blob or a tree (by hand, or by a tool gone wrong): the worker keeps
/// the results it cannot write, says what is wrong, `gitci status` warns and still shows them,
/// and once the ref is set right they are written to the notes.
@Suite struct BrokenNotesRefTests {
    static let pipeline = """
        jobs:
          hello:
            steps: ["echo hello"]
        """

    @Test(arguments: ["blob", "tree"])
    func resultsAreKeptWhileTheNotesRefPointsAtANonCommit(_ kind: String) throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let notesCommit = try fixture.server.git(["rev-parse", "refs/notes/gitci"])

        let object = kind == "blob"
            ? try Shell.run(["sh", "-c", "echo not a notes commit | git hash-object -w --stdin"], in: fixture.serverPath).stdout
            : try Shell.run(["git", "mktree"], in: fixture.serverPath, input: "").stdout
        let target = object.trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.server.git(["update-ref", "refs/notes/gitci", target])

        let second = try fixture.clone.commit(["two.txt": "two\n"], message: "two")
        try fixture.pushOK(["origin", "main"])
        let drain = try fixture.gitci(["worker", "--once"])
        #expect(drain.status == 0, "\(drain.stderr)")
        let workerLog = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        let said = workerLog + drain.stderr
        #expect(said.contains("refs/notes/gitci points at a \(kind) (\(target))"), "\(said)")
        #expect(said.contains("kept them in \(fixture.stateFolder)/pending-results/"), "\(said)")
        #expect(try fixture.server.git(["rev-parse", "refs/notes/gitci"]) == target, "gitci never moves a ref it cannot read")

        // `gitci status` warns, naming the ref and what it points at, and shows both results.
        let status = try fixture.gitci(["status", second, "--json"])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stderr.contains("warning: refs/notes/gitci points at a \(kind) (\(target)), not at a notes commit"),
                "\(status.stderr)")
        #expect(try fixture.document(status)["status"] as? String == "passed")
        #expect(try fixture.status(first)["status"] as? String == "passed")
        // Nor does `gitci reindex` throw away what was indexed for notes it cannot read.
        let reindex = try fixture.gitci(["reindex"])
        #expect(reindex.status != 0)
        #expect(reindex.stderr.contains("refs/notes/gitci points at a \(kind)"), "\(reindex.stderr)")
        #expect(try fixture.status(first)["status"] as? String == "passed")

        // Set right, the ref gets the kept results with the next worker; nothing was lost.
        try fixture.server.git(["update-ref", "refs/notes/gitci", notesCommit])
        try fixture.drain()
        #expect(try fixture.pipelineRecords(second).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.pipelineRecords(first).map { $0["status"] as? String } == ["passed"])
        let kept = (try? FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/pending-results")) ?? []
        #expect(kept.filter { $0.hasSuffix(".results") }.isEmpty, "\(kept)")
        let after = try fixture.gitci(["status", second])
        #expect(after.status == 0)
        #expect(!after.stderr.contains("warning"), "\(after.stderr)")
    }
}
