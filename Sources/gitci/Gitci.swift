import ArgumentParser
import Foundation

@main
struct Gitci: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: Gitci.commandName,
        abstract: "A git-native build orchestrator: pipelines and results live in git.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ValidateCommand.self, InitCommand.self, StatusCommand.self, LogCommand.self, LogsCommand.self,
                      PlansCommand.self,
                      ReindexCommand.self, SyncCommand.self, InstallCommand.self, UninstallCommand.self, HookCommand.self,
                      WorkerCommand.self, RerunCommand.self, CancelCommand.self, TriggerCommand.self, ArtifactsCommand.self, GcCommand.self,
                      TestsCommand.self, AgentTokenCommand.self, TokenCommand.self, ServeCommand.self, AgentCommand.self,
                      AgentsCommand.self]
    )

    /// Like ArgumentParser's own entry point, but with gitci's exit statuses: usage errors are 2
    /// (not EX_USAGE), and nothing ends in a backtrace.
    static func main() async {
        // A reader that goes away (`gitci run | head`) must not kill gitci with SIGPIPE while its
        // steps run on, unsupervised, in their own process groups: writes fail instead, and
        // `Output.write` drops them. Steps get the default disposition back when spawned.
        signal(SIGPIPE, SIG_IGN)
        // The hook runs inside every `git push`, and ArgumentParser's reflection costs a few
        // milliseconds of its budget: the installed hook's exact call is dispatched directly.
        if Array(CommandLine.arguments.dropFirst()) == ["hook", HookCommand.Name.postReceive.rawValue] {
            HookCommand.runPostReceive()
            Foundation.exit(ExitStatus.passed)
        }
        do {
            // The worker a push starts: run without ArgumentParser (see runStartedByHook).
            if try await WorkerCommand.runStartedByHook(arguments: Array(CommandLine.arguments.dropFirst())) {
                Foundation.exit(ExitStatus.passed)
            }
            var command: any ParsableCommand
            if let direct = parsedDirectly(Array(CommandLine.arguments.dropFirst())) {
                command = direct
            } else {
                command = try parseAsRoot()
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    static let commandName = "gitci"

    /// The subcommand `arguments` name, parsed by its own type. Parsing through the root walks
    /// every subcommand's arguments and checks for a completion-script request: ~3 ms of
    /// conformance lookups in a binary this size, in every `status`, and in every worker a push
    /// starts. Every subcommand names gitci as its super-command (ArgumentParser's experimental
    /// `_superCommandName`), which also spares a command parsed on its own the two parsers that
    /// look for a completion-script request, another ~2 ms. Anything this does not take cleanly
    /// (help, completion scripts, a usage error) goes through the root, for its usual texts.
    static func parsedDirectly(_ arguments: [String]) -> sending (any ParsableCommand)? {
        guard let name = arguments.first,
              let type = configuration.subcommands.first(where: { $0.configuration.commandName == name }) else { return nil }
        let rest = Array(arguments.dropFirst())
        let asksForHelp = rest.contains { $0 == "-h" || $0 == "--help" || $0 == "help" || $0.hasPrefix("--generate-completion") }
        guard !asksForHelp else { return nil }
        return try? type.parse(rest)
    }

    static func exit(reporting error: any Error) -> Never {
        // A command's own exit status says nothing more: asking ArgumentParser about it would
        // print an empty message (a blank line after `gitci status`).
        if let exitCode = error as? ExitCode {
            Foundation.exit(exitCode.rawValue)
        }
        if exitCode(for: error) == .success {
            print(fullMessage(for: error))
            Foundation.exit(0)
        }
        let message = fullMessage(for: error)
        if !message.isEmpty { Output.error(message) }
        Foundation.exit(ExitStatus.usage)
    }
}

/// The exit statuses of the command-line contract.
enum ExitStatus {
    static let passed: Int32 = 0
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    /// A build of the commit is still queued or running (`gitci status`).
    static let building: Int32 = 3
}
