import Foundation
import Pipeline
import Runner
import Store
import Synchronization

/// The coordinator's hand-out of jobs: builds queue their jobs here (DispatchingJobRunner),
/// agents and the coordinator's own slots claim them, and whoever waits is woken when a job is
/// queued, asked to stop or ended.
final class Dispatcher: Sendable {
    let queue: any JobQueue
    /// The name the coordinator's own job slots claim under, and their labels.
    let localName: String
    let localLabels: Set<String>
    let localSlots: Int
    /// Seconds a claim lasts unless renewed.
    let lease: Double
    /// An attempt more is not made after this many agents lost the job.
    static let maxAttempts = 3

    /// Signalled (key 0) when a job is queued or queued again.
    let work = Signals<Int>()
    let ended = Signals<Int64>()
    /// Signalled when a job is asked to stop, or ends: what its lease poll waits for.
    let cancels = Signals<Int64>()
    private let localJobs = Mutex<[Int64: LocalJob]>([:])
    private let agentCache = Mutex<(read: Double, agents: [CoordinatorStore.AgentRecord])>((0, []))

    /// A job this process can run on its own slots: its build is running here.
    struct LocalJob: Sendable {
        let job: PlannedJob
        let assignment: JobAssignment
        let runner: any JobRunning
        let events: JobEvents
    }

    init(queue: any JobQueue, localName: String, localLabels: Set<String>, localSlots: Int, lease: Double = AgentAPI.lease) {
        self.queue = queue
        self.lease = lease
        self.localName = localName
        self.localLabels = localLabels
        self.localSlots = localSlots
    }

    func workQueued() {
        work.signal(0)
    }

    func register(_ id: Int64, _ job: LocalJob) {
        localJobs.withLock { $0[id] = job }
    }

    func unregister(_ id: Int64) {
        _ = localJobs.withLock { $0.removeValue(forKey: id) }
        ended.forget(id)
        cancels.forget(id)
    }

    var localJobIDs: Set<Int64> { localJobs.withLock { Set($0.keys) } }

    func localJob(_ id: Int64) -> LocalJob? {
        localJobs.withLock { $0[id] }
    }

    /// Why a job with `labels` is not taken: nil when a connected agent, or this coordinator's
    /// own slots, could take it (it waits only for one of them to be free).
    func waitingReason(labels: [String]) -> String? {
        if localSlots > 0, labels.allSatisfy(localLabels.contains) { return nil }
        let now = Date().timeIntervalSince1970
        let agents = agentCache.withLock { cache -> [CoordinatorStore.AgentRecord]? in
            now - cache.read < 1 ? cache.agents : nil
        } ?? {
            let read = (try? queue.agents()) ?? []
            agentCache.withLock { $0 = (now, read) }
            return read
        }()
        let fits = agents.contains { agent in
            now - agent.lastSeen.timeIntervalSince1970 < AgentAPI.connectedWithin && labels.allSatisfy(agent.labels.contains)
        }
        if fits { return nil }
        return labels.isEmpty ? "waiting for an agent" : "waiting for an agent with labels \(labels.joined(separator: ", "))"
    }

    /// Leases that ran out and tokens revoked: their jobs go back to the queue (or end), and
    /// whoever waits for them is told.
    func sweep(now: Double = Date().timeIntervalSince1970, log: @Sendable (String) -> Void) {
        if let expired = try? queue.expireLeases(now: now, maxAttempts: Self.maxAttempts) {
            for job in expired.requeued {
                log("gitci: serve: \(job.agent ?? "an agent") stopped renewing the lease of '\(job.job)' (\(job.repository), attempt \(job.attempt)); queued again")
            }
            for job in expired.ended {
                log("gitci: serve: '\(job.job)' (\(job.repository)) ended: its agent \(job.agent ?? "") stopped answering")
                ended.signal(job.id)
            }
            if !expired.requeued.isEmpty { workQueued() }
        }
        if let released = try? queue.releaseJobs(ofAgent: nil), !released.isEmpty {
            for job in released {
                log("gitci: serve: the token of \(job.agent ?? "an agent") was revoked; '\(job.job)' (\(job.repository)) queued again")
                cancels.signal(job.id)
            }
            workQueued()
        }
    }

    /// The job's result once it ended: its agent's, with the log where this coordinator keeps
    /// it; or one that says why there is none.
    static func result(of row: CoordinatorStore.DispatchedJob, job: PlannedJob, logPath: String) -> JobResult {
        if let data = row.result, var result = try? JSONDecoder().decode(JobResult.self, from: data) {
            result.logPath = FileManager.default.fileExists(atPath: logPath) ? logPath : nil
            return result
        }
        var result = JobResult(name: job.name, stage: job.stage, status: row.state == .cancelled ? .cancelled : .failed,
                               reason: row.reason ?? "ended without a result", allowFailure: job.allowFailure,
                               node: row.agent ?? "", matrix: job.matrix)
        result.logPath = FileManager.default.fileExists(atPath: logPath) ? logPath : nil
        return result
    }
}
