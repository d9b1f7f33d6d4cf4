import Pipeline
import Runner
import Testing

/// The scheduler's work per job does not grow with the number of jobs. Counted in bookkeeping
/// operations (jobs, `needs` edges and stage lists visited), never timed.
@Suite struct SchedulerScaleTests {
    /// Plans `yaml` and runs it through the scheduler's bookkeeping alone, one job at a time,
    /// each job ending with `status(name)`: the results and the operations that took.
    static func drive(_ yaml: String, status: (String) -> JobStatus = { _ in .passed }) throws -> (results: [JobResult], operations: Int) {
        let plan = try Plan(PipelineConfig.parse(Array(yaml.utf8)))
        var book = Bookkeeping(plan: plan, target: .branch("main"))
        _ = book.begin()
        while let (position, job) = book.nextReady() {
            _ = book.record(JobResult(name: job.name, stage: job.stage, status: status(job.name)), at: position)
        }
        _ = book.cancelRemaining()
        return (book.resultsInPlanOrder, book.operations)
    }

    /// `job0` ← `job1` ← … : each job needs the one before.
    static func chain(_ count: Int) -> String {
        "jobs:\n  job0:\n    steps: [\"true\"]\n"
            + (1..<count).map { "  job\($0):\n    needs: [job\($0 - 1)]\n    steps: [\"true\"]\n" }.joined()
    }

    /// `count` jobs without `needs`, dealt round the stages `s0`…: stage order alone.
    static func staged(_ count: Int, stages: Int) -> String {
        "stages: [\((0..<stages).map { "s\($0)" }.joined(separator: ", "))]\njobs:\n"
            + (0..<count).map { "  job\($0):\n    stage: s\($0 % stages)\n    steps: [\"true\"]\n" }.joined()
    }

    @Test func aChainOfAThousandJobsCostsPerJobWhatAShortOneDoes() throws {
        let short = try Self.drive(Self.chain(20))
        let long = try Self.drive(Self.chain(1000))
        #expect(long.results.count == 1000)
        #expect(long.results.allSatisfy { $0.status == .passed })
        #expect(long.results.map(\.name) == (0..<1000).map { "job\($0)" })
        #expect(Double(long.operations) / 1000 <= Double(short.operations) / 20 * 1.2,
                "\(long.operations) operations for 1,000 jobs, \(short.operations) for 20")
    }

    @Test func aThousandJobsInStagesCostPerJobWhatTwentyDo() throws {
        let short = try Self.drive(Self.staged(20, stages: 10))
        let long = try Self.drive(Self.staged(1000, stages: 10))
        #expect(long.results.count == 1000)
        #expect(long.results.allSatisfy { $0.status == .passed })
        #expect(Double(long.operations) / 1000 <= Double(short.operations) / 20 * 1.2,
                "\(long.operations) operations for 1,000 jobs, \(short.operations) for 20")
    }

    @Test func aFailureEarlyInAThousandJobsSkipsTheRestOnce() throws {
        // job0 (stage s0) fails: every job of the later stages is skipped, each visited once.
        let short = try Self.drive(Self.staged(20, stages: 10)) { $0 == "job0" ? .failed : .passed }
        let long = try Self.drive(Self.staged(1000, stages: 10)) { $0 == "job0" ? .failed : .passed }
        let skipped = long.results.filter { $0.status == .skipped }
        #expect(skipped.count == 900)
        #expect(skipped.allSatisfy { $0.reason == "stage 's0' failed" })
        #expect(long.results.filter { $0.status == .passed }.count == 99)
        #expect(Double(long.operations) / 1000 <= Double(short.operations) / 20 * 1.2,
                "\(long.operations) operations for 1,000 jobs, \(short.operations) for 20")
    }

    @Test func aFailureAtTheHeadOfAThousandJobChainSkipsItAll() throws {
        let long = try Self.drive(Self.chain(1000)) { $0 == "job0" ? .failed : .passed }
        #expect(long.results.dropFirst().allSatisfy { $0.status == .skipped })
        #expect(long.results[1].reason == "needs 'job0', which failed")
        #expect(long.results[999].reason == "needs 'job998', which was skipped")
        #expect(long.operations <= 5 * 1000)
    }

    @Test func theSchedulerRunsAThousandJobChainToTheEnd() async throws {
        let plan = try Plan(PipelineConfig.parse(Array(Self.chain(1000).utf8)))
        let results = await Scheduler(plan: plan, parallelism: 4, target: .branch("main")).run(observer: SilentObserver()) { job in
            JobResult(name: job.name, stage: job.stage, status: .passed)
        }
        #expect(results.count == 1000)
        #expect(results.allSatisfy { $0.status == .passed })
    }
}
