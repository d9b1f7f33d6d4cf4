public import Hummingbird
public import Store
import Runner

/// What `gitci serve` is started with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var repositories: ServedRepositories
    /// Agent tokens and the dispatch of jobs to agents (`$GITCI_HOME/coordinator.sqlite`).
    public var coordinator: CoordinatorStore
    /// Jobs the coordinator runs on its own machine at once (0: `--no-local-jobs`), and the
    /// labels it has for them.
    public var localSlots: Int
    public var localLabels: [String]
    /// The name results give the coordinator's own machine.
    public var nodeName: String
    /// How long an agent's claim on a job lasts unless renewed (a third of it apart).
    public var lease: Double = AgentAPI.lease
    /// Called once the server listens, with the port (the one the system chose for port 0).
    public var onListening: @Sendable (Int) -> Void
    /// The web UI's pages and static files (`loadWebTemplates`); nil: no web UI, the APIs only.
    var webTemplates: WebTemplates?
    /// `--auth`: reading the web UI and the JSON API needs a person's token too.
    public var requireSignIn = false
    /// Tells the hosted workers a build was queued or cancelled from the web UI.
    public var wakeWorkers: @Sendable () -> Void = {}

    public init(host: String = "127.0.0.1", port: Int = 8080, repositories: ServedRepositories, coordinator: CoordinatorStore,
                localSlots: Int = 2, localLabels: [String] = [], nodeName: String = "coordinator",
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.repositories = repositories
        self.coordinator = coordinator
        self.localSlots = localSlots
        self.localLabels = localLabels
        self.nodeName = nodeName
        self.onListening = onListening
    }
}

/// The coordinator's application: built here alone, by `gitci serve` and by the tests.
public func buildApplication(_ configuration: ServerConfiguration) -> some ApplicationProtocol {
    buildApplication(configuration, dispatcher: Dispatcher(configuration))
}

func buildApplication(_ configuration: ServerConfiguration, dispatcher: Dispatcher) -> some ApplicationProtocol {
    let router = Router()
    router.add(middleware: SecurityHeadersMiddleware())
    let authentication = AgentAuthentication(coordinator: configuration.coordinator)
    let people = WebAuthentication(coordinator: configuration.coordinator, required: configuration.requireSignIn)
    if let templates = configuration.webTemplates {
        WebController(repositories: configuration.repositories, coordinator: configuration.coordinator, templates: templates,
                      authentication: people, wakeWorkers: configuration.wakeWorkers)
            .addRoutes(to: router)
    }
    ResultsController(repositories: configuration.repositories, people: people).addRoutes(to: router)
    GitHTTPController(repositories: configuration.repositories, authentication: authentication).addRoutes(to: router)
    AgentController(dispatcher: dispatcher, authentication: authentication, repositories: configuration.repositories).addRoutes(to: router)
    let onListening = configuration.onListening
    return Application(router: router,
                       configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gitci"),
                       onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) })
}

extension Dispatcher {
    convenience init(_ configuration: ServerConfiguration) {
        self.init(queue: configuration.coordinator, localName: configuration.nodeName, localLabels: Set(configuration.localLabels),
                  localSlots: configuration.localSlots, lease: configuration.lease)
    }
}

extension ServerConfiguration {
    /// Reads the web UI's templates (`templates/web/`) once, for every page the server will
    /// render; throws, naming the file and line, when one does not parse, so that `gitci serve`
    /// stops at start rather than serve pages that fail.
    public mutating func loadWebTemplates(from folder: String) throws {
        webTemplates = try WebTemplates.load(folder: folder)
    }
}
