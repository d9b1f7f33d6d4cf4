import ArgumentParser
import Foundation
import Worker

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        _superCommandName: Gitci.commandName,
        abstract: "Install gitci's hooks into a (bare) repository: every push then builds in the background."
    )

    @Argument(help: "The repository (bare, or a working copy's folder).")
    var repository: String

    @Flag(help: "Install even where other hooks exist; they are kept and still run.")
    var force = false

    func run() throws {
        guard let share = Resources.shareDirectory else {
            Output.error("gitci: cannot find gitci's hooks/ folder; set GITCI_SHARE to the folder holding hooks/ and templates/")
            throw ExitCode(ExitStatus.usage)
        }
        do {
            let installation = try Installation(repositoryPath: RepositoryOptions.absolute(repository))
            let lines = try installation.install(hookSources: (share as NSString).appendingPathComponent("hooks"),
                                                 binary: Resources.executablePath, force: force)
            lines.forEach { print("gitci: \($0)") }
            if let problem = installation.sandboxProblem() {
                Output.error("gitci: warning: this repository's builds will fail here: \(problem)")
            }
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        _superCommandName: Gitci.commandName,
        abstract: "Remove gitci's hooks from a repository (its results stay)."
    )

    @Argument(help: "The repository gitci was installed into.")
    var repository: String

    func run() throws {
        do {
            let lines = try Installation(repositoryPath: RepositoryOptions.absolute(repository)).uninstall()
            lines.forEach { print("gitci: \($0)") }
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
