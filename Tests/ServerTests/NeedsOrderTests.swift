import Foundation
import Testing
import TestSupport

/// `needs:` replaces the stage order for the job that has it, the same on the server as with
/// `gitci run`.
@Suite struct NeedsOrderTests {
    static let pipeline = """
        stages: [build, test, deploy]
        jobs:
          broken:
            stage: build
            steps: ["exit 3"]
          compile:
            stage: build
            steps: ["true"]
          unit:
            stage: test
            steps: ["true"]
          package:
            stage: deploy
            needs: [compile]
            steps: ["true"]
          publish:
            stage: deploy
            needs: [unit]
            steps: ["true"]
          report:
            stage: deploy
            steps: ["true"]
        """

    /// `name: status (reason)` of every job of a `--json` document, sorted by name.
    static func outcomes(_ document: [String: Any]) -> [String] {
        let jobs = document["jobs"] as? [[String: Any]] ?? []
        return jobs.map { job in
            "\(job["name"] as? String ?? "?"): \(job["status"] as? String ?? "?") (\(job["reason"] as? String ?? ""))"
        }.sorted()
    }

    @Test func gitciRunAndTheServerSkipTheSameJobsForTheSameReasons() throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let onServer = Self.outcomes(try fixture.status("main"))
        let run = try GitciBinary.run(["run", "--commit", "HEAD", "--json"], in: fixture.clone.path)
        #expect(run.status == 1, "\(run.stderr)")
        let local = Self.outcomes(try fixture.document(run))

        #expect(onServer.contains("package: passed ()"), "\(onServer)")
        #expect(onServer.contains("unit: skipped (stage 'build' failed)"), "\(onServer)")
        #expect(onServer.contains("report: skipped (stage 'build' failed)"), "\(onServer)")
        #expect(onServer.contains("publish: skipped (needs 'unit', which was skipped)"), "\(onServer)")
        #expect(onServer.count == 6, "\(onServer)")
        #expect(local == onServer)
    }
}
