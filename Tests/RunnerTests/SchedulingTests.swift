import Foundation
import Runner
import Testing
import TestSupport

/// Stage order, parallelism, `needs`, and what a failure stops. Every claim is checked with
/// evidence the jobs leave in files (who saw whose file, who wrote first), never with timings.
@Suite struct SchedulingTests {
    @Test func jobsOfAStageRunAtTheSameTime() async throws {
        // Each job waits for a file only the other creates: they pass only if both run at once.
        let fixture = try RunnerFixture(pipeline: """
            stages: [only]
            jobs:
              left:
                stage: only
                steps:
                  - touch @SHARED@/left-started
                  - |
                    \(Step.waitFor("right-started"))
              right:
                stage: only
                steps:
                  - touch @SHARED@/right-started
                  - |
                    \(Step.waitFor("left-started"))
            """)
        let report = try await fixture.run(LocalRun.Options(parallelism: 2))
        #expect(report.status == .passed)
        #expect(report["left"].status == .passed)
        #expect(report["right"].status == .passed)
    }

    @Test func oneJobAtATimeNeverOverlaps() async throws {
        let job = """
                stage: only
                steps:
                  - |
                    \(Step.start)
                    sleep 0.2
                    \(Step.end)
            """
        let fixture = try RunnerFixture(pipeline: """
            stages: [only]
            jobs:
              first:
            \(job)
              second:
            \(job)
              third:
            \(job)
            """)
        let report = try await fixture.run(LocalRun.Options(parallelism: 1))
        #expect(report.status == .passed)
        let events = try fixture.events()
        #expect(events.count == 6)
        // With one slot, every start is followed by the same job's end.
        for pair in stride(from: 0, to: events.count - 1, by: 2) {
            let name = events[pair].replacingOccurrences(of: "start ", with: "")
            #expect(events[pair].hasPrefix("start "))
            #expect(events[pair + 1] == "end \(name)", "jobs overlapped: \(events)")
        }
    }

    @Test func laterStagesStartOnlyAfterEveryJobOfTheEarlierOnesEnded() async throws {
        let fixture = try RunnerFixture(pipeline: """
            stages: [first, second, third]
            jobs:
              slow:
                stage: first
                steps:
                  - |
                    \(Step.start)
                    sleep 0.3
                    \(Step.end)
              quick:
                stage: first
                steps:
                  - |
                    \(Step.start)
                    \(Step.end)
              middle:
                stage: second
                steps:
                  - |
                    \(Step.start)
                    \(Step.end)
              last:
                stage: third
                steps:
                  - |
                    \(Step.start)
                    \(Step.end)
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed)
        let events = try fixture.events()
        let position = { (event: String) in events.firstIndex(of: event) ?? -1 }
        #expect(position("start middle") > position("end slow"), "\(events)")
        #expect(position("start middle") > position("end quick"), "\(events)")
        #expect(position("start last") > position("end middle"), "\(events)")
        #expect(events.count == 8)
    }

    @Test func needsLetsAJobStartBeforeItsStage() async throws {
        // `slow` (stage one) can only finish once `early` (stage two, needs only `fast`) has
        // started; `late` (stage two, no needs) must still wait for the whole first stage.
        let fixture = try RunnerFixture(pipeline: """
            stages: [one, two]
            jobs:
              slow:
                stage: one
                steps:
                  - |
                    \(Step.start)
                    \(Step.waitFor("early-started"))
                    \(Step.end)
              fast:
                stage: one
                steps: ["true"]
              early:
                stage: two
                needs: [fast]
                steps:
                  - touch @SHARED@/early-started
              late:
                stage: two
                steps:
                  - |
                    \(Step.start)
                    \(Step.end)
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed)
        #expect(report["slow"].status == .passed)
        #expect(report["early"].status == .passed)
        let events = try fixture.events()
        #expect(events == ["start slow", "end slow", "start late", "end late"])
    }

    @Test func aFailureSkipsItsDependentsAndTheLaterStages() async throws {
        let fixture = try RunnerFixture(pipeline: """
            stages: [one, two, three]
            jobs:
              broken:
                stage: one
                steps: ["exit 3"]
              helper:
                stage: one
                needs: [broken]
                steps: ["touch @SHARED@/helper-ran"]
              fine:
                stage: one
                steps: ["true"]
              after:
                stage: two
                steps: ["touch @SHARED@/after-ran"]
              final:
                stage: three
                needs: []
                steps: ["true"]
              closing:
                stage: three
                steps: ["touch @SHARED@/closing-ran"]
            """)
        let report = try await fixture.run()
        #expect(report.status == .failed)
        #expect(report["broken"].status == .failed)
        #expect(report["broken"].exitCode == 3)
        #expect(report["fine"].status == .passed)
        for name in ["helper", "after", "closing"] {
            #expect(report[name].status == .skipped, "\(name)")
            #expect(report[name].reason?.contains("failed") == true, "\(name): \(report[name].reason ?? "no reason")")
            #expect(!fixture.sharedFileExists("\(name)-ran"), "\(name) ran")
        }
        #expect(report["helper"].reason == "needs 'broken', which failed")
        #expect(report["after"].reason == "stage 'one' failed")
        #expect(report["closing"].reason == "stage 'one' failed")
        // `needs: []` replaces the stage order: nothing it waits for failed.
        #expect(report["final"].status == .passed)
        #expect(report.jobs.map(\.name) == ["broken", "helper", "fine", "after", "final", "closing"])
    }

