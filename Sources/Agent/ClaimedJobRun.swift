import Foundation
import GitKit
import NIOCore
import Pipeline
import Runner
import Store
import Synchronization

/// One job an agent claimed, from its source to its delivered result: the commit fetched into
/// the agent's mirror, the job run there as `gitci run` would (same runner, sandbox and
/// workspace rules), its log streamed while it runs, its lease held (and its cancel heard), its
/// artifacts and result delivered. The result is spooled to disk first: an agent that loses
/// the coordinator keeps it and delivers it when it can.
struct ClaimedJobRun: Sendable {
    let claimed: AgentAPI.ClaimedJob
    let client: AgentClient
    let settings: AgentSettings
    let log: @Sendable (String) -> Void

    var assignment: JobAssignment { claimed.order.assignment }
    var label: String { "'\(assignment.job)' of \(claimed.order.repository) (job \(claimed.id), attempt \(claimed.attempt))" }

    func run() async {
        log("gitci: agent: running \(label)")
        let lost = Flag()
        let paths = JobPaths()
        let job = Task { await execute(paths: paths) }
        let lease = Task { await holdLease(job: job, lost: lost) }
        let streamer = LogStreamer(claimed: claimed, client: client, lost: lost)
        let streaming = Task {
            while !Task.isCancelled {
                if let path = paths.log { await streamer.send(path) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        var result = await job.value
        streaming.cancel()
        lease.cancel()
        result.node = settings.name
        let delivery = ResultSpool.Entry(claimed: claimed, result: result, logPath: paths.log, artifactStore: paths.artifacts)
        let spooled = ResultSpool(home: settings.home).keep(delivery)
        await deliver(delivery, spooled: spooled, streamer: streamer, lost: lost)
    }

    /// Sends the rest of the log, the artifacts and the result until the coordinator has them or
    /// says the attempt is no longer this agent's.
    func deliver(_ delivery: ResultSpool.Entry, spooled: String?, streamer: LogStreamer, lost: Flag) async {
        defer { if let spooled { unlink(spooled) } }
        let result = delivery.result
        var delay = 0.5
        while !lost.isSet {
            do throws(AgentClient.Failure) {
                var logSize: Int64 = 0
                if let path = delivery.logPath { logSize = try await streamer.sendAll(path) }
                if let store = delivery.artifactStore.map(ArtifactStore.init(path:)) {
                    for artifact in result.artifacts {
                        guard let file = store.objectPath(artifact.sha256) else { continue }
                        try await client.uploadArtifact(claimed, sha256: artifact.sha256, file: file)
                    }
                }
                try await client.sendResult(claimed, AgentAPI.ResultReport(attempt: claimed.attempt, result: result, logSize: logSize))
                log("gitci: agent: \(label): \(result.status.rawValue)")
                return
            } catch {
                if !error.isRetryable {
                    log("gitci: agent: \(label): result not taken: \(error)")
                    return
                }
                log("gitci: agent: \(label): \(error); trying again in \(Int(delay.rounded(.up))) s")
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 5)
            }
        }
        log("gitci: agent: \(label): the coordinator gave the job to another attempt; its result is dropped")
    }

    /// Renews the lease in a long poll that answers at once when the job is to stop.
    private func holdLease(job: Task<JobResult, Never>, lost: Flag) async {
        while !Task.isCancelled {
            do throws(AgentClient.Failure) {
                let answer = try await client.lease(claimed, wait: claimed.renewEvery)
                if answer.cancel {
                    log("gitci: agent: \(label): cancelled by the coordinator")
                    job.cancel()
                    return
                }
            } catch {
                if case .lost = error {
                    log("gitci: agent: \(label): \(error); stopping it")
                    lost.set()
                    job.cancel()
                    return
                }
                if case .unauthorized = error {
                    lost.set()
                    job.cancel()
                    return
                }
                // Unreachable: the job goes on; its lease stands for a while yet.
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Fetches the source, places the input artifacts, and runs the job.
    private func execute(paths: JobPaths) async -> JobResult {
        let mirror = AgentMirror(home: settings.home, server: settings.server, token: settings.token)
        guard let commit = assignment.commit else { return failure("the job names no commit") }
        // A coordinator restarting, or a moment without network, is waited out for as long as
        // the lease would last: the attempt stands as long as its lease does.
        var fetched: AgentMirror.Fetched?
        let giveUp = Date().addingTimeInterval(claimed.lease)
        var delay = 0.5
        while fetched == nil {
            do {
                fetched = try await mirror.fetch(repository: claimed.order.repository, commit: commit)
            } catch {
                if error.reason != .fetch || Date().addingTimeInterval(delay) > giveUp || Task.isCancelled {
                    return failure("cannot fetch the source: \(error)")
                }
                log("gitci: agent: \(label): cannot fetch the source yet (\(error)); trying again")
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 5)
            }
        }
        guard let fetched else { return failure("cannot fetch the source") }
        var options = LocalRun.Options(commit: commit, target: target, jobs: [assignment.job], parallelism: 1,
                                       variables: assignment.variables, runID: assignment.runID, sandbox: .configured)
        options.noCache = true
        options.node = settings.name
        options.pinnedRepos = assignment.pinnedRepos.compactMapValues(ObjectID.init(hex:))
        options.configBlob = ObjectID(hex: assignment.configBlob)
        let run: LocalRun
        do {
            run = try LocalRun(directory: fetched.gitDirectory, options: options)
        } catch {
            return failure("cannot plan the job: \(error)")
        }
        paths.log = run.logPath(ofJob: assignment.job, position: assignment.position)
        let store = StateFolder(gitCommonDirectory: fetched.gitDirectory).artifacts
        paths.artifacts = store.path
        for artifact in assignment.inputArtifacts where !store.contains(artifact.sha256) {
            let file = NSTemporaryDirectory() + "gitci-artifact-\(UUID().uuidString)"
            defer { unlink(file) }
            do throws(AgentClient.Failure) {
                try await client.downloadArtifact(claimed, sha256: artifact.sha256, into: file)
                let stored = try? store.store(file: file)
                guard stored?.sha256 == artifact.sha256 else {
                    return failure("the artifact '\(artifact.name)' arrived changed (SHA-256 \(stored?.sha256 ?? "unreadable"))")
                }
            } catch {
                return failure("cannot get the artifact '\(artifact.name)': \(error)")
            }
        }
        guard let result = await run.run(assigned: assignment) else {
            return failure("the pipeline at \(commit.prefix(10)) has no job '\(assignment.job)'")
        }
        return result
    }

    private var target: BuildTarget {
        if let tag = assignment.tag { return .tag(tag) }
        if let branch = assignment.branch { return .branch(branch) }
        return .detached
    }

    private func failure(_ reason: String) -> JobResult {
        log("gitci: agent: \(label): \(reason)")
        return JobResult(name: assignment.job, stage: "", status: .failed, reason: reason, node: settings.name)
    }
}

/// Sends a growing log file in chunks that carry their offset; a chunk the coordinator did not
/// acknowledge is sent again (it takes each byte once), and one that would leave a gap is sent
/// from where the coordinator says it stands.
final class LogStreamer: Sendable {
    let claimed: AgentAPI.ClaimedJob
    let client: AgentClient
    let lost: Flag
    private let sent = Mutex<Int64>(0)
    static let chunk = 256 << 10

    init(claimed: AgentAPI.ClaimedJob, client: AgentClient, lost: Flag) {
        self.claimed = claimed
        self.client = client
        self.lost = lost
    }

    /// Sends what is new, once; failures wait for the next call.
    func send(_ path: String) async {
        _ = try? await sendAll(path)
    }

    /// Sends until the coordinator holds the whole file; returns its size.
    func sendAll(_ path: String) async throws(AgentClient.Failure) -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: path) else { return sent.withLock { $0 } }
        defer { try? handle.close() }
        while true {
            let offset = sent.withLock { $0 }
            try? handle.seek(toOffset: UInt64(offset))
            guard let data = try? handle.read(upToCount: Self.chunk), !data.isEmpty else { return offset }
            do throws(AgentClient.Failure) {
                let size = try await client.sendLog(claimed, offset: offset, bytes: ByteBuffer(bytes: data))
                sent.withLock { $0 = size }
            } catch {
                switch error {
                case .gap(let expected): sent.withLock { $0 = expected }
                case .lost:
                    lost.set()
                    throw error
                default: throw error
                }
            }
        }
    }
}

/// Where the job's log and artifacts are on this agent, once the job has got that far.
final class JobPaths: Sendable {
    private let state = Mutex<(log: String?, artifacts: String?)>((nil, nil))

    var log: String? {
        get { state.withLock { $0.log } }
        set { state.withLock { $0.log = newValue } }
    }

    var artifacts: String? {
        get { state.withLock { $0.artifacts } }
        set { state.withLock { $0.artifacts = newValue } }
    }
}

/// A flag set once, read from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
