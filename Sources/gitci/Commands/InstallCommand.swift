import ArgumentParser
import Foundation
import Worker

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install gitci's hooks into a (bare) repository: every push then builds in the background."
    )

    @Argument(help: "The repository (bare, or a working copy's folder).")
    var repository: String

    @Flag(help: "Install even where other hooks exist; they are kept and still run.")
    var force = false

    func run() throws {
        guard let share = Resources.shareDirectory else {
            Output.error("gitci: cannot find gitci's hooks/ folder; set GITCI_SHARE to the folder holding hooks/ and templates/")
            throw ExitCode(ExitStatus.usage)
        }
        do {
            let installation = try Installation(repositoryPath: RepositoryOptions.absolute(repository))
            let lines = try installation.install(hookSources: (share as NSString).appendingPathComponent("hooks"),
                                                 binary: Resources.executablePath, force: force)
            lines.forEach { print("gitci: \($0)") }
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove gitci's hooks from a repository (its results stay)."
    )

    @Argument(help: "The repository gitci was installed into.")
    var repository: String

    func run() throws {
        do {
            let lines = try Installation(repositoryPath: RepositoryOptions.absolute(repository)).uninstall()
            lines.forEach { print("gitci: \($0)") }
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "What the installed hooks call (reads the hook's standard input).",
        shouldDisplay: false
    )

    enum Name: String, ExpressibleByArgument {
        case postReceive = "post-receive"
    }

    @Argument(help: "post-receive")
    var name: Name

    /// Always exits 0: a hook's failure must never become the pusher's problem.
    func run() throws {
        Self.runPostReceive()
    }

    static func runPostReceive() {
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let environment = ProcessInfo.processInfo.environment
        // Hooks run inside the repository with GIT_DIR set (usually to "."), and that is all
        // the hook needs to find the state folder: no libgit2 on this path.
        let gitDirectory = RepositoryOptions.absolute(environment["GIT_DIR"] ?? ".")
        PostReceiveHook.run(input: input, gitDirectory: gitDirectory, environment: environment, say: Output.error)
    }
}

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
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
