import ArgumentParser
import Foundation
import GitKit
import Runner
import Store
import Worker

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        _superCommandName: Gitci.commandName,
        abstract: "Show the results of a commit: the pipeline, each job, durations, where it ran.",
        discussion: "Exit status: 0 when the commit's pipeline passed, 1 when it did not (failed, cancelled, superseded, lost, no result), 2 for usage errors, 3 while a build of it is queued or running."
    )

    @Argument(help: "The commit (any revision git understands); default HEAD.")
    var revision: String = "HEAD"

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let queue = access.queueIfInstalled
        // A deleted branch is no revision any more, but its retired plan branch still has a last build.
        let resolved = try? access.repository.resolveCommit(revision)
        let retired = resolved == nil ? Self.retiredPlan(revision, in: queue) : nil
        let commit = try resolved ?? retired?.commit ?? access.resolve(revision)
        let results: CommitResults
        do {
            results = try access.index.results(of: commit)
        } catch {
            Output.error("gitci: cannot read the index: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        // A build still queued or running says more than older results of the same commit.
        let active = (try? queue?.activeBuilds(of: commit.hex))??.first
        let live = active.map { build in
            LiveBuild(build: build, jobs: (try? queue?.jobStatuses(of: build.id)) ?? [])
        }
        // So is a push the worker has not planned yet (it is starting, or busy planning others).
        let pushed = live == nil && queue.map { PendingPushes.willBuild(commit, in: access.repository, queue: $0) } == true
        // And a build that ended without results in the notes: superseded, cancelled, lost.
        let ended = live == nil && !pushed && results.status == CommitResults.none
            ? EndedBuild((try? queue?.latestBuild(of: commit.hex)) ?? nil) : nil
        let status = live?.build.state.rawValue ?? (pushed ? Build.State.queued.rawValue : ended?.status ?? results.status)
        if output.json {
            var document = RunDocument(results: results)
            // Notes keep a log's path relative to the state folder; a reader wants a file to open.
            let state = StateFolder(gitCommonDirectory: access.repository.commonDirectory)
            for index in document.jobs.indices { document.jobs[index].log = document.jobs[index].log.map(state.logPath(recorded:)) }
            if let live { document.overlay(live) }
            if pushed || ended != nil { document.status = status }
            if let ended {
                document.branch = ended.build.branch
                document.reason = ended.why
            }
            document.print()
        } else {
            let info = try? access.repository.commit(commit)
            let terminal = Terminal(descriptor: STDOUT_FILENO)
            if let retired { print("branch '\(retired.branch)' was deleted; its plan branch is retired, last built at:") }
            print(CommitResultsView.render(results, subject: info?.summary, terminal: terminal,
                                           building: live != nil || pushed || ended != nil),
                  terminator: "")
            if let live { print(CommitResultsView.render(live, terminal: terminal), terminator: "") }
            if pushed { print("pushed, \(terminal.paint(status, StatusColor.of(status))): waiting for the worker") }
            if let ended { print(ended.description) }
        }
        throw ExitCode(ExitStatus.of(status))
    }

    /// The retired plan branch named `branch` and the commit of its last build (or push).
    private static func retiredPlan(_ branch: String, in queue: BuildQueue?) -> (branch: String, commit: ObjectID)? {
        guard let queue, let plan = (try? queue.plans())?.first(where: { $0.branch == branch && $0.state == .retired }),
              let last = (try? queue.latestBuilds())?[branch]?.commit ?? plan.lastCommit,
              let commit = ObjectID(hex: last) else { return nil }
        return (branch, commit)
    }
}

extension ExitStatus {
    /// The exit status of a command that reports one commit's `status`.
    static func of(_ status: String) -> Int32 {
        switch status {
        case "passed": return passed
        case Build.State.queued.rawValue, Build.State.running.rawValue: return building
        default: return failed
        }
    }
}
