import AsyncHTTPClient
import Foundation
import Runner

/// `gitci agent`: a build node. Each of its slots asks the coordinator for a job in a long poll
/// (the coordinator answers the moment a job with fitting labels is queued), runs it, delivers
/// its result, and asks again. Results an earlier run of the agent could not deliver go first.
public struct BuildAgent: Sendable {
    let settings: AgentSettings
    let log: @Sendable (String) -> Void

    public init(settings: AgentSettings, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.log = log
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs until cancelled, or until the coordinator refuses the token.
    public func run() async throws(Failure) {
        // Each slot holds up to three requests open at once (a claim or a lease's long poll, a
        // log chunk, an upload): the pool must not make one wait behind another's long poll.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4 * settings.slots + 4)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = AgentClient(settings: settings, http: http)
        let outcome = await work(client: client)
        try? await http.shutdown()
        if let outcome { throw outcome }
    }

    private func work(client: AgentClient) async -> Failure? {
        await deliverSpooled(client: client)
        log("gitci: agent \(settings.name): \(settings.slots) slots, labels \(settings.labels.isEmpty ? "(none)" : settings.labels.joined(separator: ",")), coordinator \(settings.server)")
        let refused = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<settings.slots {
                group.addTask { await slot(client: client) }
            }
            var refused = false
            for await slotRefused in group where slotRefused {
                refused = true
                group.cancelAll()
            }
            return refused
        }
        return refused ? Failure(description: "the coordinator refused the agent token (wrong or revoked)") : nil
    }

    /// Claims and runs jobs one after another; true when the token was refused.
    private func slot(client: AgentClient) async -> Bool {
        var delay = 0.5
        var saidUnreachable = false
        while !Task.isCancelled {
            do throws(AgentClient.Failure) {
                guard let claimed = try await client.claim(wait: AgentAPI.longestWait) else { continue }
                delay = 0.5
                saidUnreachable = false
                await ClaimedJobRun(claimed: claimed, client: client, settings: settings, log: log).run()
            } catch {
                switch error {
                case .unauthorized: return true
                case .unreachable:
                    if !saidUnreachable { log("gitci: agent: \(error); trying again") }
                    saidUnreachable = true
                default: log("gitci: agent: \(error)")
                }
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 5)
            }
        }
        return false
    }

    private func deliverSpooled(client: AgentClient) async {
        for (file, entry) in ResultSpool(home: settings.home).entries() {
            let run = ClaimedJobRun(claimed: entry.claimed, client: client, settings: settings, log: log)
            let streamer = LogStreamer(claimed: entry.claimed, client: client, lost: Flag())
            await run.deliver(entry, spooled: file, streamer: streamer, lost: Flag())
        }
    }
}
