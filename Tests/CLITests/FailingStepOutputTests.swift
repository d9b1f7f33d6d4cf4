import Foundation
import Testing
import TestSupport

/// After a failed run, the terminal shows which step failed and the end of what it wrote,
/// without a trip to the log.
@Suite struct FailingStepOutputTests {
    static let pipeline = """
        jobs:
          compile:
            steps:
              - { name: prepare, run: "echo prepared" }
              - name: build
                run: |
                  for i in $(seq 1 50); do echo "build line $i"; done
                  exit 3
              - { name: collect, run: "echo collected after the failure", if: failure }
          fine:
            steps: ["echo fine"]
        """

    @Test func theFailingStepsNameAndLastLinesFollowTheTable() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let result = try GitciBinary.run(["run", "--jobs", "1"], in: repo.path)
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let heading = try #require(lines.firstIndex(of: "compile: step 2 'build' failed; its last 30 lines:"), "\(result.stdout)")
        let shown = Array(lines[(heading + 1)...].prefix { $0.hasPrefix("  ") })
        #expect(shown == (21...50).map { "  build line \($0)" })
        #expect(!result.stdout.contains("collected after the failure"))
        #expect(!result.stdout.contains("fine: step"))
    }

    @Test func tailChoosesHowManyLinesAndZeroShowsNone() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let three = try GitciBinary.run(["run", "--tail", "3"], in: repo.path)
        let lines = three.stdout.split(separator: "\n").map(String.init)
        let heading = try #require(lines.firstIndex(of: "compile: step 2 'build' failed; its last 3 lines:"), "\(three.stdout)")
        #expect(Array(lines[(heading + 1)...].prefix { $0.hasPrefix("  ") }) == ["  build line 48", "  build line 49", "  build line 50"])
        let none = try GitciBinary.run(["run", "--tail", "0"], in: repo.path)
        #expect(none.status == 1)
        #expect(!none.stdout.contains("build line"))
        #expect(!none.stdout.contains("its last"))
    }
}
