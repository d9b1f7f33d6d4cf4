import Foundation
import Testing
import TestSupport

/// `gitci agent-token`: tokens printed once, kept hashed in `$GITCI_HOME`, listed and revoked.
@Suite(.serialized) struct AgentTokenCommandTests {
    @Test func createListRevoke() throws {
        let home = TemporaryDirectory("gitci-home")
        let environment = ["GITCI_HOME": home.path]
        let created = try GitciBinary.run(["agent-token", "create", "builder-1"], in: home.path, environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("gitci-agent-") && token.count > 60, "\(token)")
        #expect(created.stderr.contains("not shown again"))

        // Only a hash of it is kept: the secret is nowhere in the store's files.
        let secret = String(token.split(separator: "-").last ?? "")
        for file in try FileManager.default.contentsOfDirectory(atPath: home.path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: home.url(file)))
            #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds the secret")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: home.url("coordinator.sqlite"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let again = try GitciBinary.run(["agent-token", "create", "builder-1"], in: home.path, environment: environment)
        #expect(again.status == 2 && again.stderr.contains("exists"), "\(again.stderr)")

        let listed = try GitciBinary.run(["agent-token", "list", "--json"], in: home.path, environment: environment)
        let tokens = try jsonObject(listed.stdout)["tokens"] as? [[String: Any]] ?? []
        #expect(tokens.map { $0["name"] as? String } == ["builder-1"])
        #expect(tokens.first?["revoked"] == nil || tokens.first?["revoked"] is NSNull)
        #expect(!listed.stdout.contains(secret))

        let revoked = try GitciBinary.run(["agent-token", "revoke", "builder-1"], in: home.path, environment: environment)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let text = try GitciBinary.run(["agent-token", "list"], in: home.path, environment: environment)
        #expect(text.stdout.contains("builder-1") && text.stdout.contains("revoked"), "\(text.stdout)")
        // A revoked name may be given a new token.
        #expect(try GitciBinary.run(["agent-token", "create", "builder-1"], in: home.path, environment: environment).status == 0)
    }

    @Test func badNamesAndUnknownTokensAreUsageErrors() throws {
        let home = TemporaryDirectory("gitci-home")
        let environment = ["GITCI_HOME": home.path]
        for name in ["", "has space", "semi;colon", "<script>", String(repeating: "a", count: 65)] {
            let result = try GitciBinary.run(["agent-token", "create", name], in: home.path, environment: environment)
            #expect(result.status == 2, "\(name): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
        let unknown = try GitciBinary.run(["agent-token", "revoke", "nobody"], in: home.path, environment: environment)
        #expect(unknown.status == 2 && unknown.stderr.contains("no valid agent token named 'nobody'"), "\(unknown.stderr)")
    }
}
