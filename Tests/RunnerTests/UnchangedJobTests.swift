import Foundation
import Runner
import Testing
import TestSupport

/// A job `changes:` skips counts as passed for the stages after it, unlike a job skipped because
/// what it needs failed; and it starts nothing.
@Suite struct UnchangedJobTests {
    @Test func laterStagesRunAfterAJobSkippedForNoChanges() async throws {
        let fixture = try RunnerFixture(pipeline: """
            stages: [check, test]
            jobs:
              app:
                stage: check
                changes: ["src/**"]
                steps: ["touch @SHARED@/app-ran"]
              later:
                stage: test
                steps: ["touch @SHARED@/later-ran"]
            """, files: ["src/a.py": "1\n"])
        let base = try fixture.repo.git(["rev-parse", "HEAD"])
        try fixture.repo.commit(["docs/a.md": "# a\n"])
        let report = try await fixture.run(LocalRun.Options(commit: "HEAD", parallelism: 2))
        #expect(report.status == .passed)
        #expect(report["app"].status == .skipped)
        #expect(report["app"].reason == "no changes since \(base.prefix(10))")
        #expect(report["app"].logPath == nil)
        #expect(!fixture.sharedFileExists("app-ran"))
        #expect(report["later"].status == .passed)
        #expect(fixture.sharedFileExists("later-ran"))
    }
}
