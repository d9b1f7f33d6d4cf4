import Foundation
import Store
import Testing
import TestSupport

/// The coordinator's job queue: claims by labels under leases, attempts that run out, late and
/// foreign reports refused, cancel and revoked tokens.
@Suite struct JobDispatchTests {
    let home = TemporaryDirectory()

    func store() throws -> CoordinatorStore { try CoordinatorStore.open(home: home.path) }

    func enqueue(_ store: CoordinatorStore, _ job: String = "unit", labels: [String] = [], now: Double = 100) throws -> CoordinatorStore.DispatchedJob {
        try store.enqueueJob(repository: "app", runID: "r1", job: job, labels: labels, assignment: Data("{}".utf8),
                             logPath: home.url("log"), now: now)
    }

    @Test func aJobIsQueuedOncePerRunAndGoesOnlyToAnAgentWithAllItsLabels() throws {
        let store = try store()
        let job = try enqueue(store, labels: ["linux", "py312"])
        #expect(try enqueue(store, labels: ["linux", "py312"]).id == job.id, "a build run again finds its job")
        #expect(try store.claimJob(agent: "a", token: "a", labels: ["linux"], lease: 60, now: 100) == nil)
        let claimed = try #require(try store.claimJob(agent: "b", token: "b", labels: ["linux", "py312", "gpu"], lease: 60, now: 100))
        #expect(claimed.id == job.id && claimed.attempt == 1 && claimed.agent == "b" && claimed.state == .running)
        #expect(try store.claimJob(agent: "c", token: "c", labels: ["linux", "py312"], lease: 60, now: 100) == nil, "claimed once")
    }

    @Test func anAttemptWhoseLeaseRanOutIsQueuedAgainAndItsLateReportsAreRefused() throws {
        let store = try store()
        let job = try enqueue(store)
        _ = try store.claimJob(agent: "a", token: "a", labels: [], lease: 10, now: 100)
        #expect(try store.renewLease(job.id, attempt: 1, agent: "a", lease: 10, now: 105) == .held(cancelRequested: false))
        #expect(try store.renewLease(job.id, attempt: 1, agent: "other", lease: 10, now: 105) == .lost)
        #expect(try store.expireLeases(now: 114, maxAttempts: 3).requeued.isEmpty, "renewed at 105 for 10 s")
        #expect(try store.expireLeases(now: 116, maxAttempts: 3).requeued.map(\.id) == [job.id])
        let second = try #require(try store.claimJob(agent: "b", token: "b", labels: [], lease: 10, now: 117))
        #expect(second.attempt == 2)
        #expect(try !store.finishJob(job.id, attempt: 1, agent: "a", result: Data("late".utf8), cancelled: false, now: 118))
        #expect(try store.appendLog(job.id, attempt: 1, agent: "a", offset: 0, count: 4) { _, _ in } == .lost)
        #expect(try store.finishJob(job.id, attempt: 2, agent: "b", result: Data("ok".utf8), cancelled: false, now: 118))
        let done = try #require(try store.dispatchedJob(job.id))
        #expect(done.state == .finished && done.result == Data("ok".utf8))
    }

    @Test func aJobLostTooOftenEndsWithAReason() throws {
        let store = try store()
        let job = try enqueue(store)
        var now = 100.0
        for _ in 1...3 {
            _ = try store.claimJob(agent: "flaky", token: "flaky", labels: [], lease: 10, now: now)
            now += 20
            _ = try store.expireLeases(now: now, maxAttempts: 3)
        }
        let ended = try #require(try store.dispatchedJob(job.id))
        #expect(ended.state == .finished && ended.result == nil)
        #expect(ended.reason?.contains("lost its agent 3 times") == true, "\(ended.reason ?? "")")
    }

    @Test func cancelEndsAQueuedJobAtOnceAndTellsTheHolderOfARunningOne() throws {
        let store = try store()
        let queued = try enqueue(store, "queued", labels: ["nowhere"])
        let running = try enqueue(store, "running")
        #expect(try store.requestJobCancel(queued.id, reason: "cancelled", now: 101)?.state == .cancelled)
        _ = try store.claimJob(agent: "a", token: "a", labels: [], lease: 10, now: 100)
        #expect(try store.requestJobCancel(running.id, reason: "cancelled", now: 101)?.state == .running)
        #expect(try store.renewLease(running.id, attempt: 1, agent: "a", lease: 10, now: 102) == .held(cancelRequested: true))
        // Its agent gone, it ends cancelled rather than running again.
        #expect(try store.expireLeases(now: 200, maxAttempts: 3).ended.map(\.id) == [running.id])
        #expect(try store.dispatchedJob(running.id)?.state == .cancelled)
    }

    @Test func theJobsOfARevokedTokenGoBackToTheQueue() throws {
        let store = try store()
        _ = try store.createAgentToken(name: "gone")
        let job = try enqueue(store)
        _ = try store.claimJob(agent: "node-1", token: "gone", labels: [], lease: 60, now: 100)
        #expect(try store.releaseJobs(ofAgent: nil).isEmpty)
        try store.revokeAgentToken(name: "gone")
        #expect(try store.releaseJobs(ofAgent: nil).map(\.id) == [job.id])
        let again = try #require(try store.claimJob(agent: "node-2", token: "other", labels: [], lease: 60, now: 101))
        #expect(again.attempt == 1, "an attempt taken away is not counted against the job")
    }

    @Test func aLogChunkSentAgainOrOverlappingIsTakenOnce() throws {
        let store = try store()
        let job = try enqueue(store)
        _ = try store.claimJob(agent: "a", token: "a", labels: [], lease: 60, now: 100)
        var writes: [(Int64, Int64)] = []
        let record: (Int64, Int64) throws -> Void = { writes.append(($0, $1)) }
        #expect(try store.appendLog(job.id, attempt: 1, agent: "a", offset: 0, count: 6, write: record) == .accepted(size: 6))
        #expect(try store.appendLog(job.id, attempt: 1, agent: "a", offset: 0, count: 6, write: record) == .accepted(size: 6))
        #expect(try store.appendLog(job.id, attempt: 1, agent: "a", offset: 3, count: 6, write: record) == .accepted(size: 9))
        #expect(try store.appendLog(job.id, attempt: 1, agent: "a", offset: 20, count: 1, write: record) == .gap(expected: 9))
        #expect(writes.map { [$0.0, $0.1] } == [[0, 0], [3, 6]], "only bytes past the end are written, where the log ends")
    }

    @Test func agentsAreListedWithTheirRunningJobs() throws {
        let store = try store()
        _ = try enqueue(store)
        try store.recordAgentContact(name: "node-1", token: "t", labels: ["linux"], slots: 2, now: 100)
        _ = try store.claimJob(agent: "node-1", token: "t", labels: ["linux"], lease: 60, now: 100)
        let agents = try store.agents()
        #expect(agents.map(\.name) == ["node-1"] && agents.first?.labels == ["linux"] && agents.first?.slots == 2)
        #expect(agents.first?.running.map(\.job) == ["unit"])
    }
}
