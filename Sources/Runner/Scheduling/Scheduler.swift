public import Pipeline

/// Runs a plan's jobs: as many at once as allowed, each as soon as what it waits for is done.
///
/// Rules: a job without `needs` waits for every job of the earlier stages, and is skipped when
/// one of them did not pass (failed without `allow_failure`, or was skipped or cancelled). A job
/// with `needs` waits for those jobs only, whatever happens in the earlier stages, and is skipped
/// only when one of its needs did not pass. Jobs whose `when:` excludes the branch are skipped
/// without holding anything up, except the jobs that name them in `needs`.
public struct Scheduler: Sendable {
    public let plan: Plan
    public let parallelism: Int
    public let target: BuildTarget

    public init(plan: Plan, parallelism: Int, target: BuildTarget) {
        self.plan = plan
        self.parallelism = max(1, parallelism)
        self.target = target
    }

    /// Runs every job through `execute` and returns one result per job, in plan order.
    /// Cancelling the calling task stops running jobs and cancels the ones not started.
    /// A job `settled` has a result for (reused, or skipped unchanged: ReuseDecision) ends with
    /// it when it would start, without starting.
    public func run(observer: some RunObserver, settled: (PlannedJob) -> JobResult? = { _ in nil },
                    execute: @escaping @Sendable (PlannedJob) async -> JobResult) async -> [JobResult] {
        var book = Bookkeeping(plan: plan, target: target)
        for skipped in book.begin() { observer.jobFinished(skipped) }

        await withTaskGroup(of: (position: Int, result: JobResult).self) { group in
            var running = 0
            func startReady() {
                while running < parallelism, !Task.isCancelled, let (position, job) = book.nextReady() {
                    if let result = settled(job) {
                        observer.jobFinished(result)
                        for skipped in book.record(result, at: position) { observer.jobFinished(skipped) }
                        continue
                    }
                    running += 1
                    group.addTask {
                        observer.jobStarted(job, at: .now)
                        let result = await execute(job)
                        observer.jobFinished(result)
                        return (position, result)
                    }
                }
            }
            startReady()
            while let (position, result) = await group.next() {
                running -= 1
                for skipped in book.record(result, at: position) { observer.jobFinished(skipped) }
                startReady()
            }
        }
        for cancelled in book.cancelRemaining() { observer.jobFinished(cancelled) }
        return book.resultsInPlanOrder
    }
}
