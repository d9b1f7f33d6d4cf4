import Foundation
import Pipeline
import Runner
import Store
import Worker

/// Runs a build's jobs through the coordinator's queue: each job is queued with its labels and
/// run by the first agent (or slot of the coordinator's own) that claims it; this waits for its
/// result. A build run again after a restart finds its jobs' rows: a finished one's result is
/// taken as it is, a running one is waited for under the lease its agent holds.
struct DispatchingJobRunner: JobRunning {
    let dispatcher: Dispatcher
    let repository: String
    let run: LocalRun

    func run(_ job: PlannedJob, _ assignment: JobAssignment, events: JobEvents) async -> JobResult {
        let logPath = run.logPath(ofJob: job.name, position: assignment.position)
        let queue = dispatcher.queue
        var row: CoordinatorStore.DispatchedJob
        do {
            let order = try JSONEncoder().encode(AgentAPI.JobOrder(repository: repository, assignment: assignment))
            row = try queue.enqueueJob(repository: repository, runID: assignment.runID, job: job.name, labels: job.labels,
                                       assignment: order, logPath: logPath, now: Date().timeIntervalSince1970)
        } catch {
            return JobResult(name: job.name, stage: job.stage, status: .failed, reason: "cannot queue the job: \(error)",
                             allowFailure: job.allowFailure, node: dispatcher.localName, matrix: job.matrix)
        }
        guard !row.isFinished else { return Dispatcher.result(of: row, job: job, logPath: logPath) }
        let id = row.id
        dispatcher.register(id, .init(job: job, assignment: assignment, runner: run.localJobRunner, events: events))
        defer { dispatcher.unregister(id) }
        dispatcher.workQueued()
        var saidWaiting: String?
        await withTaskCancellationHandler {
            while true {
                let generation = dispatcher.ended.generation(id)
                if let now = try? queue.dispatchedJob(id) { row = now }
                if row.isFinished { break }
                let waiting = row.state == .queued ? dispatcher.waitingReason(labels: job.labels) : nil
                if waiting != saidWaiting {
                    events.waiting(waiting)
                    saidWaiting = waiting
                }
                // Woken by the job's end; looked at now and then for agents that came or went.
                await dispatcher.ended.wait(id, since: generation, seconds: 2)
            }
        } onCancel: {
            // A queued job ends at once; a running one when its agent has stopped it (or its
            // lease runs out).
            let after = try? queue.requestJobCancel(id, reason: "cancelled before an agent took it", now: Date().timeIntervalSince1970)
            dispatcher.cancels.signal(id)
            if after?.isFinished == true { dispatcher.ended.signal(id) }
        }
        if saidWaiting != nil { events.waiting(nil) }
        return Dispatcher.result(of: row, job: job, logPath: logPath)
    }
}

/// `gitci serve`'s JobDispatch: one per served repository, for the worker it hosts.
struct RepositoryDispatch: JobDispatch {
    let dispatcher: Dispatcher
    let repository: String

    func runner(for run: LocalRun, gitDirectory: String) -> any JobRunning {
        DispatchingJobRunner(dispatcher: dispatcher, repository: repository, run: run)
    }
}
