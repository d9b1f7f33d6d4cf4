import ArgumentParser
import Foundation
import GitKit
import Store

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        _superCommandName: Gitci.commandName,
        abstract: "A branch's first-parent history with the result of each commit, like `git log --oneline`."
    )

    @Argument(help: "The branch (or any revision); default: the current branch.")
    var branch: String?

    @Option(name: [.customShort("n", allowingJoined: true), .long], help: "How many commits to show (-n N, -nN or --count N, as with git log).")
    var count: Int = 20

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if count < 1 { throw ValidationError("-n must be at least 1") }
    }

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let name = branch ?? access.repository.currentBranch ?? "HEAD"
        let tip = try access.resolve(name)
        let history: [CommitInfo]
        let summaries: [ObjectID: CommitSummary]
        do {
            history = try access.repository.firstParentHistory(from: tip, limit: count)
            summaries = try access.index.summaries(of: history.map(\.id))
        } catch {
            Output.error("gitci: cannot read the history of '\(name)': \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        if output.json {
            let document = LogDocument(branch: name, commits: history.map {
                .init(commit: $0.id.hex, subject: $0.summary, status: summaries[$0.id]?.status ?? CommitResults.none)
            })
            JSONOutput.print(document)
            return
        }
        let terminal = Terminal(descriptor: STDOUT_FILENO)
        for commit in history {
            let status = summaries[commit.id]?.status ?? CommitResults.none
            let padded = status.padding(toLength: 12, withPad: " ", startingAt: 0)
            print("\(terminal.paint(commit.id.short, .yellow)) \(terminal.paint(padded, StatusColor.of(status))) \(commit.summary)")
        }
    }
}
