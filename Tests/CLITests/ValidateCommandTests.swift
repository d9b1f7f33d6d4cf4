import Foundation
import Testing
import TestSupport

/// `gitci validate [REV]`: every error at once, each as `.gitci.yml:LINE:COL: message`.
@Suite struct ValidateCommandTests {
    static let valid = """
        stages: [build, test]
        jobs:
          compile:
            stage: build
            steps: [make]
          check:
            stage: test
            needs: [compile]
            steps: [make test]
        """

    /// Three mistakes: a misspelt stage (line 4), a misspelt key (line 8) that leaves the job
    /// without steps (line 6).
    static let invalid = """
        stages: [build, test]
        jobs:
          compile:
            stage: buld
            steps: [make]
          check:
            stage: test
            stepz: [make test]
        """

    @Test func aValidFileExitsZero() throws {
        let repo = try repository(pipeline: Self.valid)
        let result = try GitciBinary.run(["validate"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("is valid"))
        #expect(result.stdout.contains("2 jobs"))
        #expect(result.stderr.isEmpty)
    }

    @Test func anInvalidFileReportsEveryErrorWithLineAndColumn() throws {
        let repo = try repository(pipeline: Self.invalid)
        let result = try GitciBinary.run(["validate"], in: repo.path)
        #expect(result.status == 2)
        let diagnostics = configDiagnostics(result.stderr)
        // Every line on stderr is a diagnostic, and all three are there at once, in file order.
        #expect(diagnostics.count == result.stderr.split(separator: "\n").count, "\(result.stderr)")
        #expect(diagnostics.map(\.line) == [4, 6, 8])
        #expect(diagnostics.map(\.column) == [12, 3, 5])
        #expect(diagnostics[0].message.contains("'buld'") && diagnostics[0].message.contains("did you mean 'build'"))
        #expect(diagnostics[1].message.contains("no 'steps'"))
        #expect(diagnostics[2].message.contains("'stepz'"))
    }

    @Test func aRevisionIsCheckedAsCommitted() throws {
        let repo = try repository(pipeline: Self.valid)
        let good = try repo.git(["rev-parse", "--short", "HEAD"])
        try repo.write(".gitci.yml", Self.invalid)

        // The working tree's file is broken; HEAD's is not.
        #expect(try GitciBinary.run(["validate"], in: repo.path).status == 2)
        let atHead = try GitciBinary.run(["validate", "HEAD"], in: repo.path)
        #expect(atHead.status == 0, "\(atHead.stderr)")
        #expect(atHead.stdout.contains("at \(good)"))

        // Once the broken file is committed, the older revision still validates.
        try repo.git(["commit", "-q", "-am", "break the pipeline"])
        #expect(try GitciBinary.run(["validate", "HEAD"], in: repo.path).status == 2)
        #expect(try GitciBinary.run(["validate", "HEAD~1"], in: repo.path).status == 0)
        #expect(try GitciBinary.run(["validate", "main~1"], in: repo.path).status == 0)
    }

    @Test func aMissingFileOrRevisionIsAClearError() throws {
        let repo = try GitFixture(files: ["README": "nothing\n"])
        let missing = try GitciBinary.run(["validate"], in: repo.path)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no .gitci.yml"))

        let unknown = try GitciBinary.run(["validate", "no-such-rev"], in: repo.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown revision 'no-such-rev'"))
    }

    @Test func aMissingFileOrRevisionGivesAJSONErrorDocument() throws {
        let repo = try GitFixture(files: ["README.md": "hello\n"])
        let head = try repo.git(["rev-parse", "HEAD"])
        let missing = try GitciBinary.run(["validate", "HEAD", "--json"], in: repo.path)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no .gitci.yml"), "\(missing.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(missing.stdout.utf8)) as? [String: Any],
                                    "stdout: \(missing.stdout)")
        #expect(document["commit"] as? String == head)
        #expect(document["status"] as? String == "config-error")
        let errors = document["errors"] as? [[String: Any]] ?? []
        #expect(errors.count == 1)
        #expect(errors.first?["file"] as? String == ".gitci.yml")
        #expect((errors.first?["message"] as? String)?.contains("no .gitci.yml") == true)

        let unknown = try GitciBinary.run(["validate", "no-such-revision", "--json"], in: repo.path)
        #expect(unknown.status == 2)
        let unknownDocument = try #require(try JSONSerialization.jsonObject(with: Data(unknown.stdout.utf8)) as? [String: Any],
                                           "stdout: \(unknown.stdout)")
        #expect(unknownDocument["commit"] is NSNull)
        #expect(((unknownDocument["errors"] as? [[String: Any]])?.first?["message"] as? String)?.contains("no-such-revision") == true)
    }
}
