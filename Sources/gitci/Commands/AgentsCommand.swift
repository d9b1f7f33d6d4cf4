import ArgumentParser
import Foundation
import Runner
import Store

/// `gitci agents`: the build agents the coordinator has seen, what they run, when they last called.
struct AgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        _superCommandName: Gitci.commandName,
        abstract: "The build agents of this coordinator: labels, running jobs, last contact."
    )

    @OptionGroup var output: OutputOptions

    struct Document: Encodable {
        struct Agent: Encodable {
            struct Job: Encodable {
                let repo: String
                let job: String
                let pipeline: String
            }

            let name: String
            let labels: [String]
            let slots: Int
            let connected: Bool
            let jobs: [Job]
            let lastSeen: String
            enum CodingKeys: String, CodingKey { case name, labels, slots, connected, jobs, lastSeen = "last_seen" }
        }

        let agents: [Agent]
    }

    func run() throws {
        let agents: [CoordinatorStore.AgentRecord]
        do {
            agents = try AgentTokenCommand.store().agents()
        } catch let error as StoreError {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
        let now = Date()
        let document = Document(agents: agents.map { agent in
            .init(name: agent.name, labels: agent.labels, slots: agent.slots,
                  connected: now.timeIntervalSince(agent.lastSeen) < AgentAPI.connectedWithin,
                  jobs: agent.running.map { .init(repo: $0.repository, job: $0.job, pipeline: $0.runID) },
                  lastSeen: Timestamp.format(agent.lastSeen, fractionalSeconds: false))
        })
        if output.json {
            JSONOutput.print(document)
            return
        }
        guard !agents.isEmpty else {
            print("no agent has connected yet: `gitci agent --server URL --token TOKEN` on a build node")
            return
        }
        for agent in document.agents {
            let labels = agent.labels.isEmpty ? "no labels" : agent.labels.joined(separator: ",")
            let state = agent.connected ? "connected" : "last seen \(agent.lastSeen)"
            let jobs = agent.jobs.isEmpty ? "idle" : agent.jobs.map { "\($0.repo): \($0.job)" }.joined(separator: "; ")
            print("\(agent.name)  \(labels)  \(agent.slots) slots  \(state)  \(jobs)")
        }
    }
}
