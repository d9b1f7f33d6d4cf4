import ArgumentParser
import Foundation
import Worker

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        _superCommandName: Gitci.commandName,
        abstract: "What the installed hooks call (reads the hook's standard input).",
        shouldDisplay: false
    )

    enum Name: String, ExpressibleByArgument {
        case postReceive = "post-receive"
    }

    @Argument(help: "post-receive")
    var name: Name

    /// Always exits 0: a hook's failure must never become the pusher's problem.
    func run() throws {
        Self.runPostReceive()
    }

    static func runPostReceive() {
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let environment = ProcessInfo.processInfo.environment
        // Hooks run inside the repository with GIT_DIR set (usually to "."), and that is all
        // the hook needs to find the state folder: no libgit2 on this path.
        let gitDirectory = RepositoryOptions.absolute(environment["GIT_DIR"] ?? ".")
        PostReceiveHook.run(input: input, gitDirectory: gitDirectory, environment: environment, say: Output.error)
    }
}