    @Test func aJobWithNeedsRunsDespiteAnUnrelatedFailureOfAnEarlierStage() async throws {
        let fixture = try RunnerFixture(pipeline: """
            stages: [build, test, deploy]
            jobs:
              broken:
                stage: build
                steps: ["exit 3"]
              compile:
                stage: build
                steps: ["true"]
              unit:
                stage: test
                steps: ["touch @SHARED@/unit-ran"]
              package:
                stage: deploy
                needs: [compile]
                steps: ["touch @SHARED@/package-ran"]
              publish:
                stage: deploy
                needs: [unit]
                steps: ["touch @SHARED@/publish-ran"]
              report:
                stage: deploy
                steps: ["touch @SHARED@/report-ran"]
            """)
        let report = try await fixture.run(LocalRun.Options(parallelism: 1))
        #expect(report.status == .failed)
        #expect(report["package"].status == .passed)
        #expect(fixture.sharedFileExists("package-ran"))
        #expect(report["unit"].status == .skipped)
        #expect(report["unit"].reason == "stage 'build' failed")
        #expect(report["report"].reason == "stage 'build' failed")
        #expect(report["publish"].status == .skipped)
        #expect(report["publish"].reason == "needs 'unit', which was skipped")
        for name in ["unit", "publish", "report"] {
            #expect(!fixture.sharedFileExists("\(name)-ran"), "\(name) ran")
        }
    }

    @Test func aJobWithoutNeedsWaitsForAJobWithNeedsOfAnEarlierStage() async throws {
        // `early` (stage one) needs `late` (stage three, which needs nothing); `middle` (stage
        // two, no needs) waits for `early`, so for `late` too, and is skipped when it fails.
        let fixture = try RunnerFixture(pipeline: """
            stages: [one, two, three]
            jobs:
              early:
                stage: one
                needs: [late]
                steps: ["true"]
              middle:
                stage: two
                steps: ["touch @SHARED@/middle-ran"]
              late:
                stage: three
                needs: []
                steps: ["exit 5"]
            """)
        let report = try await fixture.run()
        #expect(report["late"].status == .failed)
        #expect(report["early"].reason == "needs 'late', which failed")
        #expect(report["middle"].status == .skipped)
        #expect(report["middle"].reason == "'early' of stage 'one' was skipped")
        #expect(!fixture.sharedFileExists("middle-ran"))
    }

    @Test func anAllowedFailureBlocksNothing() async throws {
        let fixture = try RunnerFixture(pipeline: """
            stages: [one, two]
            jobs:
              flaky:
                stage: one
                allow_failure: true
                steps: ["exit 4"]
              solid:
                stage: one
                steps: ["true"]
              next:
                stage: two
                steps: ["touch @SHARED@/next-ran"]
              follower:
                stage: two
                needs: [flaky]
                steps: ["touch @SHARED@/follower-ran"]
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed)
        #expect(report["flaky"].status == .failed)
        #expect(report["flaky"].allowFailure)
        #expect(report["flaky"].exitCode == 4)
        #expect(report["next"].status == .passed)
        #expect(report["follower"].status == .passed)
        #expect(fixture.sharedFileExists("next-ran"))
        #expect(fixture.sharedFileExists("follower-ran"))
    }

    @Test func aFailingStepEndsItsJob() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              steps-in-order:
                steps:
                  - touch @SHARED@/one
                  - |
                    false
                    touch @SHARED@/after-false
                  - touch @SHARED@/three
            """)
        let report = try await fixture.run()
        let job = report["steps-in-order"]
        #expect(report.status == .failed)
        #expect(job.status == .failed)
        #expect(job.exitCode == 1)
        #expect(job.reason?.contains("failed (exit status 1)") == true)
        #expect(fixture.sharedFileExists("one"))
        // Steps run with `sh -e`: the failing command ends the step, and the job stops there.
        #expect(!fixture.sharedFileExists("after-false"))
        #expect(!fixture.sharedFileExists("three"))
        #expect(try job.log().contains("==> step 2/3"))
    }

    @Test func theLogTimesEveryStepAndTheJob() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              timed:
                steps: ["true", "sleep 0.25"]
            """)
        let log = try await fixture.run()["timed"].log()
        let stepTimes = log.split(separator: "\n").filter { $0.hasPrefix("==> ok in ") }
            .map { Double($0.dropFirst("==> ok in ".count).dropLast()) }
        #expect(stepTimes.count == 2, "\(log)")
        #expect(stepTimes.allSatisfy { $0 != nil }, "\(log)")
        #expect((stepTimes.last.flatMap { $0 } ?? 0) >= 0.25, "\(log)")
        // Two decimals under ten seconds: `0.25s`, never `0.3s` or `0.250000s`.
        #expect(log.split(separator: "\n").contains { $0.wholeMatch(of: /==> ok in \d\.\d\ds/) != nil }, "\(log)")
        #expect(log.contains(/gitci: job passed in \d\.\d\ds/), "\(log)")
        #expect(log.contains(/gitci: job timed on .+, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/), "\(log)")
    }
}
