import ArgumentParser
import Foundation
import Store
import Worker

struct PlansCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plans",
        _superCommandName: Gitci.commandName,
        abstract: "The repository's plan branches (one per pushed branch) and their last result."
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let queue = try access.openQueue()
        let plans: [PlanBranch]
        let latest: [String: Build]
        do {
            plans = try queue.plans()
            latest = try queue.latestBuilds()
        } catch {
            Output.error("gitci: cannot read the plan branches: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
        let entries = PlanStatus.entries(plans, latest: latest, index: access.index)
        if output.json {
            JSONOutput.print(PlansDocument(plans: entries))
            return
        }
        guard !entries.isEmpty else {
            print("no plan branches yet: `gitci install` the repository and push a branch")
            return
        }
        let terminal = Terminal(descriptor: STDOUT_FILENO)
        // Names line up to 60 characters; a longer one is shown whole and pushes its line out.
        let width = min(60, entries.map(\.branch.count).max() ?? 6)
        for entry in entries {
            let branch = entry.branch.count >= width ? entry.branch : entry.branch.padding(toLength: width, withPad: " ", startingAt: 0)
            let state = entry.state.padding(toLength: 8, withPad: " ", startingAt: 0)
            let last = entry.last.map { "\(terminal.paint(String($0.commit.prefix(10)), .yellow)) \(terminal.paint($0.status, StatusColor.of($0.status)))" } ?? "-"
            print("\(branch)  \(terminal.paint(state, entry.state == "active" ? .green : .gray)) \(last)")
        }
    }
}
