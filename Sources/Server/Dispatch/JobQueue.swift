import Foundation
import Store

/// What the dispatcher needs of the store that holds the jobs it hands out: queued by builds,
/// claimed by agents under leases, finished by their results. SQLite (CoordinatorStore) keeps it
/// for one coordinator; docs/agents.md has the plan for a PostgreSQL one, for several.
protocol JobQueue: Sendable {
    typealias Job = CoordinatorStore.DispatchedJob

    func enqueueJob(repository: String, runID: String, job: String, labels: [String], assignment: Data,
                    logPath: String, now: Double) throws(StoreError) -> Job
    func dispatchedJob(_ id: Int64) throws(StoreError) -> Job?
    func requestJobCancel(_ id: Int64, reason: String, now: Double) throws(StoreError) -> Job?
    func expireLeases(now: Double, maxAttempts: Int) throws(StoreError) -> (requeued: [Job], ended: [Job])
    func releaseJobs(ofAgent agent: String?) throws(StoreError) -> [Job]
    func claimJob(agent: String, token: String, labels: Set<String>, among: Set<Int64>?, lease: Double,
                  now: Double) throws(StoreError) -> Job?
    func renewLease(_ id: Int64, attempt: Int, agent: String, lease: Double, now: Double) throws(StoreError) -> CoordinatorStore.LeaseCheck
    func appendLog(_ id: Int64, attempt: Int, agent: String, offset: Int64, count: Int64,
                   write: (_ skipping: Int64, _ at: Int64) throws -> Void) throws(StoreError) -> CoordinatorStore.LogAppend
    func finishJob(_ id: Int64, attempt: Int, agent: String, result: Data, cancelled: Bool, now: Double) throws(StoreError) -> Bool
    func recordAgentContact(name: String, token: String, labels: [String], slots: Int, now: Double) throws(StoreError)
    func agents() throws(StoreError) -> [CoordinatorStore.AgentRecord]
}

extension CoordinatorStore: JobQueue {}
