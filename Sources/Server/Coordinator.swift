import Hummingbird
import Foundation
import Runner
import Store
import Worker

/// `gitci serve`: the HTTP server (JSON API, agent API, git for agents) and, beside it, the
/// workers of every served repository, whose jobs go through the dispatcher to agents and to
/// the coordinator's own slots; and the sweep that takes jobs back from agents gone quiet.
public struct Coordinator: Sendable {
    let configuration: ServerConfiguration
    let dispatcher: Dispatcher
    let log: @Sendable (String) -> Void

    public init(_ configuration: ServerConfiguration, log: @escaping @Sendable (String) -> Void) {
        var configuration = configuration
        // The hosted workers listen for the hooks' nudge (Worker.run); the web UI's actions use it too.
        configuration.wakeWorkers = { kill(getpid(), SIGUSR1) }
        self.configuration = configuration
        self.dispatcher = Dispatcher(configuration)
        self.log = log
    }

    /// Runs until the process is asked to stop (SIGINT, SIGTERM).
    public func run() async throws {
        // What the slots of an earlier run of this coordinator held was stopped with it.
        if let released = try? dispatcher.queue.releaseJobs(ofAgent: dispatcher.localName), !released.isEmpty {
            log("gitci: serve: \(released.count) jobs this coordinator ran when it stopped are queued again")
        }
        let background = Task { await runBackground() }
        defer { background.cancel() }
        try await buildApplication(configuration, dispatcher: dispatcher).runService()
    }

    private func runBackground() async {
        await withTaskGroup(of: Void.self) { group in
            for entry in configuration.repositories.entries {
                group.addTask { await hostWorker(of: entry) }
            }
            group.addTask { await LocalSlots(dispatcher: dispatcher).run() }
            group.addTask {
                while !Task.isCancelled {
                    dispatcher.sweep(log: log)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// The repository's worker, for as long as the coordinator runs: it takes the pushes the
    /// hooks queue (they find it holding the worker lock and nudge it), and runs its builds
    /// with jobs handed out by the dispatcher.
    private func hostWorker(of entry: ServedRepositories.Entry) async {
        while !Task.isCancelled {
            var worker = Worker(gitDirectory: entry.path, parallelBuilds: nil, parallelJobs: Self.jobsPerBuild, linger: .forever, log: log)
            worker.dispatch = RepositoryDispatch(dispatcher: dispatcher, repository: entry.name)
            do {
                try await worker.run()
            } catch {
                log("gitci: serve: the worker of \(entry.name) stopped: \(error); starting it again in 5 seconds")
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    /// A build's jobs wait in the dispatcher, not in the build: as many as its plan allows are
    /// queued at once, and the agents' slots bound how many run.
    static let jobsPerBuild = 1_000
}
