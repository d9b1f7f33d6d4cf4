import Foundation
import Store
import Testing
import TestSupport

/// What `gitci serve` will ask of every agent call: is this a valid token, and whose.
@Suite struct AgentTokenTests {
    @Test func onlyTheExactUnrevokedTokenAuthenticates() throws {
        let home = TemporaryDirectory("gitci-home")
        let store = try CoordinatorStore.open(home: home.path)
        let token = try store.createAgentToken(name: "linux-1")
        let other = try store.createAgentToken(name: "mac-1")
        #expect(try store.authenticateAgent(token) == "linux-1")
        #expect(try store.authenticateAgent(other) == "mac-1")

        var flipped = Array(token)
        flipped[flipped.count - 1] = flipped.last == "0" ? "1" : "0"
        let secretOfOther = String(other.split(separator: "-").last ?? "")
        let idOfToken = token.split(separator: "-")[2]
        for wrong in [String(flipped), "", "gitci-agent-", "gitci-agent-\(idOfToken)-\(secretOfOther)", String(token.dropLast()),
                      token + "0", "nonsense", String(repeating: "x", count: 10_000), "gitci-agent-' OR 1=1 --"] {
            #expect(try store.authenticateAgent(wrong) == nil, "\(wrong.prefix(40))")
        }
        #expect(try store.agentTokens().first { $0.name == "linux-1" }?.lastUsed != nil)

        #expect(try store.revokeAgentToken(name: "linux-1"))
        #expect(try store.authenticateAgent(token) == nil, "a revoked token is refused")
        #expect(try !store.revokeAgentToken(name: "linux-1"), "revoked already")
        #expect(try store.authenticateAgent(other) == "mac-1")
    }

    @Test func theSchemaListsEveryMigration() {
        #expect(CoordinatorStore.schemaListsEveryMigration)
    }
}
