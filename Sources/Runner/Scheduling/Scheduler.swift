public import Pipeline

/// Runs a plan's jobs: as many at once as allowed, each as soon as what it waits for is done.
///
/// Rules: a job without `needs` waits for every job of the earlier stages; a job with `needs`
/// waits for those only. A job is skipped when something it waits for failed (unless that job
/// was allowed to fail), was skipped for a failure, or was cancelled; and no job of a stage after
/// a failed job's stage starts. Jobs whose `when:` excludes the branch are skipped without
/// holding anything up, except the jobs that explicitly need them.
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
    public func run(observer: some RunObserver,
                    execute: @escaping @Sendable (PlannedJob) async -> JobResult) async -> [JobResult] {
        var book = Bookkeeping(plan: plan, target: target)
        for skipped in book.excludedResults() { observer.jobFinished(skipped) }

        await withTaskGroup(of: JobResult.self) { group in
            var running = 0
            func startReady() {
                for skipped in book.settleBlocked() { observer.jobFinished(skipped) }
                while running < parallelism, !Task.isCancelled, let job = book.nextReady() {
                    running += 1
                    group.addTask {
                        observer.jobStarted(job, at: .now)
                        let result = await execute(job)
                        observer.jobFinished(result)
                        return result
                    }
                }
            }
            startReady()
            while let result = await group.next() {
                running -= 1
                book.record(result)
                startReady()
            }
        }
        for cancelled in book.cancelRemaining() { observer.jobFinished(cancelled) }
        return plan.jobs.compactMap { book.results[$0.name] }
    }
}

/// The scheduler's state: which jobs are done, and with what.
struct Bookkeeping {
    let plan: Plan
    let target: BuildTarget
    private(set) var results: [String: JobResult] = [:]
    private var started = Set<String>()
    /// Jobs skipped by `when:`; they do not hold up stage order.
    private var excluded = Set<String>()

    init(plan: Plan, target: BuildTarget) {
        self.plan = plan
        self.target = target
    }

    mutating func excludedResults() -> [JobResult] {
        var reported: [JobResult] = []
        for job in plan.jobs {
            guard let reason = job.exclusionReason(for: target) else { continue }
            let result = JobResult(name: job.name, stage: job.stage, status: .skipped, reason: reason,
                                   allowFailure: job.allowFailure, matrix: job.matrix)
            excluded.insert(job.name)
            results[job.name] = result
            reported.append(result)
        }
        return reported
    }

    mutating func record(_ result: JobResult) {
        results[result.name] = result
    }

    /// Skips, repeatedly until nothing changes, the waiting jobs that can no longer run.
    mutating func settleBlocked() -> [JobResult] {
        var skipped: [JobResult] = []
        var changed = true
        while changed {
            changed = false
            for job in plan.jobs where results[job.name] == nil && !started.contains(job.name) {
                guard let reason = blockingReason(job) else { continue }
                let result = JobResult(name: job.name, stage: job.stage, status: .skipped, reason: reason,
                                       allowFailure: job.allowFailure, matrix: job.matrix)
                results[job.name] = result
                skipped.append(result)
                changed = true
            }
        }
        return skipped
    }

    private func blockingReason(_ job: PlannedJob) -> String? {
        if let failedStage = plan.jobs.first(where: { $0.stageIndex < job.stageIndex && results[$0.name]?.isBlockingFailure == true }) {
            return "stage '\(failedStage.stage)' failed"
        }
        for name in job.dependencies {
            guard let result = results[name] else { continue }
            let explicit = job.needs != nil
            switch result.status {
            case .failed where !result.allowFailure:
                return explicit ? "needs '\(name)', which failed" : "stage '\(result.stage)' failed"
            case .cancelled:
                return "needs '\(name)', which was cancelled"
            case .skipped where explicit || !excluded.contains(name):
                return "needs '\(name)', which was skipped"
            default:
                continue
            }
        }
        return nil
    }

    /// The next job whose dependencies are all done, in plan order; marks it started.
    mutating func nextReady() -> PlannedJob? {
        for job in plan.jobs where results[job.name] == nil && !started.contains(job.name) {
            if job.dependencies.allSatisfy({ results[$0]?.status.isFinished == true }) {
                started.insert(job.name)
                return job
            }
        }
        return nil
    }

    mutating func cancelRemaining() -> [JobResult] {
        var cancelled: [JobResult] = []
        for job in plan.jobs where results[job.name] == nil {
            let result = JobResult(name: job.name, stage: job.stage, status: .cancelled, reason: "cancelled before it started",
                                   allowFailure: job.allowFailure, matrix: job.matrix)
            results[job.name] = result
            cancelled.append(result)
        }
        return cancelled
    }
}
