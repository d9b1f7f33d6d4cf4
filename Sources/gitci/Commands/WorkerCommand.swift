import ArgumentParser
import Foundation
import Worker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        _superCommandName: Gitci.commandName,
        abstract: "Drain the repository's build queue: plan branches, builds, results in notes.",
        discussion: "The post-receive hook starts `gitci worker --once` by itself when none runs."
    )

    @Flag(help: "Exit once the queue is empty (waiting first for a worker that already runs).")
    var once = false

    @Option(help: "How many builds may run at once.")
    var builds: Int = 2

    @Option(help: "How many jobs of one build may run at once (default: number of cores).")
    var jobs: Int?

    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        if builds < 1 { throw ValidationError("--builds must be at least 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let gitDirectory = try RepositoryOptions.commonDirectory(of: repository.path)
        let worker = Worker(gitDirectory: gitDirectory, parallelBuilds: builds,
                            parallelJobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, once: once) { message in
            Output.error(Self.timestamp() + " " + message)
        }
        do {
            try await worker.run()
        } catch {
            Output.error("gitci: worker: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }

    static func timestamp() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
