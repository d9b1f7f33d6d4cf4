import Foundation
import Testing
import TestSupport

/// CI runs the suite under a hard limit: a command a test waits for that never ends must fail
/// that test, with what it printed, and leave nothing of it running.
@Suite struct FixtureDeadlineTests {
    @Test func aCommandPastItsDeadlineIsKilledWithWhatItStartedAndFailsWithItsOutput() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let error = try #require(throws: CommandTimedOut.self) {
            try Shell.run(["sh", "-c", "echo waiting >&2; sleep \(marker) & sleep \(marker); wait"], timeout: 1)
        }
        #expect(error.stderr == "waiting\n")
        #expect(error.description.contains("did not finish within 1 s"), "\(error)")
        #expect(await ProcessTable.survivors(of: marker, timeout: 10).isEmpty, "the command's children were killed")
    }

    @Test func aCommandWithinItsDeadlineIsWaitedFor() throws {
        let result = try Shell.run(["sh", "-c", "sleep 0.2; echo done; exit 3"], timeout: 60)
        #expect(result.status == 3)
        #expect(result.stdout == "done\n")
    }

    /// What the fixture does to a worker that outlives its test.
    @Test func aFixtureKillsTheWorkersOfItsServer() async throws {
        let fixture = try ServerFixture(pipeline: nil)
        let worker = try fixture.startWorker()
        #expect(await Poll.until(timeout: 60) { fixture.lockHolder() == worker.processIdentifier })
        #expect(fixture.killWorkers() == [worker.processIdentifier])
        #expect(ProcessTable.waitForExit(of: worker, timeout: 30))
        #expect(worker.terminationReason == .uncaughtSignal)
    }
}
