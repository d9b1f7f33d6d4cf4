import Foundation
import Testing
import TestSupport

/// A server repository (ServerFixture) served by a real `gitci serve` on loopback, and build
/// agents (`gitci agent`) as real processes, each with a `GITCI_HOME` of its own: the
/// coordinator's holds the agent tokens and the dispatch queue, each agent's its mirrors.
final class CoordinatorFixture: @unchecked Sendable {
    // @unchecked: the processes are started and stopped by the test's own task only.
    let server: ServerFixture
    let home = TemporaryDirectory("gitci-coordinator")
    let logs = TemporaryDirectory("gitci-logs")
    private(set) var serve: Process?
    private(set) var port = 0
    private(set) var agents: [String: Process] = [:]
    private var agentHomes: [String: TemporaryDirectory] = [:]
    private var serveStarts = 0

    /// How long a test waits for what it expects before it fails with the processes' logs.
    static let deadline: Double = 90

    init(pipeline: String) throws {
        server = try ServerFixture(pipeline: pipeline)
    }

    var environment: [String: String] { ["GITCI_HOME": home.path] }
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `gitci serve` for the server repository (on `port`, or any free port) and waits
    /// until it listens and holds the repository's worker lock (a push then goes to it).
    func startServe(_ options: [String] = [], port wanted: Int = 0) throws {
        serveStarts += 1
        let log = logs.url("serve-\(serveStarts).log")
        let process = try Self.launch(["serve", "--listen", "127.0.0.1:\(wanted)", "--repos", server.serverPath] + options,
                                      environment: environment, log: log)
        serve = process
        try waitUntil("gitci serve listens", logs: [log]) {
            guard let text = try? String(contentsOfFile: log, encoding: .utf8),
                  let range = text.range(of: "on http://127.0.0.1:") else { return false }
            port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
            return port > 0
        }
        try waitUntil("gitci serve holds the worker lock", logs: [log]) { server.lockHolder() == process.processIdentifier }
    }

    func token(_ name: String) throws -> String {
        let made = try GitciBinary.run(["agent-token", "create", name], in: home.path, environment: environment)
        guard made.status == 0 else { throw FixtureError("agent-token create failed: \(made.stderr)") }
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `gitci agent NAME` with `labels`, a token of its own (unless given), against the
    /// coordinator (or `server`, a URL in between).
    @discardableResult
    func startAgent(_ name: String, labels: [String], token: String? = nil, server url: String? = nil) throws -> Process {
        let token = try token ?? self.token(name)
        let agentHome = agentHomes[name] ?? TemporaryDirectory("gitci-agent-home")
        agentHomes[name] = agentHome
        var arguments = ["agent", "--server", url ?? self.url, "--name", name]
        if !labels.isEmpty { arguments += ["--labels", labels.joined(separator: ",")] }
        let process = try Self.launch(arguments, environment: ["GITCI_HOME": agentHome.path, "GITCI_AGENT_TOKEN": token],
                                      log: agentLog(name), append: true)
        agents[name] = process
        return process
    }

    func agentLog(_ name: String) -> String { logs.url("agent-\(name).log") }

    /// Every log the processes wrote, for a failure's message.
    func allLogs() -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []).sorted()
        return names.map { name in
            "--- \(name)\n" + ((try? String(contentsOfFile: logs.url(name), encoding: .utf8)) ?? "").suffix(3_000)
        }.joined(separator: "\n")
    }

    func kill(_ process: Process, signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        _ = ProcessTable.waitForExit(of: process, timeout: 30)
    }

    /// Polls `condition` until it holds; after `deadline` seconds, fails with every log.
    func waitUntil(_ what: String, timeout: Double = deadline, logs: [String]? = nil, _ condition: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw FixtureError("waited \(Int(timeout)) s for: \(what)\n\(allLogs())")
    }

    /// Waits until the commit's pipeline record is in the notes, and returns the note's records.
    func waitForResult(_ commit: String) throws -> [[String: Any]] {
        try waitUntil("the pipeline record of \(commit.prefix(10))") { try !server.pipelineRecords(commit).isEmpty }
        return try server.notes(commit)
    }

    /// The job records of `name` in the commit's note.
    func jobRecords(_ commit: String, _ name: String) throws -> [[String: Any]] {
        try server.notes(commit).filter { $0["kind"] as? String == "job" && $0["job"] as? String == name }
    }

    /// The texts of the job logs of that file name in every run folder of the server's state folder.
    func jobLogs(named name: String) -> [String] {
        let logs = server.stateFolder + "/logs"
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return runs.compactMap { try? String(contentsOfFile: "\(logs)/\($0)/\(name)", encoding: .utf8) }
    }

    /// `gitci agents --json` of the coordinator.
    func agentsDocument() throws -> [[String: Any]] {
        let result = try GitciBinary.run(["agents", "--json"], in: home.path, environment: environment)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return object?["agents"] as? [[String: Any]] ?? []
    }

    static func launch(_ arguments: [String], environment: [String: String], log: String, append: Bool = false) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GitciBinary.path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if !append || !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    deinit {
        for process in [serve].compactMap({ $0 }) + Array(agents.values) where process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
        }
    }
}
