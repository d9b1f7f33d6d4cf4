import Foundation
import HummingbirdTesting
import Server
import Store
import Testing
import TestSupport

/// The coordinator's read-only JSON API answers with the documents the command line prints.
@Suite struct ResultsAPITests {
    static func recordedRepository() throws -> GitFixture {
        let repo = try GitFixture(files: [".gitci.yml": "jobs:\n  unit:\n    steps: [\"echo hello from unit\"]\n"])
        let run = try GitciBinary.run(["run", "--commit", "HEAD", "--record"], in: repo.path)
        guard run.status == 0 else { throw FixtureError("gitci run failed: \(run.stderr)") }
        return repo
    }

    @Test func theAPIServesWhatTheCommandLinePrints() async throws {
        let repo = try Self.recordedRepository()
        let head = try repo.git(["rev-parse", "HEAD"])
        let served = ServedRepositories(registered: [], extra: [repo.path + "/.git"])
        let home = TemporaryDirectory()
        let app = buildApplication(ServerConfiguration(repositories: served, coordinator: try CoordinatorStore.open(home: home.path)))
        let name = try #require(served.entries.first?.name)
        let cli = try GitciBinary.run(["status", head, "--json"], in: repo.path)

        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/repos", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"name\":\"\(name)\""))
            }
            try await client.execute(uri: "/api/v1/repos/\(name)/commits/\(head)", method: .get) { response in
                #expect(response.status == .ok)
                let api = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? NSDictionary
                let printed = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? NSDictionary
                #expect(api == printed, "one document, two transports")
            }
            try await client.execute(uri: "/api/v1/repos/\(name)/log/main", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"status\":\"passed\""))
            }
            try await client.execute(uri: "/api/v1/repos/\(name)/commits/\(head)/jobs/unit/log", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("hello from unit"))
            }
            for missing in ["/api/v1/repos/nope/plans", "/api/v1/repos/\(name)/commits/0000000000000000000000000000000000000000",
                            "/api/v1/repos/\(name)/commits/\(head)/jobs/nojob/log"] {
                try await client.execute(uri: missing, method: .get) { response in
                    #expect(response.status == .notFound, "\(missing)")
                }
            }
        }
    }
}
