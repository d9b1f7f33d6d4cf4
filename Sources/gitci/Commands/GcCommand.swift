import ArgumentParser
import Foundation
import GitKit
import Runner

struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        _superCommandName: Gitci.commandName,
        abstract: "Free stored artifacts no kept build lists.",
        discussion: """
            Kept: the artifacts the notes list for the last gitci.keepBuilds (default \(ArtifactRetention.defaultKeepBuilds)) \
            built commits of each branch, and for every tagged commit; and any stored in the last hour (a run may still use them).
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    struct Document: Encodable {
        let freedFiles: Int
        let freedBytes: Int64
        let keptFiles: Int

        enum CodingKeys: String, CodingKey {
            case freedFiles = "freed_files", freedBytes = "freed_bytes", keptFiles = "kept_files"
        }
    }

    func run() throws {
        let repository: Repository
        do {
            repository = try Repository.open(self.repository.path, search: true)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
        var keepBuilds = ArtifactRetention.defaultKeepBuilds
        if let value = repository.configValue("gitci.keepBuilds") {
            guard let number = Int(value.trimmingCharacters(in: .whitespaces)), number >= 0 else {
                Output.error("gitci: gitci.keepBuilds must be a whole number of builds, not '\(value)'")
                throw ExitCode(ExitStatus.usage)
            }
            keepBuilds = number
        }
        let report: ArtifactRetention.Report
        do {
            report = try ArtifactRetention.collect(in: repository, keepBuilds: keepBuilds)
        } catch {
            Output.error("gitci: cannot read the results: \(error.message)")
            throw ExitCode(ExitStatus.failed)
        }
        if output.json {
            JSONOutput.print(Document(freedFiles: report.freedFiles, freedBytes: report.freedBytes, keptFiles: report.keptFiles))
        } else {
            print("freed \(report.freedFiles) artifact file(s), \(report.freedBytes) bytes; kept \(report.keptFiles)")
        }
    }
}
