import Store
import ArgumentParser
import Foundation
import GitKit
import Pipeline
import Runner

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        _superCommandName: Gitci.commandName,
        abstract: "Run the pipeline on this machine (the working tree as it is, or a commit).",
        discussion: "Exit status: 0 when the pipeline passed, 1 when it failed, 2 for usage or configuration errors."
    )

    @Argument(help: "Jobs to run (with what they need); all jobs when none are named.")
    var jobs: [String] = []

    @Option(help: "Run this commit (read through git, not the working tree).")
    var commit: String?

    @Option(help: "Branch name the pipeline sees (for `when: {branch: ...}`); default: the revision when it names a branch or tag, else the current branch.")
    var branch: String?

    @Option(name: .customLong("jobs"), help: "How many jobs may run at once (default: number of cores).")
    var parallelism: Int?

    @Flag(help: "Write the results as a git note on the commit (refs/notes/gitci); needs --commit or a clean working tree.")
    var record = false

    @Flag(help: "Keep job workspaces after the run (under $GITCI_HOME/workspaces).")
    var keepWorkspaces = false

    @Flag(help: "Run every job, even those whose cache key matches an earlier passed run, or whose `changes:` saw nothing change.")
    var noCache = false

    @Flag(help: "Run each job in a sandbox, as the server does: only its workspace and HOME writable, the repository hidden.")
    var sandbox = false

    @Option(help: "How many of a failing step's last lines to show after the run (0: none).")
    var tail = 30

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let parallelism, parallelism < 1 { throw ValidationError("--jobs must be at least 1") }
        if tail < 0 { throw ValidationError("--tail must be 0 or more") }
    }

    func run() async throws {
        // A recorded result must describe a commit exactly: a clean tree is run as HEAD.
        let commit = try record ? (commit ?? RunRecording.cleanHead(at: repository.path)) : commit
        var options = LocalRun.Options(commit: commit, target: branch.map(BuildTarget.branch), jobs: jobs, parallelism: parallelism,
                                       keepWorkspaces: keepWorkspaces, sandbox: sandbox ? .on(Sandbox.Settings()) : .off)
        options.noCache = noCache
        let localRun: LocalRun
        do {
            localRun = try LocalRun(directory: repository.path, options: options)
        } catch {
            throw report(error, commit: commit)
        }
        let progressStream = output.json ? FileHandle.standardError : FileHandle.standardOutput
        let terminal = Terminal(descriptor: output.json ? STDERR_FILENO : STDOUT_FILENO)
        let live = terminal.isInteractive && localRun.plan.jobs.count < terminal.size.rows - 2
            ? LiveProgress(plan: localRun.plan, terminal: terminal, stream: progressStream) : nil
        let observer: any RunObserver = live ?? (output.json && !terminal.isInteractive
            ? SilentObserver() as any RunObserver : PlainProgress(terminal: terminal, stream: progressStream))
        if !output.json {
            let at = localRun.commit.map { " at \($0.short)" } ?? ""
            let what = commit == nil ? "working tree" : "commit"
            Output.write("gitci: running \(localRun.plan.jobs.count) jobs from the \(what)\(at); logs in \(localRun.logDirectory)\n", to: .standardOutput)
        }

        let task = Task { await localRun.run(observer: observer) }
        let interrupts = InterruptHandler(cancelling: task) {
            Output.error("\ngitci: interrupted; stopping running steps…")
        }
        let result = await task.value
        interrupts.stop()
        live?.finish()

        if record {
            let at = RunRecording.write(result, directory: repository.path)
            if !output.json, let at { print("gitci: results recorded in refs/notes/gitci (\(at)); `gitci status \(result.commit?.short ?? "")` shows them") }
        }
        if output.json {
            RunDocument(report: result).print()
        } else {
            Output.write(RunSummary.render(result, terminal: Terminal(descriptor: STDOUT_FILENO), tail: tail), to: .standardOutput)
        }
        throw ExitCode(result.status == .passed ? ExitStatus.passed : ExitStatus.failed)
    }

    /// `commit` is the revision that was planned: `--commit`, or HEAD for `--record` on a clean
    /// tree, whose configuration error is that commit's result all the same.
    private func report(_ error: LocalRun.Failure, commit: String?) -> ExitCode {
        if case .pipeline(.invalid(let configError)) = error {
            if record, let commit { RunRecording.writeConfigError(configError, revision: commit, branch: branch, directory: repository.path) }
            configError.diagnostics.forEach { Output.error($0.description) }
            if output.json {
                let resolved = commit.flatMap { try? Repository.open(repository.path, search: true).resolveCommit($0).hex }
                RunDocument(configError: configError, commit: resolved).print()
            }
        } else {
            Output.error(error.description.hasPrefix("gitci:") ? error.description : "gitci: \(error.description)")
        }
        return ExitCode(ExitStatus.usage)
    }
}
