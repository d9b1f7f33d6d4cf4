import Foundation
import Testing
import TestSupport

/// `git push -o ci.skip` and `git push -o ci.variable=K=V`.
@Suite struct PushOptionTests {
    @Test func ciSkipBuildsNothing() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              hello:
                steps: ["touch {scratch}/built-$GITCI_COMMIT"]
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        let push = try fixture.pushOK(["-o", "ci.skip", "origin", "main"])
        #expect(push.stderr.contains("remote: gitci: ci.skip"), "\(push.stderr)")
        try fixture.drain()

        #expect(try fixture.notes(commit).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.scratch.url("built-\(commit)")))
        #expect(try fixture.queue().latestBuild(of: commit) == nil)

        // The next push without the option builds as usual.
        let next = try fixture.clone.commit(["more": "1"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        #expect(try fixture.pipelineRecords(next).map { $0["status"] as? String } == ["passed"])
        #expect(FileManager.default.fileExists(atPath: fixture.scratch.url("built-\(next)")))
    }

    @Test func ciSkipDoesNotDropTheBuildOfAnEarlierPush() throws {
        // Skipping this push's build must not cost the branch the build it was waiting for.
        let fixture = try ServerFixture(pipeline: """
            jobs:
              hello:
                steps: ["touch {scratch}/built-$GITCI_COMMIT"]
            """)
        let lock = try HeldWorkerLock(fixture)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        let skipped = try fixture.clone.commit(["typo": "fixed"])
        try fixture.pushOK(["-o", "ci.skip", "origin", "main"])
        lock.release()
        try fixture.drain()

        #expect(try fixture.pipelineRecords(first).map { $0["status"] as? String } == ["passed"])
        #expect(try fixture.notes(skipped).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.scratch.url("built-\(skipped)")))
    }

    @Test func ciVariableReachesStepsAsEnvironment() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              show:
                steps:
                  - printf 'FOO=[%s] BAR=[%s]\\n' "$FOO" "$BAR"
                  - test "$FOO" = bar
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        // The value is data: spaces, quotes and `$(...)` arrive as they were typed.
        let value = #"two words 'q' $(touch pwned)"#
        try fixture.pushOK(["-o", "ci.variable=FOO=bar", "-o", "ci.variable=BAR=\(value)", "origin", "main"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        let log = try fixture.log(of: commit, job: "show")
        #expect(log.contains("FOO=[bar] BAR=[\(value)]"), "\(log)")
        let found = FileManager.default.enumerator(atPath: fixture.serverPath)?.contains { ($0 as? String)?.hasSuffix("pwned") == true }
        #expect(found == false)
    }

    @Test func ciVariableCannotReplaceGitcisOwnVariables() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              show:
                steps: ['printf "branch=[%s]\\n" "$GITCI_BRANCH"']
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["-o", "ci.variable=GITCI_BRANCH=forged", "origin", "main"])
        try fixture.drain()
        #expect(try fixture.log(of: commit, job: "show").contains("branch=[main]"))
    }
}
