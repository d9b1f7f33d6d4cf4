import Store
import ArgumentParser
import Foundation
import GitKit
import Pipeline
import Runner

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        _superCommandName: Gitci.commandName,
        abstract: "Check .gitci.yml (in the working tree, or at a commit) and print every error with line:column.",
        discussion: "Exit status: 0 when the file is valid, 2 when it is not."
    )

    @Argument(help: "Check the file as committed at this revision instead of the working tree.")
    var revision: String?

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var bytes: [UInt8] = []
        var commit: ObjectID?
        var tox: ToxInput = .unread
        do {
            let repo = try Repository.open(repository.path, search: true)
            if let revision = revision ?? (repo.workingDirectory == nil ? "HEAD" : nil) {
                let resolved = try repo.resolveCommit(revision)
                commit = resolved
                bytes = try PipelineSource.read(at: resolved, in: repo).bytes
                tox = try PipelineSource.readTox(at: resolved, in: repo)
            } else {
                bytes = try PipelineSource.read(inWorkingTree: repo.workingDirectory!).bytes
                tox = try PipelineSource.readTox(inWorkingTree: repo.workingDirectory!)
            }
        } catch let error as GitError {
            throw failure(error.message, commit: commit)
        } catch {
            throw failure("\(error)", commit: commit)
        }

        let plan: Plan
        do {
            plan = try PipelineSource.plan(bytes) { () throws(PipelineSource.LoadError) in tox }
        } catch {
            if case .invalid(let configError) = error {
                configError.diagnostics.forEach { Output.error($0.description) }
                if output.json { RunDocument(configError: configError, commit: commit?.hex).print() }
            } else {
                Output.error("gitci: \(error)")
            }
            throw ExitCode(ExitStatus.usage)
        }
        for note in PendingFeatures.notes(for: plan) { Output.error("\(PipelineSource.fileName): note: \(note)") }
        for warning in ReposValidation.warnings(plan.jobs) { Output.error("\(PipelineSource.fileName): warning: \(warning)") }
        if output.json {
            let document = ValidDocument(commit: commit?.hex, status: "valid", stages: plan.stages, jobs: plan.jobs.map(\.name))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Output.write(((try? encoder.encode(document)) ?? Data()) + Data("\n".utf8), to: .standardOutput)
        } else {
            let place = commit.map { "at \($0.short)" } ?? "in the working tree"
            print("\(PipelineSource.fileName) \(place) is valid: \(plan.jobs.count) jobs in \(plan.stages.count) stages")
        }
    }

    /// A file that could not even be read (no such revision, no file): said on stderr, and with
    /// `--json` as the error document a broken file gets, so that a script always has one.
    private func failure(_ message: String, commit: ObjectID?) -> ExitCode {
        Output.error("gitci: \(message)")
        if output.json {
            var document = RunDocument(configError: ConfigError([]), commit: commit?.hex)
            document.errors = [RunDocument.ErrorDocument(file: PipelineSource.fileName, line: 0, column: 0, message: message)]
            document.print()
        }
        return ExitCode(ExitStatus.usage)
    }

    struct ValidDocument: Encodable {
        var commit: String?
        var status: String
        var stages: [String]
        var jobs: [String]
    }
}

/// Keys that are read and checked but whose behaviour arrives with a later version: say so
/// rather than ignore them silently.
enum PendingFeatures {
    static func notes(for plan: Plan) -> [String] {
        var notes: [String] = []
        var seen = Set<String>()
        for job in plan.jobs where seen.insert(job.baseName).inserted {
            let config = job.config
            var keys: [String] = []
            if !config.secrets.isEmpty { keys.append("secrets") }
            if !keys.isEmpty {
                notes.append("job '\(job.baseName)': \(keys.joined(separator: ", ")) accepted; not acted on by this version of gitci")
            }
        }
        if !plan.config.schedules.isEmpty {
            let listed = plan.config.schedules.map { "\"\($0.cron)\" on \($0.branch)" }.joined(separator: ", ")
            notes.append("schedules: \(listed): built while `gitci serve` or a long-running `gitci worker` runs, "
                         + "each from its branch's own \(PipelineSource.fileName)")
        }
        return notes
    }
}
