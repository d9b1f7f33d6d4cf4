import ArgumentParser
import Foundation
import Runner
import Store

/// `gitci agent-token create NAME | list | revoke NAME`: the tokens build agents connect with,
/// kept (hashed) in `$GITCI_HOME`, which `gitci serve` reads.
struct AgentTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent-token",
        _superCommandName: Gitci.commandName,
        abstract: "Make, list and revoke the tokens build agents connect to `gitci serve` with.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    static func store() throws -> CoordinatorStore {
        do {
            return try CoordinatorStore.open(home: GitciHome.path())
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token for an agent; it is printed once, never again.")

        @Argument(help: "The agent's name (letters, digits, '.', '_', '-').")
        var name: String

        func run() throws {
            let token: String
            do {
                token = try AgentTokenCommand.store().createAgentToken(name: name)
            } catch let error as StoreError {
                Output.error("gitci: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            print(token)
            Output.error("gitci: the token of agent '\(name)' is above; it is not shown again. Start the agent with `gitci agent --server URL --token TOKEN`.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The agents' tokens: name, made, last used, revoked.")

        @OptionGroup var output: OutputOptions

        struct Document: Encodable {
            struct Token: Encodable {
                let name: String
                let created: String
                let lastUsed: String?
                let revoked: String?
                enum CodingKeys: String, CodingKey { case name, created, lastUsed = "last_used", revoked }
            }
            let tokens: [Token]
        }

        func run() throws {
            let tokens: [CoordinatorStore.AgentToken]
            do {
                tokens = try AgentTokenCommand.store().agentTokens()
            } catch let error as StoreError {
                Output.error("gitci: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            let format = { (date: Date) in Timestamp.format(date, fractionalSeconds: false) }
            if output.json {
                JSONOutput.print(Document(tokens: tokens.map {
                    .init(name: $0.name, created: format($0.created), lastUsed: $0.lastUsed.map(format), revoked: $0.revoked.map(format))
                }))
                return
            }
            guard !tokens.isEmpty else {
                print("no agent tokens yet: `gitci agent-token create NAME` makes one")
                return
            }
            for token in tokens {
                let state = token.revoked.map { "revoked \(format($0))" } ?? "valid"
                let used = token.lastUsed.map { "last used \(format($0))" } ?? "never used"
                print("\(token.name)  made \(format(token.created))  \(used)  \(state)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an agent's token: its calls are refused from now on.")

        @Argument(help: "The agent's name.")
        var name: String

        func run() throws {
            let revoked: Bool
            do {
                revoked = try AgentTokenCommand.store().revokeAgentToken(name: name)
            } catch let error as StoreError {
                Output.error("gitci: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            guard revoked else {
                Output.error("gitci: no valid agent token named '\(name)' (`gitci agent-token list` shows them)")
                throw ExitCode(ExitStatus.usage)
            }
            print("revoked the token of agent '\(name)'")
        }
    }
}
