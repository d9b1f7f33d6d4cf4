import Foundation
import Testing
import TestSupport

/// `refs/notes/gitci-tests` broken when a build ends: its test cases are kept in the state folder,
/// not lost, and written once the ref is set right.
@Suite struct BrokenTestsRefTests {
    static let pipeline = """
        jobs:
          unit:
            steps:
              - |
                cat > report.xml <<'XML'
                <testsuite name="suite"><testcase classname="mod" name="test_kept" time="0.1"/></testsuite>
                XML
            junit: [report.xml]
        """

    @Test func testCasesAreKeptWhileTheirRefIsBrokenThenWritten() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let testsCommit = try fixture.server.git(["rev-parse", "refs/notes/gitci-tests"])

        let blob = try Shell.run(["sh", "-c", "echo not notes | git hash-object -w --stdin"], in: fixture.serverPath)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.server.git(["update-ref", "refs/notes/gitci-tests", blob])
        let second = try fixture.clone.commit(["two.txt": "two\n"], message: "two")
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let workerLog = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(workerLog.contains("kept in \(fixture.stateFolder)/pending-results/"), "\(workerLog)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/pending-results")
        #expect(kept.contains { $0.hasSuffix(".tests") }, "\(kept)")
        // The job's own record, with its counts, was written all the same.
        let record = try fixture.notes(second).first { $0["job"] as? String == "unit" }
        #expect((record?["tests"] as? [String: Any])?["passed"] as? Int == 1)

        // Set right, the next worker writes the kept cases; nothing was lost.
        try fixture.server.git(["update-ref", "refs/notes/gitci-tests", testsCommit])
        try fixture.drain()
        let note = try fixture.server.git(["notes", "--ref=gitci-tests", "show", second])
        #expect(note.contains("test_kept"), "\(note)")
        let left = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/pending-results")
        #expect(!left.contains { $0.hasSuffix(".tests") }, "\(left)")
        let tests = try fixture.gitci(["tests", second, "--json"])
        #expect(tests.status == 0 && tests.stdout.contains("test_kept"), "\(tests.stdout)\(tests.stderr)")
    }
}
