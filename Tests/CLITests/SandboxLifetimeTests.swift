import Foundation
import Testing
import TestSupport

/// How long a sandbox lives: as long as its job, not as long as the thread that started it,
/// and not past gitci's own end.
@Suite struct SandboxLifetimeTests {
    @Test func aSandboxedStepOutlivesAnIdleThreadOfGitcis() throws {
        // bwrap's --die-with-parent killed a step once the thread that started bwrap ended,
        // which Swift's idle threads do after a few seconds.
        let repo = try repository(pipeline: "jobs: {a: {steps: [\"sleep 8; echo SLEPT\"]}}")
        let run = try GitciBinary.run(["run", "--sandbox", "--commit", "HEAD"], in: repo.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }

    @Test func killingGitciEndsItsSandboxedSteps() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let repo = try repository(pipeline: "jobs: {a: {steps: [\"sleep \(marker)\"]}}")
        let gitci = try RunningGitci(["run", "--sandbox", "--commit", "HEAD"], in: repo.path)
        #expect(await Poll.until { !ProcessTable.processes(containing: "sleep \(marker)").isEmpty })
        gitci.signal(SIGKILL)
        #expect(await gitci.waitForExit() == RunningGitci.Exit(status: SIGKILL, signaled: true))
        #expect(await ProcessTable.survivors(of: "sleep \(marker)").isEmpty)
    }
}
