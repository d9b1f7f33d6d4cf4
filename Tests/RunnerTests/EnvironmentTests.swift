import Foundation
import Runner
import Testing
import TestSupport

/// What steps find in their environment, and that values only ever arrive as data: matrix
/// values and branch names full of shell syntax are never executed.
@Suite struct EnvironmentTests {
    @Test func gitciVariablesDescribeTheJob() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              describe:
                steps:
                  - |
                    printf '%s\\n' "$GITCI_COMMIT" > @SHARED@/commit
                    printf '%s\\n' "$GITCI_BRANCH" > @SHARED@/branch
                    printf '%s\\n' "$GITCI_JOB" > @SHARED@/job
                    printf '%s\\n' "$GITCI_WORKSPACE" > @SHARED@/workspace
                    pwd -P > @SHARED@/pwd
            """)
        let report = try await fixture.run()
        #expect(report["describe"].status == .passed)
        #expect(try fixture.sharedText("commit") == fixture.repo.git(["rev-parse", "HEAD"]))
        #expect(try fixture.sharedText("branch") == "main")
        #expect(try fixture.sharedText("job") == "describe")
        let workspace = try fixture.sharedText("workspace")
        #expect(URL(fileURLWithPath: workspace).resolvingSymlinksInPath().path == (try fixture.sharedText("pwd")))
        #expect(workspace != fixture.repo.path)
    }

    @Test func matrixValuesArriveAsKeyAndAsGitciMatrixKey() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              test:
                matrix:
                  python: ["3.11", "3.12"]
                  os: [linux]
                steps:
                  - printf '%s|%s|%s|%s\\n' "$GITCI_JOB" "$python" "$GITCI_MATRIX_PYTHON" "$GITCI_MATRIX_OS" >> @SHARED@/values
            """)
        let report = try await fixture.run(LocalRun.Options(parallelism: 1))
        #expect(report.status == .passed)
        let lines = Set(try fixture.sharedText("values").split(separator: "\n").map(String.init))
        #expect(lines == [
            "test (python=3.11, os=linux)|3.11|3.11|linux",
            "test (python=3.12, os=linux)|3.12|3.12|linux",
        ])
    }

    @Test func matrixValuesWithShellSyntaxArriveLiterallyAndNeverRun() async throws {
        let hostile = [
            "$(touch pwned)",
            "`touch pwned`",
            "x; touch pwned #",
            "\"; touch pwned; echo \"",
            "' ; touch pwned ; '",
            "$HOME && touch pwned",
            "a | touch pwned > pwned",
        ]
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              quote:
                matrix:
                  value: [\(hostile.map(yamlQuoted).joined(separator: ", "))]
                steps:
                  - printf '%s\\0' "$value" "$GITCI_MATRIX_VALUE" >> @SHARED@/values
                  - echo $value
            """)
        let report = try await fixture.run(LocalRun.Options(parallelism: 1, keepWorkspaces: true))
        #expect(report.status == .passed)
        #expect(report.jobs.count == hostile.count)
        let values = try String(contentsOfFile: fixture.sharedPath("values"), encoding: .utf8)
            .split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
        // Each job wrote its value twice (as `value` and as `GITCI_MATRIX_VALUE`), unchanged.
        let pairs = stride(from: 0, to: values.count - 1, by: 2).map { [values[$0], values[$0 + 1]] }
        #expect(pairs.sorted { $0[0] < $1[0] } == hostile.sorted().map { [$0, $0] })
        #expect(Self.filesNamed("pwned", under: [fixture.repo.path, fixture.shared.path]).isEmpty)
    }

    @Test func branchNamesWithShellSyntaxArriveLiterallyAndNeverRun() async throws {
        let branch = "x$(touch${IFS}pwned)`touch${IFS}pwned`;touch${IFS}pwned"
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              show:
                steps:
                  - printf '%s' "$GITCI_BRANCH" > @SHARED@/branch
                  - echo $GITCI_BRANCH
            """)
        try fixture.repo.git(["checkout", "-q", "-b", branch])
        #expect(try fixture.repo.git(["branch", "--show-current"]) == branch)

        let fromGit = try await fixture.run(LocalRun.Options(parallelism: 1, keepWorkspaces: true))
        #expect(fromGit.status == .passed)
        #expect(fromGit.branch == branch)
        #expect(try fixture.sharedText("branch") == branch)

        let given = "$(touch pwned); touch pwned && `touch pwned`"
        let fromOption = try await fixture.run(LocalRun.Options(target: .branch(given), parallelism: 1, keepWorkspaces: true))
        #expect(fromOption.status == .passed)
        #expect(try fixture.sharedText("branch") == given)
        #expect(Self.filesNamed("pwned", under: [fixture.repo.path, fixture.shared.path]).isEmpty)
    }

    @Test func gitVariablesOfTheRunnerNeverReachSteps() {
        let inherited = JobContext.inheritedEnvironment([
            "GIT_DIR": ".", "GIT_WORK_TREE": "/somewhere", "GIT_INDEX_FILE": "/tmp/index",
            "PATH": "/usr/bin:/bin", "HOME": "/home/user", "MY_GIT_THING": "kept",
        ])
        #expect(inherited == ["PATH": "/usr/bin:/bin", "HOME": "/home/user", "MY_GIT_THING": "kept"])
    }

    /// Every file or folder called `name` anywhere under `roots`.
    static func filesNamed(_ name: String, under roots: [String]) -> [String] {
        roots.flatMap { root -> [String] in
            let paths = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
            return paths.filter { ($0 as NSString).lastPathComponent == name }.map { root + "/" + $0 }
        }
    }
}
