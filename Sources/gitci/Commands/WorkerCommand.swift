import ArgumentParser
import Foundation
import HookIntake
import Runner
import Store
import Worker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: WorkerCommand.name,
        _superCommandName: Gitci.commandName,
        abstract: "Drain the repository's build queue: plan branches, builds, results in notes.",
        discussion: """
            The post-receive hook starts a worker by itself when none runs; that worker stays \
            for `gitci.workerLinger` (git config; default 30s, 0 to exit at once) after the \
            queue empties, so that the next push finds it running.
            """
    )

    static let name = StateLayout.WorkerCommand.name

    @Flag(help: "Exit once the queue is empty (waiting first for a worker that already runs to build what is queued).")
    var once = false

    /// What the hook's launcher passes (WorkerLauncher): stay for `gitci.workerLinger`.
    @Flag(name: .customLong(StateLayout.WorkerCommand.startedByHook), help: .hidden)
    var startedByHook = false

    /// What the pre-receive hook's launcher adds: the push is yet to be queued, so wait for it.
    @Flag(name: .customLong(StateLayout.WorkerCommand.awaitingPush), help: .hidden)
    var awaitingPush = false

    @Option(help: "How many builds may run at once (default: gitci.workerBuilds in the repository's git config, else 2).")
    var builds: Int?

    @Option(help: "How many jobs of one build may run at once (default: number of cores).")
    var jobs: Int?

    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        if let builds, builds < 1 { throw ValidationError("--builds must be at least 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let gitDirectory = try RepositoryOptions.commonDirectory(of: repository.path)
        let linger: Worker.Linger = once ? .seconds(0) : startedByHook ? .configured : .forever
        try await Self.work(gitDirectory: gitDirectory, builds: builds, jobs: jobs, linger: linger, awaitingPush: awaitingPush)
    }

    /// The worker a hook starts (StateLayout.WorkerCommand's command line exactly), run without
    /// ArgumentParser: its reflection costs ~2 ms of every push that finds
    /// no worker.
    ///
    /// On the main thread, where gitci starts: a push that started this worker waits for it, and
    /// a first hop to Swift's thread pool costs ~0.4 ms there. The queue opens on that pool
    /// meanwhile, from the first moment.
    @MainActor
    static func runStartedByHook(arguments: [String]) async throws -> Bool {
        // Not `configuration.commandName`: making ArgumentParser's configuration costs a cold
        // start ~1 ms of type lookups.
        guard let (path, awaitingPush) = StateLayout.WorkerCommand.parse(arguments[...]) else { return false }
        let given = RepositoryOptions.absolute(path)
        // The hook names the repository's own git directory, whose state folder holds the queue:
        // it is opened (GRDB, ~1.5 ms), and the statements that take the push up compiled,
        // while libgit2 starts up, on the way to the push's build.
        let queue = Task.detached {
            let queue = try? BuildQueue.openRepairing(stateFolder: StateLayout.folder(of: given), report: log)
            queue?.compileWorkerStatements()
            return queue
        }
        let repository = try RepositoryOptions.repository(around: given)
        let gitDirectory = repository.commonDirectory
        guard gitDirectory == given else {
            // A linked worktree's git directory: its queue is the common directory's.
            try await work(gitDirectory: gitDirectory, builds: nil, jobs: nil, linger: .configured, awaitingPush: awaitingPush)
            return true
        }
        // Yams, the planner and libgit2's object reading have their first, slowest run here,
        // while the queue opens, rather than on the way to the build.
        if awaitingPush { Worker.readPipelineAhead(repository) }
        let opened = Worker.Opened(repository: repository, pipelineReadAhead: awaitingPush, queue: { await queue.value })
        try await work(gitDirectory: gitDirectory, builds: nil, jobs: nil, linger: .configured, awaitingPush: awaitingPush,
                       opened: opened)
        return true
    }

    static func work(gitDirectory: String, builds: Int?, jobs: Int?, linger: Worker.Linger, awaitingPush: Bool,
                     opened: sending Worker.Opened? = nil) async throws {
        let worker = Worker(gitDirectory: gitDirectory, parallelBuilds: builds,
                            parallelJobs: jobs ?? Processors.available, linger: linger, awaitingPush: awaitingPush, log: log)
        do {
            try await worker.run(opened: opened)
        } catch {
            Output.error("gitci: worker: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }

    @Sendable static func log(_ message: String) {
        Output.error(timestamp() + " " + message)
    }

    static func timestamp() -> String {
        Timestamp.format(Date())
    }
}
