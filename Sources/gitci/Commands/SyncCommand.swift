import ArgumentParser
import Foundation
import GitKit
import Store

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        _superCommandName: Gitci.commandName,
        abstract: "Fetch a remote's results, merge them with the local ones, and push the union back.",
        discussion: """
            Results are merged line by line (like `git notes merge -s cat_sort_uniq`), so no \
            result of either side is lost. A remote with gitci installed refuses pushes of \
            refs/notes/gitci (only its own worker writes there): use --no-push with it.
            """
    )

    @Argument(help: "A configured remote, or a repository URL or path.")
    var remote: String = "origin"

    @Flag(help: "Only fetch and merge; leave the remote as it is.")
    var noPush = false

    @OptionGroup var repository: RepositoryOptions

    /// Where the remote's notes are fetched to before they are merged: out of `refs/notes/`,
    /// so that nothing shows them as a second notes ref.
    static let fetchedRef = "refs/gitci/sync/fetched"

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        // The job results, then the test cases of those jobs (refs/notes/gitci-tests): the
        // same merge, said aloud only for the results unless the tests ref exists somewhere.
        for (notes, fetchedRef) in [(ResultIndex.notesRef, Self.fetchedRef), (TestNotes.ref, Self.fetchedTestsRef)] {
            try sync(notes, through: fetchedRef, access: access, quiet: notes != ResultIndex.notesRef)
        }
    }

    /// Where the remote's test notes are fetched to before they are merged.
    static let fetchedTestsRef = "refs/gitci/sync/fetched-tests"

    private func sync(_ notes: String, through fetchedRef: String, access: ResultsAccess, quiet: Bool) throws {
        let repo = access.repository
        // libgit2 skips a refspec whose source the remote lacks without an error: only a fetched
        // ref that was not there before tells that the remote has results, not a leftover of an
        // earlier sync (maybe with another remote).
        try? repo.deleteReference(fetchedRef)
        do {
            try repo.fetch(remote: remote, refspecs: ["+\(notes):\(fetchedRef)"])
        } catch {
            // A remote with no results yet has nothing to fetch; anything else is an error.
            guard error.isNotFound || error.message.contains("couldn't find remote ref") else {
                Output.error("gitci: cannot fetch \(notes) from '\(remote)': \(error.message)")
                throw ExitCode(ExitStatus.failed)
            }
        }
        if let fetched = repo.referenceTarget(fetchedRef) {
            var merged = 0
            if fetched != repo.referenceTarget(notes) {
                do {
                    _ = try repo.mergeNotes(into: notes, from: fetched, message: "gitci: merge results from \(remote)")
                    merged = try access.index.catchUp(repo, report: Output.error)
                } catch {
                    Output.error("gitci: cannot merge the results of '\(remote)' (\(notes)): \(error)")
                    throw ExitCode(ExitStatus.failed)
                }
            }
            print(quiet ? "gitci: fetched \(notes) from '\(remote)'" : "gitci: fetched results from '\(remote)'; \(merged) notes changed here")
        } else if !quiet {
            print("gitci: '\(remote)' has no results yet")
        }
        guard !noPush, repo.referenceTarget(notes) != nil else { return }
        do {
            if repo.isLocalRemote(remote) {
                try GitPush.run(gitDirectory: repo.gitDirectory, remote: remote, refspec: "\(notes):\(notes)")
            } else {
                try repo.push(remote: remote, refspecs: ["\(notes):\(notes)"])
            }
            print("gitci: pushed \(notes) to '\(remote)'")
        } catch {
            Output.error("gitci: cannot push \(notes) to '\(remote)': \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }
}

/// `git push` itself, for a remote on this machine: git's receive-pack runs the remote's hooks
/// (its pre-receive may refuse refs/notes/gitci), where libgit2's local transport would write
/// the ref straight into the other repository. Arguments are passed as a list: no shell.
enum GitPush {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static func run(gitDirectory: String, remote: String, refspec: String) throws(Refused) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir=\(gitDirectory)", "push", "--quiet", "--", remote, refspec]
        // A hook's GIT_DIR and friends would point the push at another repository.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw Refused(description: "cannot run git: \((error as NSError).localizedDescription)")
        }
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let lines = said.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            throw Refused(description: lines.isEmpty ? "git push exited with status \(process.terminationStatus)" : lines.joined(separator: "; "))
        }
    }
}
