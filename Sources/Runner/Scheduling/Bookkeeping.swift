package import Pipeline

/// The scheduler's state: what each job finished with, which jobs may start, which can no
/// longer run.
///
/// Driven by events so that a job costs the same in a plan of 20 jobs as in one of 1,000: a job
/// with `needs` counts its needs not finished yet, and every job lists the jobs that need it; the
/// jobs without `needs` wait in their stage's list until every earlier stage has finished. A
/// finished job touches only the jobs that need it and its stage's count, and each stage's list is
/// released or skipped once. Nothing scans the plan per job.
package struct Bookkeeping {
    package let plan: Plan
    let target: BuildTarget
    /// By position in the plan, as are the other per-job arrays.
    private var results: [JobResult?]
    private var started: [Bool]
    /// Skipped by `when:`: they do not hold up stage order, only the jobs that name them in `needs`.
    private var excluded: [Bool]
    /// The jobs that name each job in `needs`.
    private var dependents: [[Int]]
    private var needsLeft: [Int]
    /// Per stage: its jobs not finished yet (jobs excluded by `when:` never count).
    private var unfinishedInStage: [Int]
    /// Per stage: its jobs without `needs` that were neither released nor skipped yet.
    private var waiting: [[Int]]
    /// The stages whose waiting jobs were released: every stage before `released`.
    private var released = 0
    /// The waiting jobs of this stage and of every later one were skipped, because a job of an
    /// earlier stage did not pass.
    private var skippedFrom: Int
    private var ready = ReadyQueue()
    /// Units of bookkeeping done so far (jobs, `needs` edges and stage lists visited), so that a
    /// test can check the work grows with the plan linearly, without timing anything.
    package private(set) var operations = 0

    package init(plan: Plan, target: BuildTarget) {
        self.plan = plan
        self.target = target
        let count = plan.jobs.count
        let stageCount = max(plan.stages.count, (plan.jobs.map(\.stageIndex).max() ?? -1) + 1)
        results = Array(repeating: nil, count: count)
        started = Array(repeating: false, count: count)
        excluded = Array(repeating: false, count: count)
        dependents = Array(repeating: [], count: count)
        needsLeft = Array(repeating: 0, count: count)
        unfinishedInStage = Array(repeating: 0, count: stageCount)
        waiting = Array(repeating: [], count: stageCount)
        skippedFrom = stageCount
    }

    /// Skips the jobs `when:` excludes, and what can no longer run because of them, and makes
    /// ready the jobs that wait for nothing. Returns the skipped jobs, to report.
    package mutating func begin() -> [JobResult] {
        let position = Dictionary(uniqueKeysWithValues: plan.jobs.enumerated().map { ($1.name, $0) })
        var reported: [JobResult] = []
        var excludedJobs: [Int] = []
        for (index, job) in plan.jobs.enumerated() {
            operations += 1
            if let reason = job.exclusionReason(for: target) {
                excluded[index] = true
                skip(index, reason: reason, into: &reported)
                excludedJobs.append(index)
                continue
            }
            unfinishedInStage[job.stageIndex] += 1
            guard job.needs != nil else {
                waiting[job.stageIndex].append(index)
                continue
            }
            // `dependencies` holds the needs that are in the plan (a selection may leave some out).
            for name in job.dependencies {
                operations += 1
                guard let need = position[name] else { continue }
                dependents[need].append(index)
                needsLeft[index] += 1
            }
            if needsLeft[index] == 0 { ready.push(index) }
        }
        for index in excludedJobs { settle(after: index, into: &reported) }
        releaseStages()
        return reported
    }

    /// Records a job's result (the job at `position` in the plan) and returns the jobs that can
    /// no longer run because of it, now skipped.
    package mutating func record(_ result: JobResult, at position: Int) -> [JobResult] {
        results[position] = result
        var reported: [JobResult] = []
        settle(after: position, into: &reported)
        releaseStages()
        return reported
    }

    /// The earliest-planned job that may start, with its position in the plan; marks it started.
    package mutating func nextReady() -> (position: Int, job: PlannedJob)? {
        while let index = ready.pop() {
            operations += 1
            guard results[index] == nil, !started[index] else { continue }
            started[index] = true
            return (index, plan.jobs[index])
        }
        return nil
    }

    /// Marks every job without a result cancelled (a stopped run), and returns those.
    package mutating func cancelRemaining() -> [JobResult] {
        var cancelled: [JobResult] = []
        for index in plan.jobs.indices where results[index] == nil {
            let job = plan.jobs[index]
            let result = JobResult(name: job.name, stage: job.stage, status: .cancelled, reason: "cancelled before it started",
                                   allowFailure: job.allowFailure, matrix: job.matrix)
            results[index] = result
            cancelled.append(result)
        }
        return cancelled
    }

    /// One result per job that has one, in plan order.
    package var resultsInPlanOrder: [JobResult] {
        results.compactMap { $0 }
    }

    // MARK: - Events

    /// Passes on what the job at `finished` ended with: to the jobs that need it (skipped, or one
    /// need fewer to wait for) and to the later stages (skipped when it did not pass), and on from
    /// each job skipped so.
    private mutating func settle(after finished: Int, into reported: inout [JobResult]) {
        var pending = [finished]
        while let index = pending.popLast() {
            guard let result = results[index] else { continue }
            let job = plan.jobs[index]
            for dependent in dependents[index] where results[dependent] == nil {
                operations += 1
                if let reason = Self.reason(need: job.name, result) {
                    skip(dependent, reason: reason, into: &reported)
                    pending.append(dependent)
                } else {
                    needsLeft[dependent] -= 1
                    if needsLeft[dependent] == 0 { ready.push(dependent) }
                }
            }
            guard !excluded[index] else { continue }
            unfinishedInStage[job.stageIndex] -= 1
            guard let reason = Self.reason(earlierStage: job, result), job.stageIndex + 1 < skippedFrom else { continue }
            // These jobs wait for every earlier stage, so none was released yet.
            for stage in (job.stageIndex + 1)..<skippedFrom {
                for waiter in waiting[stage] {
                    operations += 1
                    skip(waiter, reason: reason, into: &reported)
                    pending.append(waiter)
                }
                waiting[stage] = []
            }
            skippedFrom = job.stageIndex + 1
        }
    }

    /// Makes ready the jobs without `needs` of each stage whose earlier stages have all finished.
    private mutating func releaseStages() {
        // A stage's count only goes down, so a stage found finished stays finished.
        while released < waiting.count, released == 0 || unfinishedInStage[released - 1] == 0 {
            for index in waiting[released] {
                operations += 1
                ready.push(index)
            }
            waiting[released] = []
            released += 1
        }
    }

    private mutating func skip(_ index: Int, reason: String, into reported: inout [JobResult]) {
        let job = plan.jobs[index]
        let result = JobResult(name: job.name, stage: job.stage, status: .skipped, reason: reason,
                               allowFailure: job.allowFailure, matrix: job.matrix)
        results[index] = result
        reported.append(result)
    }

    /// Why a job that names `need` in `needs` cannot run after `result`, if it cannot.
    private static func reason(need: String, _ result: JobResult) -> String? {
        switch result.status {
        case .failed where !result.allowFailure: return "needs '\(need)', which failed"
        case .cancelled: return "needs '\(need)', which was cancelled"
        case .skipped where result.unchangedSince == nil: return "needs '\(need)', which was skipped"
        default: return nil
        }
    }

    /// Why the jobs without `needs` of the stages after `job`'s cannot run after `result`, if
    /// they cannot.
    private static func reason(earlierStage job: PlannedJob, _ result: JobResult) -> String? {
        switch result.status {
        case .failed where !result.allowFailure: return "stage '\(job.stage)' failed"
        case .cancelled: return "'\(job.name)' of stage '\(job.stage)' was cancelled"
        case .skipped where result.unchangedSince == nil: return "'\(job.name)' of stage '\(job.stage)' was skipped"
        default: return nil
        }
    }
}
