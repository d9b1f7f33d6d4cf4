import ArgumentParser
import Foundation
import GitKit
import Runner
import Store

struct ArtifactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        _superCommandName: Gitci.commandName,
        abstract: "List a commit's artifacts (from its note), or restore them from this machine's artifact store.",
        discussion: "gitci artifacts REV [JOB] --get NAME --out DIR restores one file, --all every one, with its folders under DIR."
    )

    @Argument(help: "The commit (any revision git understands); default HEAD.")
    var revision: String = "HEAD"

    @Argument(help: "Only the artifacts of this job.")
    var job: String?

    @Option(help: "Restore the artifact of this name (its path in the job's workspace).")
    var get: String?

    @Flag(help: "Restore every artifact (of JOB, or of every job).")
    var all = false

    @Option(help: "The folder to restore into.")
    var out: String?

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if get != nil && all { throw ValidationError("--get and --all exclude each other") }
        if (get != nil || all) && out == nil { throw ValidationError("--get and --all need --out DIR") }
        if out != nil && get == nil && !all { throw ValidationError("--out needs --get NAME or --all") }
    }

    struct Document: Encodable {
        struct Entry: Encodable {
            let job: String
            let name: String
            let size: Int64
            let sha256: String
        }
        let commit: String
        let artifacts: [Entry]
    }

    func run() throws {
        let repository: Repository
        let commit: ObjectID
        do {
            repository = try Repository.open(self.repository.path, search: true)
            commit = try repository.resolveCommit(revision)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
        let text = (try? repository.note(for: commit, ref: ResultIndex.notesRef)) ?? nil
        let records = text.map { CommitResults(commit: commit.hex, text: $0).jobs } ?? []
        if let job, !records.contains(where: { $0.job == job }) {
            Output.error("gitci: commit \(commit.short) has no result of a job '\(job)'")
            throw ExitCode(ExitStatus.usage)
        }
        let entries = records.filter { job == nil || $0.job == job }.flatMap { record in
            (record.artifacts ?? []).map { Document.Entry(job: record.job ?? "", name: $0.name, size: $0.size, sha256: $0.sha256) }
        }
        guard let out else {
            if output.json {
                JSONOutput.print(Document(commit: commit.hex, artifacts: entries))
            } else if entries.isEmpty {
                print("no artifacts recorded for \(commit.short)")
            } else {
                for entry in entries { print("\(entry.job)\t\(entry.name)\t\(entry.size)\t\(entry.sha256)") }
            }
            return
        }
        let chosen = all ? entries : entries.filter { $0.name == get }
        if chosen.isEmpty {
            Output.error("gitci: no artifact \(get.map { "'\($0)'" } ?? "") recorded for \(commit.short)\(job.map { " by '\($0)'" } ?? "")")
            throw ExitCode(ExitStatus.failed)
        }
        let store = StateFolder(gitCommonDirectory: repository.commonDirectory).artifacts
        var failed = false
        for entry in chosen {
            do {
                try store.restore(NoteRecord.Artifact(name: entry.name, size: entry.size, sha256: entry.sha256), into: out)
                if !output.json { print("restored \(entry.name) (\(entry.job))") }
            } catch {
                Output.error("gitci: \(error.description)")
                failed = true
            }
        }
        if output.json { JSONOutput.print(Document(commit: commit.hex, artifacts: chosen)) }
        if failed { throw ExitCode(ExitStatus.failed) }
    }
}
