/// What `gitci agent` is started with.
public struct AgentSettings: Sendable {
    /// The coordinator's base URL (`http://host:8080`), without a trailing slash.
    public var server: String
    public var token: String
    public var labels: [String]
    /// Jobs at once.
    public var slots: Int
    public var name: String
    /// Its mirrors, runs and spool: `$GITCI_HOME/agent` by default.
    public var home: String

    public init(server: String, token: String, labels: [String], slots: Int, name: String, home: String) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.token = token
        self.labels = labels
        self.slots = max(1, slots)
        self.name = name
        self.home = home
    }
}
