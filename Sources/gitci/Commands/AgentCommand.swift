import Agent
import ArgumentParser
import Foundation
import Runner

/// `gitci agent`: a build node of a coordinator (`gitci serve`).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        _superCommandName: Gitci.commandName,
        abstract: "Run jobs for a coordinator (`gitci serve`): claim those whose labels this node has, run them, report.",
        discussion: """
            It opens outbound HTTP(S) connections to the coordinator only: the source comes from \
            the coordinator through git's smart HTTP, authenticated by the token. Mirrors, runs and \
            undelivered results are kept in $GITCI_HOME/agent. The token may also come from the \
            environment variable GITCI_AGENT_TOKEN, out of sight of `ps`.
            """
    )

    static let tokenVariable = "GITCI_AGENT_TOKEN"

    @Option(help: "The coordinator's URL, like http://ci.example.com:8080.")
    var server: String

    @Option(help: "The agent token (`gitci agent-token create NAME` on the coordinator).")
    var token: String?

    @Option(help: "What this node can run, comma-separated (a job runs here only when the node has all its labels).")
    var labels: String = ""

    @Option(help: "Jobs at once (default: 1).")
    var jobs: Int = 1

    @Option(help: "The name results give this node (default: the host name).")
    var name: String?

    func validate() throws {
        guard let url = URL(string: server), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--server takes the coordinator's URL, like http://127.0.0.1:8080, not '\(server)'")
        }
        guard jobs >= 1, jobs <= 256 else { throw ValidationError("--jobs must be 1 to 256") }
        if token ?? ProcessInfo.processInfo.environment[Self.tokenVariable] == nil {
            throw ValidationError("an agent needs its token: --token TOKEN or \(Self.tokenVariable)")
        }
    }

    func run() async throws {
        let settings = AgentSettings(
            server: server, token: token ?? ProcessInfo.processInfo.environment[Self.tokenVariable] ?? "",
            labels: labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            slots: jobs, name: name ?? JobContext.hostName, home: (GitciHome.path() as NSString).appendingPathComponent("agent"))
        do {
            try await BuildAgent(settings: settings, log: { Output.error($0) }).run()
        } catch {
            Output.error("gitci: agent: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }
}
