import Foundation
import Pipeline
import Runner
import Testing
import TestSupport

/// Timeouts and cancellation stop a step's whole process group, and nothing a step started
/// outlives its job. Leftovers are found by a unique marker in their command lines.
@Suite struct ProcessControlTests {
    @Test func aStepTimeoutKillsTheWholeProcessGroup() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              hang:
                steps:
                  - name: sleepers
                    run: sh -c 'sleep \(marker) & sleep \(marker)'
                    timeout: 1s
                  - touch @SHARED@/after-timeout
            """)
        let report = try await fixture.run()
        let job = report["hang"]
        #expect(report.status == .failed)
        #expect(job.status == .failed)
        #expect(job.reason == "step 'sleepers' timed out after 1s")
        #expect(try job.log().contains("timed out"))
        #expect(!fixture.sharedFileExists("after-timeout"))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }

    @Test func aJobTimeoutStopsTheRunningStep() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              slow:
                timeout: 2s
                steps:
                  - touch @SHARED@/first-step
                  - sh -c 'sleep \(marker) & sleep \(marker)'
            """)
        let report = try await fixture.run()
        let job = report["slow"]
        #expect(job.status == .failed)
        #expect(job.reason == "job timed out after 2s")
        #expect(fixture.sharedFileExists("first-step"))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }

    @Test func backgroundProcessesAStepLeftEndWithTheJob() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              leaves-a-daemon:
                steps:
                  - sleep \(marker) > /dev/null 2>&1 &
                  - touch @SHARED@/second-step
            """)
        let report = try await fixture.run()
        #expect(report["leaves-a-daemon"].status == .passed)
        #expect(fixture.sharedFileExists("second-step"))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }

    @Test func aStepThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let plan = try PipelineSource.plan(Array("""
            jobs:
              stubborn:
                steps:
                  - name: ignores TERM
                    run: trap '' TERM; sleep \(marker) & wait; sleep \(marker)
                    timeout: 1s
            """.utf8))
        let folder = TemporaryDirectory("gitci-executor")
        let context = JobContext(
            pipelineID: "test", commit: nil, branch: nil, source: .workingTree(root: folder.path, files: []),
            workspace: folder.url("workspace"), logPath: folder.url("job.log"),
            baseEnvironment: JobContext.inheritedEnvironment(), terminationGrace: 0.5
        )
        let result = await JobExecutor().run(try #require(plan.jobs.first), context: context)
        #expect(result.status == .failed)
        #expect(result.reason == "step 'ignores TERM' timed out after 1s")
        #expect(result.exitCode == 128 + SIGKILL)
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }

    @Test func cancellingTheRunStopsTheGroupAndReportsCancelled() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try RunnerFixture(pipeline: """
            stages: [one, two]
            jobs:
              running:
                stage: one
                steps:
                  - touch @SHARED@/started; sh -c 'sleep \(marker) & sleep \(marker)'
                  - touch @SHARED@/running-continued
              dependent:
                stage: one
                needs: [running]
                steps: ["touch @SHARED@/dependent-ran"]
              later:
                stage: two
                steps: ["touch @SHARED@/later-ran"]
            """)
        let localRun = try LocalRun(directory: fixture.repo.path, options: LocalRun.Options(parallelism: 4))
        let task = Task { await localRun.run(observer: SilentObserver()) }
        #expect(await Poll.untilExists(fixture.sharedPath("started")))
        #expect(await Poll.until { !ProcessTable.processes(containing: "sleep \(marker)").isEmpty })
        task.cancel()
        let report = await task.value

        #expect(report.status == .cancelled)
        #expect(report["running"].status == .cancelled)
        #expect(report["running"].reason?.contains("cancelled") == true)
        #expect(try report["running"].log().contains("cancelled"))
        for name in ["dependent", "later"] {
            #expect([.cancelled, .skipped].contains(report[name].status), "\(name): \(report[name].status)")
            #expect(!fixture.sharedFileExists("\(name)-ran"))
        }
        #expect(!fixture.sharedFileExists("running-continued"))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }
}
