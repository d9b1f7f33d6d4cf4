import ArgumentParser
import Foundation
import GitKit
import Store

struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        _superCommandName: Gitci.commandName,
        abstract: "Rebuild the SQLite index from refs/notes/gitci and refs/notes/gitci-tests alone."
    )

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path, catchingUp: false)
        let started = Date()
        do {
            let notes = try access.index.rebuild(access.repository, report: Output.error)
            let counts = try access.index.counts()
            let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
            let cases = try access.index.testCaseCount()
            print("gitci: indexed \(counts.records) results on \(counts.commits) commits"
                + (cases > 0 ? " and \(cases) test cases" : "") + " (\(notes) notes read) in \(seconds)s")
        } catch {
            Output.error("gitci: cannot rebuild the index: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }
}
