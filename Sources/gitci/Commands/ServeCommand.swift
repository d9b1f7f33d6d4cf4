import ArgumentParser
import Foundation
import Hummingbird
import Runner
import Server
import Store

/// `gitci serve`: the coordinator. For now the read-only JSON API over the repositories
/// `gitci install` registered and those given with --repos.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        _superCommandName: Gitci.commandName,
        abstract: "Run the coordinator: the JSON API over every repository installed with gitci."
    )

    @Option(help: "Address and port to listen on.")
    var listen: String = "127.0.0.1:8080"

    @Option(parsing: .upToNextOption, help: "More repositories (git directories) to serve.")
    var repos: [String] = []

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65_535).contains(port), colon != listen.startIndex else {
            throw ValidationError("--listen takes ADDRESS:PORT, like 127.0.0.1:8080, not '\(listen)'")
        }
    }

    func run() async throws {
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon])
        let port = Int(listen[listen.index(after: colon)...])!
        let extra = repos.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let served = ServedRepositories(registered: RepositoryRegistry().repositories(), extra: extra)
        let coordinator = try AgentTokenCommand.store()
        let app = buildApplication(ServerConfiguration(host: host, port: port, repositories: served, coordinator: coordinator))
        Output.error("gitci: serving \(served.entries.count) repositories on http://\(listen)/api/v1/repos")
        try await app.runService()
    }
}
