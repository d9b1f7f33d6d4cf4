import Foundation
import Pipeline
import Runner
import Testing
import TestSupport

/// Steps run through the sandbox's init keep what steps straight on the machine have: their
/// own process group, timeouts, cancellation, background processes for the later steps; and
/// lose, with the job, everything they started.
@Suite struct SandboxedJobTests {
    func sandboxed(_ fixture: RunnerFixture) -> LocalRun.Options {
        LocalRun.Options(parallelism: 4, sandbox: .on(Sandbox.Settings(writable: [fixture.shared.path])))
    }

    @Test func aStepTimeoutStopsTheStepsGroupAndTheJobsDaemons() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              hang:
                steps:
                  - setsid sh -c 'trap "" TERM; sleep \(marker)' > /dev/null 2>&1 &
                  - name: sleepers
                    run: trap '' TERM; sh -c 'sleep \(marker) & sleep \(marker)'
                    timeout: 1s
                  - touch @SHARED@/after-timeout
            """)
        let report = try await fixture.run(sandboxed(fixture))
        let job = report["hang"]
        #expect(job.status == .failed)
        #expect(job.reason == "step 'sleepers' timed out after 1s")
        #expect(!fixture.sharedFileExists("after-timeout"))
        #expect(ProcessTable.processes(containing: "sleep \(marker)").isEmpty)
    }

    @Test func cancellingStopsTheRunningStep() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              running:
                steps:
                  - touch @SHARED@/started; sleep \(marker)
                  - touch @SHARED@/continued
            """)
        let localRun = try LocalRun(directory: fixture.repo.path, options: sandboxed(fixture))
        let task = Task { await localRun.run(observer: SilentObserver()) }
        #expect(await Poll.untilExists(fixture.sharedPath("started")))
        task.cancel()
        let report = await task.value

        #expect(report["running"].status == .cancelled)
        #expect(!fixture.sharedFileExists("continued"))
        #expect(ProcessTable.processes(containing: "sleep \(marker)").isEmpty)
    }

    @Test func stepsKeepTheirEnvironmentExitStatusAndProcessGroup() async throws {
        let fixture = try RunnerFixture(pipeline: """
            env: { GREETING: "a 'quoted' $(value)" }
            jobs:
              env:
                steps:
                  - printf '%s\\n' "$GREETING" > @SHARED@/greeting
                  - test "$(ps -o pgid= -p $$ | tr -d ' ')" = "$$"
                  - exit 7
            """)
        let report = try await fixture.run(sandboxed(fixture))
        #expect(try fixture.sharedText("greeting") == "a 'quoted' $(value)")
        #expect(report["env"].exitCode == 7)
        #expect(report["env"].reason == "step 'exit 7' failed (exit status 7)")
    }

    @Test func pipefailAndTheHandOverFilesWorkInTheSandbox() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              handoff:
                env: { TOOLS: "$HOME/.local/bin" }
                steps:
                  - echo "HANDED=over" >> "$GITCI_ENV"
                  - printf '%s\\n' "$HANDED" > @SHARED@/handed
                  - printf '%s|%s\\n' "$TOOLS" "$HOME" > @SHARED@/tools
                  - false | cat
                  - { run: "touch @SHARED@/after-failure", if: failure }
            """)
        let report = try await fixture.run(sandboxed(fixture))
        #expect(try fixture.sharedText("handed") == "over")
        // `$HOME` in `env:` is the sandbox's HOME, the one the steps see.
        let parts = try fixture.sharedText("tools").split(separator: "|").map(String.init)
        #expect(parts.count == 2 && parts[0] == parts[1] + "/.local/bin", "\(parts)")
        #expect(parts.last != ProcessInfo.processInfo.environment["HOME"])
        #expect(report["handoff"].reason == "step 'false | cat' failed (exit status 1)")
        #expect(fixture.sharedFileExists("after-failure"))
    }

    @Test func theRegistryHidesEveryInstalledRepository() throws {
        let home = TemporaryDirectory("gitci-home")
        let registry = RepositoryRegistry(home: home.path)
        let built = try GitFixture(bare: true)
        let other = try GitFixture(bare: true)
        try registry.add(other.path)
        try registry.add(other.path)
        #expect(registry.repositories().count == 1)

        let sandbox = Sandbox(gitDirectory: built.path, registry: registry)
        let resolved = { (path: String) in URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        #expect(sandbox.hidden.contains(resolved(other.path)))
        #expect(sandbox.hidden.contains(resolved(built.path)))
        // The mirrors folder is made with the sandbox: a build's first mirror comes after it is set.
        #expect(sandbox.readOnly == [resolved(built.path) + "/objects", resolved(built.path) + "/gitci/mirrors"])
        #expect(sandbox.writable == [resolved(built.path) + "/gitci/home"])

        try registry.remove(other.path)
        #expect(registry.repositories().isEmpty)
        #expect(!Sandbox(gitDirectory: built.path, registry: registry).hidden.contains(resolved(other.path)))
    }
}
