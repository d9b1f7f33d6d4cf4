public import Hummingbird

/// What `gitci serve` is started with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var repositories: ServedRepositories

    public init(host: String = "127.0.0.1", port: Int = 8080, repositories: ServedRepositories) {
        self.host = host
        self.port = port
        self.repositories = repositories
    }
}

/// The coordinator's application: built here alone, by `gitci serve` and by the tests.
public func buildApplication(_ configuration: ServerConfiguration) -> some ApplicationProtocol {
    let router = Router()
    ResultsController(repositories: configuration.repositories).addRoutes(to: router)
    return Application(router: router,
                       configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gitci"))
}
