import ArgumentParser
import Foundation
import Store

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        _superCommandName: Gitci.commandName,
        abstract: "Show the results of a commit: the pipeline, each job, durations, where it ran.",
        discussion: "Exit status: 0 when the commit's pipeline passed, 1 otherwise (no result included), 2 for usage errors."
    )

    @Argument(help: "The commit (any revision git understands); default HEAD.")
    var revision: String = "HEAD"

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let commit = try access.resolve(revision)
        let results: CommitResults
        do {
            results = try access.index.results(of: commit)
        } catch {
            Output.error("gitci: cannot read the index: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        // A build still queued or running says more than older results of the same commit.
        let queue = access.queueIfInstalled
        let active = (try? queue?.activeBuilds(of: commit.hex))??.first
        let live = active.map { build in
            LiveBuild(build: build, jobs: (try? queue?.jobStatuses(of: build.id)) ?? [])
        }
        // So is a push the worker has not planned yet (it is starting, or busy planning others).
        let pushed = live == nil && (try? queue?.awaitsWorker(commit.hex)) == true
        let status = live?.build.state.rawValue ?? (pushed ? Build.State.queued.rawValue : results.status)
        if output.json {
            var document = RunDocument(results: results)
            if let live { document.overlay(live) }
            if pushed { document.status = status }
            document.print()
        } else {
            let info = try? access.repository.commit(commit)
            let terminal = Terminal(descriptor: STDOUT_FILENO)
            print(CommitResultsView.render(results, subject: info?.summary, terminal: terminal, building: live != nil || pushed),
                  terminator: "")
            if let live { print(CommitResultsView.render(live, terminal: terminal), terminator: "") }
            if pushed { print("pushed, \(terminal.paint(status, StatusColor.of(status))): waiting for the worker") }
        }
        throw ExitCode(status == "passed" ? ExitStatus.passed : ExitStatus.failed)
    }
}
