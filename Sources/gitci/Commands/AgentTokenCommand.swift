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

        func run() throws { try TokenActions.create(.agent, name: name) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The agents' tokens: name, made, last used, revoked.")

        @OptionGroup var output: OutputOptions

        func run() throws { try TokenActions.list(.agent, json: output.json) }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an agent's token: its calls are refused from now on.")

        @Argument(help: "The agent's name.")
        var name: String

        func run() throws { try TokenActions.revoke(.agent, name: name) }
    }
}

/// `gitci token create NAME | list | revoke NAME`: the tokens people sign in to the web UI with
/// (and call its actions with), kept (hashed) in `$GITCI_HOME` beside the agents' but apart.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        _superCommandName: Gitci.commandName,
        abstract: "Make, list and revoke the tokens people sign in to the web UI of `gitci serve` with.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token for a person; it is printed once, never again.")

        @Argument(help: "The person's name (letters, digits, '.', '_', '-').")
        var name: String

        func run() throws { try TokenActions.create(.user, name: name) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "People's tokens: name, made, last used, revoked.")

        @OptionGroup var output: OutputOptions

        func run() throws { try TokenActions.list(.user, json: output.json) }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a person's token: it signs nobody in from now on.")

        @Argument(help: "The person's name.")
        var name: String

        func run() throws { try TokenActions.revoke(.user, name: name) }
    }
}

/// What `gitci agent-token` and `gitci token` do, for their kind of token.
enum TokenActions {
    static func create(_ kind: CoordinatorStore.TokenKind, name: String) throws {
        let token: String
        do {
            token = try AgentTokenCommand.store().createToken(kind, name: name)
        } catch let error as StoreError {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        print(token)
        switch kind {
        case .agent:
            Output.error("gitci: the token of agent '\(name)' is above; it is not shown again. Start the agent with `gitci agent --server URL --token TOKEN`.")
        case .user:
            Output.error("gitci: the token of '\(name)' is above; it is not shown again. Sign in to the web UI of `gitci serve` with it.")
        }
    }

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

    static func list(_ kind: CoordinatorStore.TokenKind, json: Bool) throws {
        let tokens: [CoordinatorStore.AgentToken]
        do {
            tokens = try AgentTokenCommand.store().tokens(kind)
        } catch let error as StoreError {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
        let format = { (date: Date) in Timestamp.format(date, fractionalSeconds: false) }
        if json {
            JSONOutput.print(Document(tokens: tokens.map {
                .init(name: $0.name, created: format($0.created), lastUsed: $0.lastUsed.map(format), revoked: $0.revoked.map(format))
            }))
            return
        }
        guard !tokens.isEmpty else {
            print(kind == .agent ? "no agent tokens yet: `gitci agent-token create NAME` makes one"
                                 : "no tokens yet: `gitci token create NAME` makes one")
            return
        }
        for token in tokens {
            let state = token.revoked.map { "revoked \(format($0))" } ?? "valid"
            let used = token.lastUsed.map { "last used \(format($0))" } ?? "never used"
            print("\(token.name)  made \(format(token.created))  \(used)  \(state)")
        }
    }

    static func revoke(_ kind: CoordinatorStore.TokenKind, name: String) throws {
        let revoked: Bool
        do {
            revoked = try AgentTokenCommand.store().revokeToken(kind, name: name)
        } catch let error as StoreError {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
        guard revoked else {
            Output.error(kind == .agent ? "gitci: no valid agent token named '\(name)' (`gitci agent-token list` shows them)"
                                        : "gitci: no valid token named '\(name)' (`gitci token list` shows them)")
            throw ExitCode(ExitStatus.usage)
        }
        print(kind == .agent ? "revoked the token of agent '\(name)'" : "revoked the token of '\(name)'")
    }
}
