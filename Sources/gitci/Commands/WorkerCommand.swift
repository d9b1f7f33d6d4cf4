import ArgumentParser
import Foundation
import Store
import Worker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        _superCommandName: Gitci.commandName,
        abstract: "Drain the repository's build queue: plan branches, builds, results in notes.",
        discussion: """
            The post-receive hook starts a worker by itself when none runs; that worker stays \
            for `gitci.workerLinger` (git config; default 30s, 0 to exit at once) after the \
            queue empties, so that the next push finds it running.
            """
    )

    @Flag(help: "Exit once the queue is empty (waiting first for a worker that already runs to build what is queued).")
    var once = false

    /// What the hook's launcher passes (WorkerLauncher): stay for `gitci.workerLinger`.
    @Flag(help: .hidden)
    var startedByHook = false

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
        try await Self.work(gitDirectory: gitDirectory, builds: builds, jobs: jobs, linger: linger)
    }

    /// The worker a hook starts, `gitci worker --started-by-hook --repo DIR` exactly, run
    /// without ArgumentParser: its reflection costs ~2 ms of every push that finds no worker.
    static func runStartedByHook(arguments: [String]) async throws -> Bool {
        guard arguments.count == 4, arguments[0] == configuration.commandName, arguments[1] == "--started-by-hook",
              arguments[2] == "--repo" else { return false }
        let gitDirectory = try RepositoryOptions.commonDirectory(of: RepositoryOptions.absolute(arguments[3]))
        try await work(gitDirectory: gitDirectory, builds: nil, jobs: nil, linger: .configured)
        return true
    }

    static func work(gitDirectory: String, builds: Int?, jobs: Int?, linger: Worker.Linger) async throws {
        let worker = Worker(gitDirectory: gitDirectory, parallelBuilds: builds,
                            parallelJobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, linger: linger, log: log)
        do {
            try await worker.run()
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
