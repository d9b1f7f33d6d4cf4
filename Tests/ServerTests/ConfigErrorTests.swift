import Foundation
import Testing
import TestSupport

/// A push whose `.gitci.yml` is broken is still a build: its result is `config-error`, with
/// every message, where anyone looks for results.
@Suite struct ConfigErrorTests {
    static let broken: [(name: String, text: String)] = [
        ("invalid pipeline", """
            jobs:
              test:
                steps: "not a list"
                stage: nowhere
              lint:
                bogus: 1
            """),
        ("YAML syntax error", """
            jobs:
              test:
                steps: [echo unclosed
            """),
    ]

    @Test(arguments: broken.indices)
    func aBrokenPipelineIsRecordedAsAConfigError(case index: Int) throws {
        let fixture = try ServerFixture(pipeline: Self.broken[index].text)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let push = try fixture.pushOK(["origin", "main"])
        #expect(!push.stderr.contains("Fatal error"))
        try fixture.drain()

        // What `gitci validate` says about the commit is what was recorded.
        let validate = try fixture.gitci(["validate", commit])
        #expect(validate.status == 2)
        let expected = validate.stderr.split(separator: "\n").filter { $0.hasPrefix(".gitci.yml:") }.map(String.init)
        #expect(!expected.isEmpty, "\(validate.stderr)")

        let status = try fixture.gitci(["status", commit, "--json"])
        #expect(status.status == 1)
        let document = try fixture.document(status)
        #expect(document["status"] as? String == "config-error")
        let errors = document["errors"] as? [[String: Any]] ?? []
        let shown = errors.map { "\($0["file"] ?? ""):\($0["line"] ?? ""):\($0["column"] ?? ""): \($0["message"] ?? "")" }
        #expect(shown == expected)
        #expect(errors.allSatisfy { ($0["line"] as? Int ?? 0) > 0 && ($0["column"] as? Int ?? 0) > 0 })

        let records = try fixture.pipelineRecords(commit)
        #expect(records.map { $0["status"] as? String } == ["config-error"])
        let plan = try fixture.plans()["main"]
        #expect((plan?["last"] as? [String: Any])?["status"] as? String == "config-error")

        // Fixing the file fixes the branch.
        let fixed = try fixture.clone.commit([".gitci.yml": "jobs:\n  test:\n    steps: [\"true\"]\n"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try fixture.status(fixed)["status"] as? String == "passed")
    }
}
