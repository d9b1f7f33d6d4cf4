import ArgumentParser
import Foundation
import Runner
import Server
import Store

/// `gitci serve`: the coordinator of every repository installed with gitci (and --repos): it
/// hosts their workers, hands their jobs to build agents and to its own slots, and answers the
/// JSON API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        _superCommandName: Gitci.commandName,
        abstract: "Run the coordinator: builds of every repository installed with gitci, on agents and here.",
        discussion: """
            While it runs, pushes to those repositories are built by it (the hooks nudge it \
            instead of starting a worker), their jobs run on the build agents whose labels fit \
            (`gitci agent`) and on this machine unless --no-local-jobs.
            """
    )

    @Option(help: "Address and port to listen on (port 0: any free port, printed).")
    var listen: String = "127.0.0.1:8080"

    @Option(parsing: .upToNextOption, help: "More repositories (git directories) to serve.")
    var repos: [String] = []

    @Flag(help: "Run no job on this machine: only agents run them.")
    var noLocalJobs = false

    @Option(help: "Jobs this machine runs at once (default: number of cores).")
    var jobs: Int?

    @Option(help: "Labels this machine's own job slots have, comma-separated (a job runs here only when it has them all).")
    var labels: String = ""

    @Flag(help: "Reading the web UI and the JSON API needs a token too (`gitci token create NAME`); actions always do.")
    var auth = false

    /// For tests of lost agents, which would otherwise wait a whole lease.
    @Option(name: .customLong("lease-seconds"), help: .hidden)
    var leaseSeconds: Double = AgentAPI.lease

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65_535).contains(port), colon != listen.startIndex else {
            throw ValidationError("--listen takes ADDRESS:PORT, like 127.0.0.1:8080, not '\(listen)'")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon])
        let port = Int(listen[listen.index(after: colon)...])!
        let extra = repos.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let served = ServedRepositories(registered: RepositoryRegistry().repositories(), extra: extra)
        let coordinator = try AgentTokenCommand.store()
        let labels = self.labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let count = served.entries.count
        var configuration = ServerConfiguration(
            host: host, port: port, repositories: served, coordinator: coordinator,
            localSlots: noLocalJobs ? 0 : (jobs ?? Processors.available), localLabels: labels, nodeName: JobContext.hostName,
            onListening: { port in Output.error("gitci: serving \(count) repositories on http://\(host):\(port)/") })
        configuration.lease = max(leaseSeconds, 1)
        configuration.requireSignIn = auth
        guard let share = Resources.shareDirectory else {
            Output.error("gitci: cannot find gitci's templates/web folder; set GITCI_SHARE to the folder holding templates/")
            throw ExitCode(ExitStatus.usage)
        }
        let web = (share as NSString).appendingPathComponent("templates/web")
        do {
            try configuration.loadWebTemplates(from: web)
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        try await Coordinator(configuration, log: { Output.error($0) }).run()
    }
}
