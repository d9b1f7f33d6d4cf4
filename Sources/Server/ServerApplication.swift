public import Hummingbird
public import Store

/// What `gitci serve` is started with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var repositories: ServedRepositories
    /// Agent tokens and the dispatch of jobs to agents (`$GITCI_HOME/coordinator.sqlite`).
    public var coordinator: CoordinatorStore

    public init(host: String = "127.0.0.1", port: Int = 8080, repositories: ServedRepositories, coordinator: CoordinatorStore) {
        self.host = host
        self.port = port
        self.repositories = repositories
        self.coordinator = coordinator
    }
}

/// The coordinator's application: built here alone, by `gitci serve` and by the tests.
public func buildApplication(_ configuration: ServerConfiguration) -> some ApplicationProtocol {
    let router = Router()
    ResultsController(repositories: configuration.repositories).addRoutes(to: router)
    GitHTTPController(repositories: configuration.repositories, authentication: AgentAuthentication(coordinator: configuration.coordinator)).addRoutes(to: router)
    return Application(router: router,
                       configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gitci"))
}
