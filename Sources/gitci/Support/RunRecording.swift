import ArgumentParser
import Foundation
import GitKit
import Pipeline
import Runner
import Store

/// `gitci run --record`: what is checked before the run and written after it.
enum RunRecording {
    /// "HEAD" when the working tree is clean; otherwise a usage error, since results of
    /// uncommitted changes belong to no commit.
    static func cleanHead(at path: String) throws -> String {
        do {
            let repository = try Repository.open(path, search: true)
            if repository.workingDirectory != nil, try repository.hasUncommittedChanges() {
                Output.error("gitci: --record needs a clean working tree (commit or stash your changes), or --commit REV")
                throw ExitCode(ExitStatus.usage)
            }
        } catch let error as GitError {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
        return "HEAD"
    }

    /// Writes the run's notes and brings the index up to date; the notes commit's short id, or
    /// nil after printing why nothing was written (the run's own result stands either way).
    static func write(_ report: LocalRun.Report, directory: String) -> String? {
        do {
            let repository = try Repository.open(directory, search: true)
            try ResultRecords.write(report, in: repository, warn: Output.error)
            try updateIndex(repository)
            return repository.referenceTarget(ResultIndex.notesRef)?.short
        } catch {
            Output.error("gitci: the results were not recorded: \(error)")
            return nil
        }
    }

    static func writeConfigError(_ error: ConfigError, revision: String, branch: String?, directory: String) {
        do {
            let repository = try Repository.open(directory, search: true)
            let commit = try repository.resolveCommit(revision)
            let config = try? PipelineSource.read(at: commit, in: repository).blob
            let target = branch.map(BuildTarget.branch) ?? LocalRun.target(of: revision, commit: commit, in: repository)
            let record = ResultRecords.configError(runID: StateFolder.newRunID(), messages: error.diagnostics.map(\.description),
                                                   branch: target.branch, tag: target.tag, tree: try? repository.commit(commit).tree,
                                                   config: config, node: JobContext.hostName)
            try ResultRecords.append([record], on: commit, in: repository, message: "gitci: config-error \(commit.short)")
            try updateIndex(repository)
        } catch {
            Output.error("gitci: the configuration error was not recorded: \(error)")
        }
    }

    private static func updateIndex(_ repository: Repository) throws {
        _ = try ResultIndex.open(stateFolder: StateFolder(gitCommonDirectory: repository.commonDirectory).path,
                                 repository: repository, report: Output.error)
    }
}
