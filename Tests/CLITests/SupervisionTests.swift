import Foundation
import Testing
import TestSupport

/// Whatever happens to the `gitci` process's terminal or output, the steps it started are never
/// left running unsupervised.
@Suite struct SupervisionTests {
    @Test func aHangupStopsRunningStepsLikeAnInterrupt() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let started = TemporaryDirectory("gitci-started")
        let repo = try repository(pipeline: """
            jobs:
              long:
                steps: ["touch \(started.url("long")); sh -c 'sleep \(marker) & sleep \(marker)'"]
            """)
        let gitci = try RunningGitci(["run", "--json"], in: repo.path)
        #expect(await Poll.untilExists(started.url("long")))
        #expect(await Poll.until { !ProcessTable.processes(containing: "sleep \(marker)").isEmpty })
        // What closing the terminal (or losing the ssh connection) sends.
        gitci.signal(SIGHUP)
        #expect(await gitci.waitForExit() == RunningGitci.Exit(status: 1, signaled: false))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
        #expect(try jsonObject(gitci.stdout)["status"] as? String == "cancelled")
    }
}
