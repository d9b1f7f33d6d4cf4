import Foundation
import Pipeline
@testable import Runner
import Store
import Testing
import TestSupport

/// Running one job sits behind JobRunning: what a job needs (JobAssignment) and what it returns
/// (JobResult) cross a JSON boundary whole, as they will to and from a build agent.
@Suite struct JobRunningTests {
    /// Runs each job on this machine, but only from what survives JSON both ways.
    struct OverJSON: JobRunning {
        let local: LocalJobRunner
        let seen = Seen()

        final class Seen: @unchecked Sendable {
            // @unchecked: guarded by the lock.
            private let lock = NSLock()
            private var assignments: [JobAssignment] = []
            func add(_ assignment: JobAssignment) { lock.withLock { assignments.append(assignment) } }
            var all: [JobAssignment] { lock.withLock { assignments } }
        }

        func run(_ job: PlannedJob, _ assignment: JobAssignment, events: JobEvents) async -> JobResult {
            let sent = try! JSONDecoder().decode(JobAssignment.self, from: JSONEncoder().encode(assignment))
            #expect(sent == assignment)
            seen.add(sent)
            let result = await local.run(job, sent, events: events)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let back = try! encoder.encode(result)
            let received = try! JSONDecoder().decode(JobResult.self, from: back)
            #expect(try! encoder.encode(received) == back, "a result survives the trip whole")
            return received
        }
    }

    @Test func aPlanRunsThroughAnyRunnerWithWhatCrossesAsJSON() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              build:
                stage: build
                steps: ["mkdir -p dist && echo wheel > dist/app.whl"]
                artifacts: [dist/app.whl]
              test:
                needs: [build]
                steps: ["test \\"$(cat dist/app.whl)\\" = wheel", "echo '<testsuite><testcase classname=\\"m\\" name=\\"t\\"/></testsuite>' > r.xml"]
                junit: [r.xml]
            """)
        let localRun = try LocalRun(directory: fixture.repo.path, options: LocalRun.Options(parallelism: 2, variables: ["EXTRA": "1"]))
        let runner = OverJSON(local: localRun.localRunner)
        let report = await localRun.run(observer: SilentObserver(), runner: runner)
        #expect(report.status == .passed, "\(report.jobs.map { ($0.name, $0.status, $0.reason ?? "") })")
        let assignments = Dictionary(uniqueKeysWithValues: runner.seen.all.map { ($0.job, $0) })
        #expect(assignments["test"]?.inputArtifacts.map(\.name) == ["dist/app.whl"], "the artifacts of its needs go with it")
        #expect(assignments["build"]?.inputArtifacts.isEmpty == true)
        #expect(assignments["test"]?.variables == ["EXTRA": "1"])
        #expect(assignments["test"]?.commit == report.commit?.hex && assignments["test"]?.configBlob == report.configBlob.hex)
        #expect(report.jobs.first { $0.name == "test" }?.tests?.passed == 1)
    }
}
