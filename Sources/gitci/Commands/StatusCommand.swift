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
        let known: CommitStatus
        do {
            known = try CommitStatus(commit: commit, repository: access.repository, index: access.index, queue: queue)
        } catch {
            Output.error("gitci: cannot read the index: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let status = known.status
        if output.json {
            known.document(gitCommonDirectory: access.repository.commonDirectory).print()
        } else {
            let info = try? access.repository.commit(commit)
            let terminal = Terminal(descriptor: STDOUT_FILENO)
            if let retired { print("branch '\(retired.branch)' was deleted; its plan branch is retired, last built at:") }
            print(CommitResultsView.render(known.results, subject: info?.summary, terminal: terminal, building: known.isBuilding),
                  terminator: "")
            if let live = known.live { print(CommitResultsView.render(live, terminal: terminal), terminator: "") }
            if known.pushed { print("pushed, \(terminal.paint(status, StatusColor.of(status))): waiting for the worker") }
            if let ended = known.ended { print(ended.description) }
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
